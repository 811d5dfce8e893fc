package dev.cairn.locks;

import java.util.List;

/**
 * One lock as the lock group sees it, for diagnostics.
 *
 * @param name      the lock's name
 * @param readWrite true for a read-write lock, false for a mutex
 * @param fence     the last fence handed out for it
 * @param holders   who holds it, as {@code node/thread} (with {@code (read)} or {@code (write)} for read-write locks)
 * @param waiters   who waits for it, in order
 */
public record LockSnapshot(String name, boolean readWrite, long fence, List<String> holders, List<String> waiters) {
    public LockSnapshot {
        holders = List.copyOf(holders);
        waiters = List.copyOf(waiters);
    }

    @Override
    public String toString() {
        return (readWrite ? "rw " : "mutex ") + name + " fence=" + fence + " holders=" + holders + " waiters=" + waiters;
    }
}
