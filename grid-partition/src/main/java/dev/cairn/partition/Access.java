package dev.cairn.partition;

/**
 * An entry's access record, packed in one long of its stored header: when it was last read or written (milliseconds
 * since {@link #EPOCH}, 40 bits: until 2058) and how often it was read (24 bits, saturating at {@link #MAX_HITS}). Kept
 * only for maps that need it ({@link MapStores#tracksAccess}): a read then updates it in place, on the copy that served
 * the read. A write carries the primary's record to the backups, so a promoted backup knows the hits up to the last
 * write; reads since are not replicated.
 */
final class Access {
    /** 2024-01-01T00:00:00Z in epoch milliseconds: the zero of {@link #accessedAt}. */
    static final long EPOCH = 1_704_067_200_000L;
    private static final int HIT_BITS = 24;
    static final long MAX_HITS = (1L << HIT_BITS) - 1;
    private static final long MAX_TIME = (1L << (Long.SIZE - HIT_BITS)) - 1;

    private Access() {
    }

    /** How many reads the record counts. */
    static long hits(long access) {
        return access & MAX_HITS;
    }

    /** When the entry was last read or written, in epoch milliseconds; 0 when never recorded. */
    static long accessedAt(long access) {
        long since = access >>> HIT_BITS;
        return since == 0 ? 0 : EPOCH + since;
    }

    /** A record of {@code hits} reads, the last access at {@code epochMillis}. */
    static long of(long hits, long epochMillis) {
        long since = Math.min(MAX_TIME, Math.max(1, epochMillis - EPOCH));
        return since << HIT_BITS | Math.min(MAX_HITS, Math.max(0, hits));
    }

    /** {@code access} after a read ({@code hit}) or a write at {@code epochMillis}: the hits kept, the time moved on. */
    static long touched(long access, long epochMillis, boolean hit) {
        return of(hits(access) + (hit ? 1 : 0), Math.max(epochMillis, accessedAt(access)));
    }
}
