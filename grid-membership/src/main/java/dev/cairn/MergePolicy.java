package dev.cairn;

/**
 * What a map keeps of a key that both sides of a healed split hold differently (issue 13, decision 67). When a split
 * heals, each partition's new primary takes the copy of the largest side (the <em>existing</em> entries; on a tie, the
 * side whose first member name sorts first) and merges in every other side's copy (the <em>merging</em> entries) key by
 * key through the map's policy. Removes made while members were missing leave a tombstone, so the policy sees them
 * as entries too ({@link MergeEntry#removed()}) and a key removed on one side does not come back unless the policy
 * says so. Keys both sides hold alike are not passed.
 *
 * <p>Each merged key is a write of the partition's primary (replicated to its backups and published to the change
 * feed), counted per outcome in {@code cairn.map.merges}. Every node must configure a map alike, the policy too: the
 * primary of each partition applies its own.
 *
 * <p>A policy runs on the partition thread with the partition's monitor held: it must be quick and must not call the
 * grid.
 */
@FunctionalInterface
public interface MergePolicy {
    /**
     * The entry to keep: {@code existing}, {@code merging}, a new entry with a value of the policy's making, or
     * {@code null} to remove the key.
     *
     * @param existing the largest side's entry, or null where it has no entry and no tombstone for the key
     * @param merging  the other side's entry (a tombstone where it removed the key), never null
     */
    MergeEntry merge(MergeEntry existing, MergeEntry merging);

    /** The entry written (or removed) later wins; on a tie, the existing one. */
    MergePolicy LATEST_UPDATE = (existing, merging) -> {
        MergeEntry winner = existing != null && existing.writtenAt() >= merging.writtenAt() ? existing : merging;
        return winner.removed() ? null : winner;
    };

    /**
     * The existing entry stays where the largest side holds the key (or removed it); the other sides' new keys are
     * added.
     */
    MergePolicy PUT_IF_ABSENT = (existing, merging) -> {
        MergeEntry winner = existing != null ? existing : merging;
        return winner.removed() ? null : winner;
    };

    /**
     * What the merging side wrote or removed since the split wins over the existing entry: for when the smaller side's
     * recent writes are the ones to keep. Keys it did not touch since the split are not passed and stay as they are.
     */
    MergePolicy PASS_THROUGH = (existing, merging) -> merging.removed() ? null : merging;

    /**
     * The entry read more often wins ({@link MergeEntry#hits}, counted per copy for maps with this policy); on a tie,
     * the existing one. A tombstone has no hits, so a key removed on one side comes back where the other side's entry
     * was read at least once, and stays removed where it was not.
     */
    MergePolicy HIGHER_HITS = (existing, merging) -> {
        MergeEntry winner = existing != null && existing.hits() >= merging.hits() ? existing : merging;
        return winner.removed() ? null : winner;
    };

    /** The merging sides' entries are dropped: the largest side's copy stands as it is. */
    MergePolicy DISCARD = (existing, merging) -> existing == null || existing.removed() ? null : existing;
}
