package dev.cairn;

/**
 * Sizing of one named map, cluster-wide; each partition store gets its share. Chronicle Map reserves a store's
 * capacity when the store is created and can grow only a bounded number of times past it (DESIGN decision 12), so these
 * figures decide both the up-front reservation and when a partition reports itself full.
 *
 * @param expectedEntries   how many entries the whole map is expected to hold across all partitions, at least 1
 * @param averageKeyBytes   the average size of a serialized key, at least 1
 * @param averageValueBytes the average size of a serialized value, at least 0
 */
public record StoreSizing(long expectedEntries, int averageKeyBytes, int averageValueBytes) {
    /** Expected entries of {@link #defaults()}. */
    public static final long DEFAULT_EXPECTED_ENTRIES = 100_000;
    /** Average key size of {@link #defaults()}. */
    public static final int DEFAULT_AVERAGE_KEY_BYTES = 32;
    /** Average value size of {@link #defaults()}. */
    public static final int DEFAULT_AVERAGE_VALUE_BYTES = 256;

    /** @throws IllegalArgumentException naming the component and the value when a component is out of range */
    public StoreSizing {
        if (expectedEntries < 1) {
            throw new IllegalArgumentException("expectedEntries must be at least 1, was " + expectedEntries);
        }
        if (averageKeyBytes < 1) {
            throw new IllegalArgumentException("averageKeyBytes must be at least 1, was " + averageKeyBytes);
        }
        if (averageValueBytes < 0) {
            throw new IllegalArgumentException("averageValueBytes must be at least 0, was " + averageValueBytes);
        }
    }

    /** 100,000 entries of 32-byte keys and 256-byte values. */
    public static StoreSizing defaults() {
        return new StoreSizing(DEFAULT_EXPECTED_ENTRIES, DEFAULT_AVERAGE_KEY_BYTES, DEFAULT_AVERAGE_VALUE_BYTES);
    }
}
