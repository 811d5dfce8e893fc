package dev.cairn.locks;

import java.util.List;

/**
 * One lock as the lock group sees it, for diagnostics. Only locks in use (held or waited for) are listed: the group
 * forgets a lock when its last holder and waiter are gone, and its fences still rise when it is used again.
 *
 * @param name      the lock's name
 * @param readWrite true for a read-write lock, false for a mutex
 * @param fence     the last fence handed out for it while in use (0 if it has only been read since it was last unused)
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
