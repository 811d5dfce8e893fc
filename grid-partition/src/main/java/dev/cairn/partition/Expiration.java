package dev.cairn.partition;

import java.util.concurrent.ThreadLocalRandom;

import dev.cairn.Expiry;

/**
 * When entries expire (issue 15): an entry whose expiry time has come, or that a map with max idle has not seen read or
 * written for that long, is absent to every reader and writer from that instant, on every copy, before the primary's
 * sweep ({@link Expirer}) reclaims it. Times are the injected clock's epoch milliseconds.
 */
final class Expiration {
    private Expiration() {
    }

    /** Whether {@code e} has expired at {@code now} in a map whose entries may stay idle {@code maxIdleMillis} (0: ever). */
    static boolean expired(StoredEntry e, long now, long maxIdleMillis) {
        if (e.expiresAt() != 0 && e.expiresAt() <= now) {
            return true;
        }
        return maxIdleMillis > 0 && Math.max(Access.accessedAt(e.access()), e.writtenAt()) + maxIdleMillis <= now;
    }

    /**
     * The expiry of an entry written at {@code now} with a time to live of {@code ttlMillis} (-1: the map's default, 0:
     * never), spread by the map's jitter where {@code spread} (a write's; not an explicit {@code expire}): 0 for never.
     */
    static long expiresAt(long now, long ttlMillis, Expiry map, boolean spread) {
        long ttl = ttlMillis >= 0 ? ttlMillis : map.timeToLive().toMillis();
        if (ttl <= 0) {
            return 0;
        }
        if (spread && map.jitter() > 0) {
            double by = (ThreadLocalRandom.current().nextDouble() * 2 - 1) * map.jitter();
            ttl = Math.max(1, Math.round(ttl * (1 + by)));
        }
        return now + ttl;
    }
}
