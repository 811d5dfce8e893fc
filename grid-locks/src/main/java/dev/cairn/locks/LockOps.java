package dev.cairn.locks;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.GridException;

/**
 * Acquiring and releasing one lock, for a mutex and for each side of a read-write lock. Ownership is
 * (node session, thread); a thread's fence is remembered here while it holds the lock.
 */
final class LockOps {
    private static final Logger log = LoggerFactory.getLogger(LockOps.class);

    enum Side { MUTEX, READ, WRITE }

    private final LockClient client;
    private final String name;
    private final Side side;
    private final int reentrancyLimit;
    /** What each holding thread of this node holds: the session it was granted under, and its fence. */
    private final Map<Long, Held> held = new ConcurrentHashMap<>();

    private record Held(long session, long fence) {
    }

    /** The longest real-time wait between looks at the clock while a thread waits for a grant. */
    private static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    static final String ACQUIRE = "acquire";
    static final String TRY = "try";
    static final String CANCEL = "cancel";
    static final String RELEASE = "release";

    /** An answer, and the session and invocation id the command ran with. */
    private record Sent(LockResult result, long session, long invocation) {
    }

    /**
     * Sends a command of the calling thread, in its turn. A command of this thread left abandoned (see
     * {@link LockClient.Pending}) is re-sent with its invocation id when this is the same call on this lock, and
     * settled first otherwise, whichever lock it was on, so that the thread's invocation ids reach the group in order.
     */
    private Sent send(long thread, String kind, LockClient.SessionCommand command) {
        ReentrantLock turn = client.turn(thread);
        turn.lock();
        try {
            LockClient.Pending p = client.pending.get(thread);
            if (p != null && p.abandoned() && !(p.ops() == this && p.kind().equals(kind))) {
                p.ops().settle(thread, p); // the group does not answer yet: this call fails too, and p stays to settle
                p = null;
            }
            return sendNow(thread, kind, p, command);
        } finally {
            turn.unlock();
        }
    }

    /** Sends, re-using {@code p}'s invocation id when it is this call in the same session. */
    private Sent sendNow(long thread, String kind, LockClient.Pending p, LockClient.SessionCommand command) {
        long[] sent = new long[2];
        try {
            LockResult r = client.run((s, fresh) -> {
                long invocation = p != null && p.ops() == this && p.kind().equals(kind) && p.session() == s
                        ? p.invocation() : fresh;
                byte[] bytes = command.build(s, invocation);
                sent[0] = s;
                sent[1] = invocation;
                client.pending.put(thread, new LockClient.Pending(this, kind, s, invocation, bytes, false));
                return bytes;
            });
            client.pending.remove(thread); // answered: known outcome
            return new Sent(r, sent[0], sent[1]);
        } catch (GridException e) {
            LockClient.Pending out = client.pending.get(thread);
            if (out != null && !out.abandoned()) {
                client.pending.put(thread, out.abandon());
                client.settleLater(thread);
            }
            throw e;
        }
    }

    /**
     * Learns what an abandoned command of this lock did, by sending it again with its invocation id (so it is applied at
     * most once), and undoes it: a hold or a queued wait an acquire got is given back, a cancel that found the lock
     * granted releases it, and a release is completed. Runs in the thread's turn.
     *
     * @throws GridException when the group still gives no answer; the command stays abandoned, to settle later
     */
    void settle(long thread, LockClient.Pending p) {
        if (!client.isCurrent(p.session())) {
            client.pending.remove(thread); // the session has ended, and everything it held or waited for with it
            return;
        }
        LockResult r = client.call(p.command());
        client.pending.remove(thread);
        client.forgetWaiter(p.session(), side != Side.MUTEX, name, thread, p.invocation()); // and a grant parked for it
        if (r.kind() == LockResult.Kind.SESSION_EXPIRED) {
            client.sessionExpired(p.session());
            return;
        }
        boolean granted = r.kind() == LockResult.Kind.GRANTED;
        if (r.kind() == LockResult.Kind.WAITING && (p.kind().equals(ACQUIRE) || p.kind().equals(TRY))) {
            granted = sendNow(thread, CANCEL, null, (s, i) -> cancelCommand(s, i, thread)).result().kind()
                    == LockResult.Kind.GRANTED;
        }
        if (granted && !p.kind().equals(RELEASE)) {
            r = sendNow(thread, RELEASE, null, (s, i) -> releaseCommand(s, i, thread)).result();
        }
        if (r.kind() == LockResult.Kind.RELEASED && r.holds() == 0) {
            held.remove(thread);
        }
        log.debug("{}: settled an abandoned {} of {} by thread {}: {}", client, p.kind(), label(), thread, r);
    }

    /** For tests: marks {@code command}, sent by {@code thread} and applied, as a call whose answer never came. */
    void abandonedForTest(long thread, boolean waits, long session, long invocation, byte[] command) {
        client.pending.put(thread, new LockClient.Pending(this, waits ? ACQUIRE : TRY, session, invocation, command, true));
        client.settleLater(thread);
    }

    private byte[] cancelCommand(long session, long invocation, long thread) {
        return LockCommand.cancelWait(session, invocation, side != Side.MUTEX, name, thread);
    }

    private byte[] releaseCommand(long session, long invocation, long thread) {
        return switch (side) {
            case MUTEX -> LockCommand.unlock(session, invocation, name, thread);
            case READ -> LockCommand.readUnlock(session, invocation, name, thread);
            case WRITE -> LockCommand.writeUnlock(session, invocation, name, thread);
        };
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
        Sent sent = send(thread, wait ? ACQUIRE : TRY, (s, i) -> switch (side) {
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
        // the timeout is measured on the service's clock; the thread waits in slices of real time, so a clock that
        // jumps (a test's) is noticed within one
        dev.cairn.Clock clock = client.clock();
        long deadline = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : clock.nanoTime() + nanos;
        while (true) {
            try {
                long left = deadline == Long.MAX_VALUE ? WAIT_SLICE_NANOS : Math.min(WAIT_SLICE_NANOS, deadline - clock.nanoTime());
                LockResult.Grant g = grant.get(Math.max(1, left), TimeUnit.NANOSECONDS);
                held.put(thread, new Held(session, g.fence()));
                return g.fence();
            } catch (TimeoutException e) {
                if (deadline != Long.MAX_VALUE && clock.nanoTime() - deadline >= 0) {
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
                throw dev.cairn.membership.Futures.unchecked(e.getCause());
            }
        }
    }

    /** Stops waiting; if the grant won the race, the thread holds the lock after all and its fence is returned. */
    private long cancel(long thread, long session, long waitInvocation) {
        client.forgetWaiter(session, side != Side.MUTEX, name, thread, waitInvocation);
        Sent sent = send(thread, CANCEL, (s, i) -> cancelCommand(s, i, thread));
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
        LockResult r = send(thread, RELEASE, (s, i) -> releaseCommand(s, i, thread)).result();
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
