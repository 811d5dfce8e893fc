package dev.cairn.partition;

import java.util.Arrays;
import java.util.Objects;

/**
 * One stored entry.
 *
 * <p>The value array is not copied, neither here nor when the entry is handed out (DESIGN decision 11): whoever builds
 * an entry gives up the array, and whoever receives one must not modify it. Equality compares the value's contents.
 *
 * @param version   assigned by the partition's primary; backups apply writes in version order
 * @param expiresAt absolute expiry in epoch milliseconds, {@code 0} for never
 * @param touchedAt when the entry was last read or written, in epoch milliseconds (for eviction)
 * @param value     the value bytes, possibly empty, never {@code null}
 */
record StoredEntry(long version, long expiresAt, long touchedAt, byte[] value) {
    StoredEntry {
        Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredEntry e
                && version == e.version && expiresAt == e.expiresAt && touchedAt == e.touchedAt
                && Arrays.equals(value, e.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, expiresAt, touchedAt, Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "StoredEntry[version=" + version + ", expiresAt=" + expiresAt + ", touchedAt=" + touchedAt
                + ", value=" + value.length + " bytes]";
    }
}
