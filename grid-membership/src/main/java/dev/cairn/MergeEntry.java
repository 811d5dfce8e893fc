package dev.cairn;

import java.util.Objects;

/**
 * One side's entry of a key when a split heals, as a {@link MergePolicy} sees it. The arrays are the engine's: a policy
 * must not modify them.
 *
 * @param key       the key's bytes
 * @param value     the value's bytes; empty for a tombstone
 * @param writtenAt      when that side last wrote or removed the key, in epoch milliseconds, on a clock that only
 *                       moves forward per key (a later write of a key is always later here, whatever the nodes' clocks
 *                       say)
 * @param hits           how often the entry was read on that side (on the copy that served the reads, as of the last
 *                       write where it was a backup), saturating at 16,777,215; counted only for maps whose policy is
 *                       {@link MergePolicy#HIGHER_HITS} or a user's own, 0 otherwise and for a tombstone
 * @param lastAccessedAt when the entry was last read or written on that side, in epoch milliseconds; counted as
 *                       {@code hits} are, 0 where not
 * @param removed        whether this is a tombstone: that side removed the key while members were missing
 */
public record MergeEntry(byte[] key, byte[] value, long writtenAt, long hits, long lastAccessedAt, boolean removed) {
    public MergeEntry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** An entry of the policy's making: {@code value} for {@code key}, written now, never read. */
    public static MergeEntry of(byte[] key, byte[] value) {
        return new MergeEntry(key, value, System.currentTimeMillis(), 0, 0, false);
    }
}
