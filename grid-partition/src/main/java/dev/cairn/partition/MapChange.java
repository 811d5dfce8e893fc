package dev.cairn.partition;

/**
 * One write as a partition's primary applied it, for in-process subscribers ({@link PartitionService#subscribe}):
 * listeners, near-cache invalidation, write-behind and statistics read it rather than hooking into the write path
 * (DESIGN.md decision 15). Arrays are shared, not copied: a subscriber must not modify them.
 *
 * @param map       the map's name
 * @param partition the key's partition
 * @param key       the serialized key
 * @param oldValue  the value before the write, null when the key was absent
 * @param newValue  the value after it, null for a remove
 * @param sequence  the partition's change number: one more for each change, with no gaps, on every copy of the
 *                  partition, so it goes on from where it was when a backup is promoted or the partition moves
 * @param cause     why the key changed: a caller's write (or clear), a merge, its expiry, or an eviction
 * @param merge     for a key the merge of a healed split decided, what the other side held and what the map's policy
 *                  chose; {@code null} for every other change. A merge that kept the existing entry is published too
 *                  (then {@code oldValue} and {@code newValue} are alike), so that what a policy discarded is always
 *                  told (decision 67)
 */
public record MapChange(String map, int partition, byte[] key, byte[] oldValue, byte[] newValue, long sequence,
                        Cause cause, Merge merge) {
    /** A change of a write, a remove or a clear ({@code key} null). */
    public MapChange(String map, int partition, byte[] key, byte[] oldValue, byte[] newValue, long sequence) {
        this(map, partition, key, oldValue, newValue, sequence, Cause.WRITE, null);
    }

    /** Why a key changed. */
    public enum Cause {
        /** A caller's write, remove or clear. */
        WRITE,
        /** The merge of a healed split ({@link #merge} says how). */
        MERGE,
        /** Its time to live or max idle ran out; the primary's sweep reclaimed it ({@code newValue} is null). */
        EXPIRED,
        /** Its bounded map evicted it to make room ({@code newValue} is null). */
        EVICTED
    }

    /** What the merge policy kept of a key: the larger side's entry, the other side's, one of its own, or neither. */
    public enum MergeOutcome { EXISTING, MERGING, NEW, REMOVED }

    /**
     * One key of a healed split's merge: the other side's value ({@code null} where it removed the key), whether the
     * larger side had removed it ({@code existingRemoved}; {@code oldValue} is then null, as for a key it never held),
     * and what the policy kept.
     */
    public record Merge(byte[] mergingValue, boolean existingRemoved, MergeOutcome outcome) {
    }
}
