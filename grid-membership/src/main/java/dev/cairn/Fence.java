package dev.cairn;

import java.util.Objects;

/**
 * A fencing token of a lock, passed with a map write: the key's partition remembers the highest token it has seen for
 * the lock and rejects a write with a lower one ({@link StaleFenceException}), even after its primary crashed and a
 * backup took over. This is how a holder that lost its lock without knowing (paused, cut off) is kept from
 * overwriting the work of the next holder.
 *
 * @param lock  the lock's name
 * @param token the fence its holder was given
 */
public record Fence(String lock, long token) {
    public Fence {
        Objects.requireNonNull(lock, "lock");
        if (lock.isEmpty()) {
            throw new IllegalArgumentException("fence lock name must not be empty");
        }
        if (token < 1) {
            throw new IllegalArgumentException("fence token must be positive but was " + token);
        }
    }
}
