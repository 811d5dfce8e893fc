package dev.cairn.partition;

import dev.cairn.Priority;

/**
 * An entry's access record, packed in one long of its stored header: when it was last read or written (milliseconds
 * since {@link #EPOCH}, 40 bits: until 2058), its {@link Priority} (2 bits) and how often it was read (22 bits,
 * saturating at {@link #MAX_HITS}). Times and hits are kept only for maps that need them
 * ({@link MapStores#tracksAccess}: a merge policy that weighs hits, max idle, LRU or LFU eviction): a read then updates
 * them in place, on the copy that served the read. A write carries the primary's record to the backups, so a promoted
 * backup knows them up to the last write (or the last touch it was sent, for max idle). The priority is always kept.
 */
final class Access {
    /** 2024-01-01T00:00:00Z in epoch milliseconds: the zero of {@link #accessedAt}. */
    static final long EPOCH = 1_704_067_200_000L;
    private static final int HIT_BITS = 22;
    private static final int PRIORITY_BITS = 2;
    static final long MAX_HITS = (1L << HIT_BITS) - 1;
    private static final long MAX_TIME = (1L << (Long.SIZE - HIT_BITS - PRIORITY_BITS)) - 1;
    /** {@link Priority#NORMAL} is 0, so that a record of all zeros is a normal entry never accessed. */
    private static final Priority[] PRIORITIES = {Priority.NORMAL, Priority.LOW, Priority.HIGH, Priority.CRITICAL};

    private Access() {
    }

    /** How many reads the record counts. */
    static long hits(long access) {
        return access & MAX_HITS;
    }

    /** When the entry was last read or written, in epoch milliseconds; 0 when never recorded. */
    static long accessedAt(long access) {
        long since = access >>> (HIT_BITS + PRIORITY_BITS);
        return since == 0 ? 0 : EPOCH + since;
    }

    static Priority priority(long access) {
        return PRIORITIES[(int) (access >>> HIT_BITS) & 3];
    }

    private static long code(Priority p) {
        return switch (p) {
            case NORMAL -> 0;
            case LOW -> 1;
            case HIGH -> 2;
            case CRITICAL -> 3;
        };
    }

    /** A record of {@code hits} reads at {@code priority}, the last access at {@code epochMillis} (0: never). */
    static long of(long hits, long epochMillis, Priority priority) {
        long since = epochMillis == 0 ? 0 : Math.min(MAX_TIME, Math.max(1, epochMillis - EPOCH));
        return since << (HIT_BITS + PRIORITY_BITS) | code(priority) << HIT_BITS | Math.min(MAX_HITS, Math.max(0, hits));
    }

    static long of(long hits, long epochMillis) {
        return of(hits, epochMillis, Priority.NORMAL);
    }

    /** {@code access} after a read ({@code hit}) or a write at {@code epochMillis}: the hits kept, the time moved on. */
    static long touched(long access, long epochMillis, boolean hit) {
        return of(hits(access) + (hit ? 1 : 0), Math.max(epochMillis, accessedAt(access)), priority(access));
    }

    /** {@code access} with {@code priority}. */
    static long withPriority(long access, Priority priority) {
        return of(hits(access), accessedAt(access), priority);
    }
}
