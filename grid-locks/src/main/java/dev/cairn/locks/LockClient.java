package dev.cairn.locks;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;

/**
 * One node's side of the lock service: its session (opened on first use, kept alive by heartbeats), invocation ids,
 * and delivery of grants to threads that wait. Group members also propose session expiry while they lead, with the
 * leader's clock in the command (DESIGN.md decision 7): replicas never read their own clocks to expire anything.
 */
final class LockClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LockClient.class);

    private final LockService service;
    private final String node;
    private final Duration sessionTimeout;
    private final Duration timeout;
    private final AtomicLong invocations = new AtomicLong(System.nanoTime());
    private final ScheduledExecutorService timer;
    private final Map<String, CompletableFuture<LockResult.Grant>> waiters = new HashMap<>();
    private final Map<String, LockResult.Grant> unclaimed = new HashMap<>();
    private long session;
    private long leaderSince;
    private volatile boolean closed;

    LockClient(LockService service, String node, Duration sessionTimeout, Duration timeout) {
        this.service = service;
        this.node = node;
        this.sessionTimeout = sessionTimeout;
        this.timeout = timeout;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-locks-" + node);
            t.setDaemon(true);
            return t;
        });
        long beat = Math.max(50, sessionTimeout.toMillis() / 3);
        timer.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::proposeExpiry, beat, Math.max(50, sessionTimeout.toMillis() / 4), TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::pollGrants, 20, 20, TimeUnit.MILLISECONDS);
    }

    /** This node's session, opened on first use. */
    synchronized long session() {
        if (session == 0) {
            LockResult r = call(LockCommand.openSession(invocations.incrementAndGet(), node, System.currentTimeMillis()));
            if (r.kind() != LockResult.Kind.SESSION_OPENED) {
                throw new GridException("lock group refused a session for '" + node + "': " + r.message());
            }
            session = r.value();
        }
        return session;
    }

    /** The session expired: every lock held through it is gone. The next call opens a new one. */
    synchronized void sessionExpired(long expired) {
        if (session == expired) {
            session = 0;
        }
        synchronized (waiters) {
            for (CompletableFuture<LockResult.Grant> w : waiters.values()) {
                w.completeExceptionally(new LockOwnershipLostException("the lock session of '" + node
                        + "' expired while waiting"));
            }
            waiters.clear();
            unclaimed.clear();
        }
    }

    /** Runs a command built for this node's session, with a fresh invocation id. */
    LockResult run(SessionCommand command) {
        long s = session();
        LockResult r = call(command.build(s, invocations.incrementAndGet()));
        if (r.kind() == LockResult.Kind.SESSION_EXPIRED) {
            sessionExpired(s);
        }
        return r;
    }

    /** A command that needs the session and an invocation id. */
    @FunctionalInterface
    interface SessionCommand {
        byte[] build(long session, long invocation);
    }

    LockResult call(byte[] command) {
        try {
            return LockResult.decode(service.submit(command).get(timeout.toMillis() * 3, TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            throw e.getCause() instanceof GridException g ? g : new GridException(e.getCause().toString(), e.getCause());
        } catch (TimeoutException e) {
            throw new GridTimeoutException("lock command not answered within " + timeout.toMillis() * 3 + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GridException("interrupted waiting for the lock group", e);
        }
    }

    /** A future completed when the grant for this lock and thread arrives (it may already have). */
    CompletableFuture<LockResult.Grant> awaitGrant(boolean readWrite, String lock, long thread) {
        String key = key(readWrite, lock, thread);
        synchronized (waiters) {
            LockResult.Grant early = unclaimed.remove(key);
            if (early != null) {
                return CompletableFuture.completedFuture(early);
            }
            return waiters.computeIfAbsent(key, k -> new CompletableFuture<>());
        }
    }

    void forgetWaiter(boolean readWrite, String lock, long thread) {
        synchronized (waiters) {
            waiters.remove(key(readWrite, lock, thread));
        }
    }

    private static String key(boolean readWrite, String lock, long thread) {
        return (readWrite ? "rw:" : "m:") + thread + ":" + lock;
    }

    private void pollGrants() {
        synchronized (waiters) {
            if (waiters.isEmpty() || closed) {
                return;
            }
        }
        long s;
        synchronized (this) {
            s = session;
        }
        if (s == 0) {
            return;
        }
        try {
            LockResult r = call(LockCommand.poll(s, invocations.incrementAndGet()));
            if (r.kind() == LockResult.Kind.SESSION_EXPIRED) {
                sessionExpired(s);
                return;
            }
            synchronized (waiters) {
                for (LockResult.Grant g : r.grants()) {
                    CompletableFuture<LockResult.Grant> w = waiters.remove(key(g.readWrite(), g.lock(), g.thread()));
                    if (w != null) {
                        w.complete(g);
                    } else {
                        unclaimed.put(key(g.readWrite(), g.lock(), g.thread()), g);
                    }
                }
            }
        } catch (GridException e) {
            log.debug("{}: polling for lock grants failed: {}", node, e.toString());
        }
    }

    private void heartbeat() {
        long s;
        synchronized (this) {
            s = session;
        }
        if (s == 0 || closed) {
            return;
        }
        try {
            LockResult r = call(LockCommand.heartbeat(s, invocations.incrementAndGet(), System.currentTimeMillis()));
            if (r.kind() == LockResult.Kind.SESSION_EXPIRED) {
                sessionExpired(s);
            }
        } catch (GridException e) {
            log.debug("{}: lock session heartbeat failed: {}", node, e.toString());
        }
    }

    private void proposeExpiry() {
        if (closed || !service.isLeader()) {
            leaderSince = 0;
            return;
        }
        long now = System.currentTimeMillis();
        if (leaderSince == 0) {
            leaderSince = now;
        }
        if (now - leaderSince < sessionTimeout.toMillis()) {
            return; // a new leader first gives every session a full timeout: none could heartbeat while there was none
        }
        try {
            call(LockCommand.expire(System.currentTimeMillis(), sessionTimeout.toMillis()));
        } catch (GridException e) {
            log.debug("{}: proposing session expiry failed: {}", node, e.toString());
        }
    }

    /** Closes the session (releasing this node's locks) if the group can be reached, and stops the timers. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        long s;
        synchronized (this) {
            s = session;
            session = 0;
        }
        if (s != 0) {
            try {
                service.submit(LockCommand.closeSession(s, invocations.incrementAndGet())).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.debug("{}: closing the lock session failed: {}", node, e.toString());
            }
        }
    }
}
