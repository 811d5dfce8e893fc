package dev.cairn.membership;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;

/** The one place where a blocking call waits on a future and turns its failure into the exception a caller sees. */
public final class Futures {
    private Futures() {
    }

    /**
     * Waits for {@code f} up to {@code patience}. Its failure is thrown as it is when unchecked (a
     * {@link GridException}, a bad argument), else wrapped in a {@link GridException}; running out of patience is a
     * {@link GridTimeoutException} naming {@code what}; an interrupt restores the flag and throws a
     * {@link GridException}.
     */
    public static <T> T await(CompletableFuture<T> f, Duration patience, String what) {
        try {
            return f.get(patience.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw unchecked(e.getCause());
        } catch (TimeoutException e) {
            throw new GridTimeoutException(what + ": no answer within " + patience.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GridException(what + ": interrupted", e);
        }
    }

    /** Completes with every future's value, in the futures' order, once all are done (or fails with the first failure). */
    public static <T> CompletableFuture<java.util.List<T>> allInOrder(java.util.List<CompletableFuture<T>> futures) {
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
    }

    /** {@code e} without the {@link CompletionException} or {@link ExecutionException} around it. */
    public static Throwable unwrap(Throwable e) {
        Throwable c = e;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** {@code e} unwrapped, as an unchecked exception to throw: itself when it is one, else in a {@link GridException}. */
    public static RuntimeException unchecked(Throwable e) {
        Throwable c = unwrap(e);
        return c instanceof RuntimeException r ? r : new GridException(c.toString(), c);
    }
}
