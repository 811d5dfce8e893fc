package dev.cairn;

import java.util.Objects;

/**
 * How one named map is kept. Every node must configure a map alike (through {@code GridConfig}): a node that holds a
 * map's partitions but has no options for it uses {@link #defaults(int)}.
 *
 * @param backupCount  copies beyond the primary, 0 to 3
 * @param asyncBackups true to acknowledge a write once the primary has it, before the backups do (faster; a write
 *                     acknowledged just before the primary crashes can be lost)
 * @param readBackups  true to read a local backup copy when this node holds one, instead of asking the primary
 *                     (faster; may return a value a moment older than the primary's)
 * @param sizing       expected entries and average sizes, which size the off-heap stores
 * @param quorum       which operations need this side of a split to hold a majority of the expected members
 * @param mergePolicy  what is kept of a key both sides of a healed split hold differently (for a map both sides could
 *                     write: with a write quorum the smaller side wrote nothing)
 */
public record MapOptions(int backupCount, boolean asyncBackups, boolean readBackups, StoreSizing sizing, Quorum quorum,
                         MergePolicy mergePolicy) {
    /** The most backups a map may have. */
    public static final int MAX_BACKUP_COUNT = 3;

    public MapOptions {
        if (backupCount < 0 || backupCount > MAX_BACKUP_COUNT) {
            throw new IllegalArgumentException("backupCount must be between 0 and 3 but was " + backupCount);
        }
        Objects.requireNonNull(sizing, "sizing");
        Objects.requireNonNull(quorum, "quorum");
        Objects.requireNonNull(mergePolicy, "mergePolicy");
    }

    /** Options with the {@link Quorum#DEFAULT} quorum and the {@link MergePolicy#LATEST_UPDATE} merge. */
    public MapOptions(int backupCount, boolean asyncBackups, boolean readBackups, StoreSizing sizing) {
        this(backupCount, asyncBackups, readBackups, sizing, Quorum.DEFAULT, MergePolicy.LATEST_UPDATE);
    }

    /** Synchronous backups, reads from the primary, default sizing, the default quorum. */
    public static MapOptions defaults(int backupCount) {
        return new MapOptions(backupCount, false, false, StoreSizing.defaults());
    }

    public MapOptions withBackupCount(int v) {
        return new MapOptions(v, asyncBackups, readBackups, sizing, quorum, mergePolicy);
    }

    public MapOptions withAsyncBackups(boolean v) {
        return new MapOptions(backupCount, v, readBackups, sizing, quorum, mergePolicy);
    }

    public MapOptions withReadBackups(boolean v) {
        return new MapOptions(backupCount, asyncBackups, v, sizing, quorum, mergePolicy);
    }

    public MapOptions withSizing(StoreSizing v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, v, quorum, mergePolicy);
    }

    public MapOptions withQuorum(Quorum v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, sizing, v, mergePolicy);
    }

    public MapOptions withMergePolicy(MergePolicy v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, sizing, quorum, v);
    }
}
