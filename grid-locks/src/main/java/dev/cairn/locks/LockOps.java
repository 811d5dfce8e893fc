package dev.cairn.locks;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.cairn.GridException;

/**
 * Acquiring and releasing one lock, for a mutex and for each side of a read-write lock. Ownership is
 * (node session, thread); a thread's fence is remembered here while it holds the lock.
 */
final class LockOps {
    enum Side { MUTEX, READ, WRITE }

    private final LockClient client;
    private final String name;
    private final Side side;
    private final int reentrancyLimit;
    /** What each holding thread of this node holds: the session it was granted under, and its fence. */
    private final Map<Long, Held> held = new ConcurrentHashMap<>();

    private record Held(long session, long fence) {
    }

    /**
     * A command of this thread whose outcome is unknown (no answer within the command timeout): the thread's next call
     * of the same kind on this lock re-sends it with the same invocation id, so it is applied at most once and its
     * first answer is the one returned. A call of another kind gets a new id, which makes a late copy of this one stale.
     */
    private record Pending(String kind, long session, long invocation) {
    }

    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

    /** An answer, and the session and invocation id the command ran with. */
    private record Sent(LockResult result, long session, long invocation) {
    }

    private Sent send(long thread, String kind, LockClient.SessionCommand command) {
        Pending p = pending.get(thread);
        long[] sent = new long[2];
        LockResult r = client.run((s, fresh) -> {
            long invocation = p != null && p.kind().equals(kind) && p.session() == s ? p.invocation() : fresh;
            sent[0] = s;
            sent[1] = invocation;
            pending.put(thread, new Pending(kind, s, invocation));
            return command.build(s, invocation);
        });
        pending.remove(thread); // answered: known outcome (a GridException above leaves it pending)
        return new Sent(r, sent[0], sent[1]);
    }

    LockOps(LockClient client, String name, Side side, int reentrancyLimit) {
        LockCommand.checkName("lock name", name);
        this.client = client;
        this.name = name;
        this.side = side;
        this.reentrancyLimit = reentrancyLimit;
    }

    String name() {
        return name;
    }

    /**
     * Acquires for the calling thread and returns its fence (0 for a read lock), or -1 when not acquired in time.
     *
     * @param wait  false to give up at once when it is held
     * @param nanos how long to wait; Long.MAX_VALUE for as long as it takes
     */
    long acquire(boolean wait, long nanos, boolean interruptible) throws InterruptedException {
        if (nanos < 0) {
            throw new IllegalArgumentException("timeout must not be negative but was " + nanos + " ns");
        }
        long thread = Thread.currentThread().getId();
        checkNotLost(thread);
        Sent sent = send(thread, "acquire", (s, i) -> switch (side) {
            case MUTEX -> LockCommand.lock(s, i, name, thread, reentrancyLimit, wait);
            case READ -> LockCommand.readLock(s, i, name, thread, reentrancyLimit, wait);
            case WRITE -> LockCommand.writeLock(s, i, name, thread, reentrancyLimit, wait);
        });
        LockResult r = sent.result();
        switch (r.kind()) {
            case GRANTED -> {
                held.put(thread, new Held(sent.session(), r.value()));
                return r.value();
            }
            case NOT_ACQUIRED -> {
                return -1;
            }
            case WAITING -> {
                return awaitGrant(thread, sent.session(), sent.invocation(), nanos, interruptible);
            }
            default -> throw failure(r);
        }
    }

    private long awaitGrant(long thread, long session, long invocation, long nanos, boolean interruptible)
            throws InterruptedException {
        boolean rw = side != Side.MUTEX;
        CompletableFuture<LockResult.Grant> grant = client.awaitGrant(session, rw, name, thread, invocation);
        long deadline = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + nanos;
        while (true) {
            try {
                long left = deadline == Long.MAX_VALUE ? TimeUnit.SECONDS.toNanos(1) : deadline - System.nanoTime();
                LockResult.Grant g = grant.get(Math.max(1, left), TimeUnit.NANOSECONDS);
                held.put(thread, new Held(session, g.fence()));
                return g.fence();
            } catch (TimeoutException e) {
                if (deadline != Long.MAX_VALUE && System.nanoTime() >= deadline) {
                    return cancel(thread, session, invocation);
                }
            } catch (InterruptedException e) {
                if (interruptible) {
                    long fence = cancel(thread, session, invocation);
                    if (fence >= 0) {
                        release(); // granted just as we were interrupted: give it back
                    }
                    throw e;
                }
            } catch (ExecutionException e) {
                throw e.getCause() instanceof GridException g ? g : new GridException(e.getCause().toString(), e.getCause());
            }
        }
    }

    /** Stops waiting; if the grant won the race, the thread holds the lock after all and its fence is returned. */
    private long cancel(long thread, long session, long waitInvocation) {
        client.forgetWaiter(session, side != Side.MUTEX, name, thread, waitInvocation);
        Sent sent = send(thread, "cancel", (s, i) -> LockCommand.cancelWait(s, i, side != Side.MUTEX, name, thread));
        LockResult r = sent.result();
        if (r.kind() == LockResult.Kind.GRANTED) {
            held.put(thread, new Held(sent.session(), r.value()));
            return r.value();
        }
        if (r.kind() == LockResult.Kind.CANCELLED || r.kind() == LockResult.Kind.ERROR) {
            return -1;
        }
        throw failure(r);
    }

    void release() {
        long thread = Thread.currentThread().getId();
        checkNotLost(thread);
        LockResult r = send(thread, "release", (s, i) -> switch (side) {
            case MUTEX -> LockCommand.unlock(s, i, name, thread);
            case READ -> LockCommand.readUnlock(s, i, name, thread);
            case WRITE -> LockCommand.writeUnlock(s, i, name, thread);
        }).result();
        if (r.kind() == LockResult.Kind.RELEASED) {
            if (r.holds() == 0) {
                held.remove(thread);
            }
            return;
        }
        held.remove(thread);
        throw failure(r);
    }

    /**
     * A thread that held this lock under a session that has since expired lost it, whatever the group says now: its
     * next call on the lock says so (and forgets the hold) rather than acting in a new session.
     */
    private void checkNotLost(long thread) {
        Held h = held.get(thread);
        if (h != null && !client.isCurrent(h.session())) {
            held.remove(thread);
            throw new LockOwnershipLostException(label() + " was lost: this node's lock session expired (paused or cut "
                    + "off past the session timeout), so the lock went to the next waiter; fence " + h.fence()
                    + " is no longer valid");
        }
    }

    /** The calling thread's fence while it holds the lock. */
    long fence() {
        long thread = Thread.currentThread().getId();
        checkNotLost(thread);
        Held h = held.get(thread);
        if (h == null) {
            throw new IllegalMonitorStateException(label() + " is not held by this thread");
        }
        return h.fence();
    }

    private RuntimeException failure(LockResult r) {
        return switch (r.kind()) {
            case DEADLOCK -> new DeadlockException(r.message());
            case SESSION_EXPIRED -> new LockOwnershipLostException(label() + ": this node's lock session expired, so"
                    + " the lock was given to the next waiter; " + r.message());
            case ERROR -> switch (r.error()) {
                case NOT_OWNER -> new IllegalMonitorStateException(label() + " is not held by this thread: " + r.message());
                case UPGRADE_REFUSED -> new IllegalMonitorStateException(label() + ": " + r.message());
                case REENTRANCY_LIMIT -> new IllegalMonitorStateException(label() + ": " + r.message());
                default -> new GridException(label() + ": " + r.message());
            };
            default -> new GridException(label() + ": unexpected answer " + r.kind() + " " + r.message());
        };
    }

    private String label() {
        return switch (side) {
            case MUTEX -> "lock '" + name + "'";
            case READ -> "read lock of '" + name + "'";
            case WRITE -> "write lock of '" + name + "'";
        };
    }

    static long nanos(Duration timeout) {
        return timeout.isNegative() ? -1 : timeout.toNanos();
    }
}
