package dev.cairn.partition;

/** Temporary stand-in; replaced by the Chronicle Map store. */
public record StoreSizing(long expectedEntries, int averageKeyBytes, int averageValueBytes) {
    public StoreSizing {
        if (expectedEntries < 1) {
            throw new IllegalArgumentException("expectedEntries must be at least 1 but was " + expectedEntries);
        }
        if (averageKeyBytes < 1) {
            throw new IllegalArgumentException("averageKeyBytes must be at least 1 but was " + averageKeyBytes);
        }
        if (averageValueBytes < 0) {
            throw new IllegalArgumentException("averageValueBytes must be 0 or more but was " + averageValueBytes);
        }
    }

    public static StoreSizing defaults() {
        return new StoreSizing(100_000, 32, 256);
    }
}
