package dev.cairn;

import java.time.Duration;
import java.util.Objects;

/**
 * How one named map is kept. Every node must configure a map alike (through {@code GridConfig}): a node that holds a
 * map's partitions but has no options for it uses {@link #defaults(int)}.
 *
 * @param backupCount   copies beyond the primary, 0 to 3
 * @param asyncBackups  true to acknowledge a write once the primary has it, before the backups do (faster; a write
 *                      acknowledged just before the primary crashes can be lost)
 * @param readBackups   true to read a local backup copy when this node holds one, instead of asking the primary
 *                      (faster; may return a value a moment older than the primary's); a map with max idle reads
 *                      from the primary regardless, whose copy counts the reads that keep its entries alive
 * @param sizing        expected entries and average sizes, which size the off-heap stores
 * @param quorum        which operations need this side of a split to hold a majority of the expected members
 * @param mergePolicy   what is kept of a key both sides of a healed split hold differently (for a map both sides could
 *                      write: with a write quorum the smaller side wrote nothing)
 * @param expiry        the default time to live, max idle and jitter of its entries ({@link Expiry#NONE}: none)
 * @param eviction      its bound on each node and what it evicts ({@link Eviction#NONE}: no bound)
 * @param compressAbove values whose serialized form is larger than this many bytes are stored and sent compressed
 *                      (LZ4); 0 for never
 * @param maxValueBytes the largest serialized value the map takes, 1 byte to {@value #MAX_VALUE_BYTES_LIMIT}
 *                      ({@value #DEFAULT_MAX_VALUE_BYTES} by default); a larger one fails with
 *                      {@link ValueTooLargeException} before anything is sent
 */
public record MapOptions(int backupCount, boolean asyncBackups, boolean readBackups, StoreSizing sizing, Quorum quorum,
                         MergePolicy mergePolicy, Expiry expiry, Eviction eviction, int compressAbove,
                         int maxValueBytes) {
    /** The most backups a map may have. */
    public static final int MAX_BACKUP_COUNT = 3;
    /** The threshold {@link #withCompression()} sets: values above 1 KB. */
    public static final int DEFAULT_COMPRESS_ABOVE = 1024;
    /** The largest value a map takes unless told otherwise: 16 MB (issue 22). */
    public static final int DEFAULT_MAX_VALUE_BYTES = 16 * 1024 * 1024;
    /** The most {@link #maxValueBytes} may be: 1 GB. */
    public static final int MAX_VALUE_BYTES_LIMIT = 1024 * 1024 * 1024;

    public MapOptions {
        if (backupCount < 0 || backupCount > MAX_BACKUP_COUNT) {
            throw new IllegalArgumentException("backupCount must be between 0 and 3 but was " + backupCount);
        }
        Objects.requireNonNull(sizing, "sizing");
        Objects.requireNonNull(quorum, "quorum");
        Objects.requireNonNull(mergePolicy, "mergePolicy");
        Objects.requireNonNull(expiry, "expiry");
        Objects.requireNonNull(eviction, "eviction");
        if (compressAbove < 0) {
            throw new IllegalArgumentException("compressAbove must be 0 (never) or positive but was " + compressAbove);
        }
        if (maxValueBytes < 1 || maxValueBytes > MAX_VALUE_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxValueBytes must be between 1 and " + MAX_VALUE_BYTES_LIMIT
                    + " but was " + maxValueBytes);
        }
    }

    /** Options with the {@link Quorum#DEFAULT} quorum, the {@link MergePolicy#LATEST_UPDATE} merge, no expiry or bound. */
    public MapOptions(int backupCount, boolean asyncBackups, boolean readBackups, StoreSizing sizing) {
        this(backupCount, asyncBackups, readBackups, sizing, Quorum.DEFAULT, MergePolicy.LATEST_UPDATE, Expiry.NONE,
                Eviction.NONE, 0, DEFAULT_MAX_VALUE_BYTES);
    }

    /** Synchronous backups, reads from the primary, default sizing, the default quorum. */
    public static MapOptions defaults(int backupCount) {
        return new MapOptions(backupCount, false, false, StoreSizing.defaults());
    }

    public MapOptions withBackupCount(int v) {
        return new MapOptions(v, asyncBackups, readBackups, sizing, quorum, mergePolicy, expiry, eviction,
                compressAbove, maxValueBytes);
    }

    public MapOptions withAsyncBackups(boolean v) {
        return new MapOptions(backupCount, v, readBackups, sizing, quorum, mergePolicy, expiry, eviction,
                compressAbove, maxValueBytes);
    }

    public MapOptions withReadBackups(boolean v) {
        return new MapOptions(backupCount, asyncBackups, v, sizing, quorum, mergePolicy, expiry, eviction,
                compressAbove, maxValueBytes);
    }

    public MapOptions withSizing(StoreSizing v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, v, quorum, mergePolicy, expiry, eviction,
                compressAbove, maxValueBytes);
    }

    public MapOptions withQuorum(Quorum v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, sizing, v, mergePolicy, expiry, eviction,
                compressAbove, maxValueBytes);
    }

    public MapOptions withMergePolicy(MergePolicy v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, sizing, quorum, v, expiry, eviction,
                compressAbove, maxValueBytes);
    }

    public MapOptions withExpiry(Expiry v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, sizing, quorum, mergePolicy, v, eviction,
                compressAbove, maxValueBytes);
    }

    /** Entries live {@code v} from their last write unless a write says otherwise ({@link Duration#ZERO}: for ever). */
    public MapOptions withTimeToLive(Duration v) {
        return withExpiry(expiry.withTimeToLive(v));
    }

    /** Entries not read or written for {@code v} expire ({@link Duration#ZERO}: never). */
    public MapOptions withMaxIdle(Duration v) {
        return withExpiry(expiry.withMaxIdle(v));
    }

    /** Each entry's time to live is spread at random by up to this fraction, up or down (0 to 0.5). */
    public MapOptions withTtlJitter(double v) {
        return withExpiry(expiry.withJitter(v));
    }

    public MapOptions withEviction(Eviction v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, sizing, quorum, mergePolicy, expiry, v,
                compressAbove, maxValueBytes);
    }

    /** At most {@code v} entries of this map on each node (see {@link Eviction}); {@link EvictionPolicy#LRU} unless set. */
    public MapOptions withMaxEntries(long v) {
        return withEviction(eviction.withMaxEntries(v));
    }

    /** At most {@code v} off-heap bytes of this map's entries on each node (see {@link Eviction}). */
    public MapOptions withMaxBytes(long v) {
        return withEviction(eviction.withMaxBytes(v));
    }

    public MapOptions withEvictionPolicy(EvictionPolicy v) {
        return withEviction(eviction.withPolicy(v));
    }

    /** Values larger than {@value #DEFAULT_COMPRESS_ABOVE} bytes serialized are stored and sent LZ4-compressed. */
    public MapOptions withCompression() {
        return withCompressionAbove(DEFAULT_COMPRESS_ABOVE);
    }

    /** Values larger than {@code v} bytes serialized are stored and sent LZ4-compressed; 0 for never. */
    public MapOptions withCompressionAbove(int v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, sizing, quorum, mergePolicy, expiry, eviction, v,
                maxValueBytes);
    }

    /**
     * The largest serialized value this map takes, in bytes (1 to {@value #MAX_VALUE_BYTES_LIMIT}); a larger one fails
     * at once with {@link ValueTooLargeException} naming the map, its size and this limit.
     */
    public MapOptions withMaxValueBytes(int v) {
        return new MapOptions(backupCount, asyncBackups, readBackups, sizing, quorum, mergePolicy, expiry, eviction,
                compressAbove, v);
    }
}
