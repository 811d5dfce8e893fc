package dev.cairn.locks;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * A cluster-wide mutex with fencing tokens, replicated by Raft over the lock group. Ownership is this node's session
 * and the calling thread. Every acquisition by a new holder gets a fence larger than every fence handed out for this
 * lock before, across holders, leader changes and full restarts of the lock group; a re-entrant acquisition returns
 * the same fence. Pass the fence with writes that the lock protects (a {@code GridMap} write with a fence rejects a
 * lower one), because a holder can lose the lock without knowing: when its node is paused or cut off past the session
 * timeout, the lock goes to the next waiter, and the old holder's next call on it fails with
 * {@link LockOwnershipLostException}.
 *
 * <p>Lock calls need a majority of the lock group: on the minority side of a split they fail
 * ({@link dev.cairn.NoQuorumException}) or time out; they never grant.
 */
public final class FencedLock implements Lock {
    private final LockOps ops;

    FencedLock(LockClient client, String name, int reentrancyLimit) {
        this.ops = new LockOps(client, name, LockOps.Side.MUTEX, reentrancyLimit);
    }

    public String name() {
        return ops.name();
    }

    /** Acquires, waiting as long as it takes, and returns the fence. */
    public long lockAndGetFence() {
        try {
            return ops.acquire(true, Long.MAX_VALUE, false);
        } catch (InterruptedException e) {
            throw new IllegalStateException("unreachable: not interruptible", e);
        }
    }

    /** Acquires if it can within {@code timeout}; returns the fence, or 0 when it could not. */
    public long tryLockAndGetFence(Duration timeout) {
        try {
            long fence = ops.acquire(true, LockOps.nanos(timeout), false);
            return Math.max(fence, 0);
        } catch (InterruptedException e) {
            throw new IllegalStateException("unreachable: not interruptible", e);
        }
    }

    /** The calling thread's fence for this lock. @throws IllegalMonitorStateException if it does not hold it */
    public long getFence() {
        return ops.fence();
    }

    @Override
    public void lock() {
        lockAndGetFence();
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
        ops.acquire(true, Long.MAX_VALUE, true);
    }

    @Override
    public boolean tryLock() {
        try {
            return ops.acquire(false, 0, false) > 0;
        } catch (InterruptedException e) {
            throw new IllegalStateException("unreachable: not interruptible", e);
        }
    }

    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        return ops.acquire(true, unit.toNanos(time) < 0 ? -1 : unit.toNanos(time), true) > 0;
    }

    /**
     * @throws IllegalMonitorStateException when the calling thread does not hold it
     * @throws LockOwnershipLostException   when this node's session expired and the lock went to someone else
     */
    @Override
    public void unlock() {
        ops.release();
    }

    /** Conditions are not supported on a cluster-wide lock. */
    @Override
    public Condition newCondition() {
        throw new UnsupportedOperationException("FencedLock has no conditions");
    }

    @Override
    public String toString() {
        return "FencedLock[" + name() + "]";
    }
}
