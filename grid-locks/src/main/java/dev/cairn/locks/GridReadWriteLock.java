package dev.cairn.locks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;

/**
 * A cluster-wide read-write lock replicated by Raft: many readers or one writer; a waiting writer holds back new
 * readers, so writers are not starved; the writer may take the read lock and then release the write lock (downgrade);
 * a reader asking for the write lock is refused ({@link IllegalMonitorStateException}), since two such readers would
 * deadlock. The write lock hands out fences like a {@link FencedLock} ({@link Side#getFence()}).
 */
public final class GridReadWriteLock implements ReadWriteLock {
    private final String name;
    private final Side read;
    private final Side write;

    GridReadWriteLock(LockClient client, String name, int reentrancyLimit) {
        this.name = name;
        this.read = new Side(new LockOps(client, name, LockOps.Side.READ, reentrancyLimit));
        this.write = new Side(new LockOps(client, name, LockOps.Side.WRITE, reentrancyLimit));
    }

    public String name() {
        return name;
    }

    @Override
    public Side readLock() {
        return read;
    }

    @Override
    public Side writeLock() {
        return write;
    }

    /** One side of the read-write lock. */
    public static final class Side implements Lock {
        private final LockOps ops;

        Side(LockOps ops) {
            this.ops = ops;
        }

        /** The write lock's fence while the calling thread holds it (0 for the read lock). */
        public long getFence() {
            return ops.fence();
        }

        @Override
        public void lock() {
            try {
                ops.acquire(true, Long.MAX_VALUE, false);
            } catch (InterruptedException e) {
                throw new IllegalStateException("unreachable: not interruptible", e);
            }
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            ops.acquire(true, Long.MAX_VALUE, true);
        }

        @Override
        public boolean tryLock() {
            try {
                return ops.acquire(false, 0, false) >= 0;
            } catch (InterruptedException e) {
                throw new IllegalStateException("unreachable: not interruptible", e);
            }
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            return ops.acquire(true, unit.toNanos(time) < 0 ? -1 : unit.toNanos(time), true) >= 0;
        }

        @Override
        public void unlock() {
            ops.release();
        }

        @Override
        public Condition newCondition() {
            throw new UnsupportedOperationException("GridReadWriteLock has no conditions");
        }
    }
}
