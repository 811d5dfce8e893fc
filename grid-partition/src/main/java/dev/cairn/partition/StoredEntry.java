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
 * @param writtenAt when the key was last written, in epoch milliseconds on a clock that only moves forward per key
 *                  ({@link #writtenAfter}): the order of a key's writes across the sides of a healed split
 * @param access    the entry's reads and last access ({@link Access}); 0 where the map does not track them
 * @param value     the value bytes, possibly empty, never {@code null}
 */
record StoredEntry(long version, long expiresAt, long writtenAt, long access, byte[] value) {
    StoredEntry {
        Objects.requireNonNull(value, "value");
    }

    /** An entry with no access recorded. */
    StoredEntry(long version, long expiresAt, long writtenAt, byte[] value) {
        this(version, expiresAt, writtenAt, 0, value);
    }

    /** This entry at {@code version}. */
    StoredEntry withVersion(long version) {
        return new StoredEntry(version, expiresAt, writtenAt, access, value);
    }

    /** This entry with {@code access} as its access record. */
    StoredEntry withAccess(long access) {
        return new StoredEntry(version, expiresAt, writtenAt, access, value);
    }

    private static final byte[] NO_VALUE = new byte[0];

    /** What a backup is sent for a removal: the partition version and when the key was removed, no value. */
    static StoredEntry removal(long version, long removedAt) {
        return new StoredEntry(version, 0, removedAt, NO_VALUE);
    }

    /** What a backup is sent for a touch ({@link Messages.BackupKind#ACCESS}): the primary's access record only. */
    static StoredEntry accessOnly(long access) {
        return new StoredEntry(0, 0, 0, access, NO_VALUE);
    }

    /** The write time of a key's next write at {@code now}: later than {@code previous}'s, whatever the clocks say. */
    static long writtenAfter(StoredEntry previous, long now) {
        return previous == null ? now : Math.max(now, previous.writtenAt + 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredEntry e
                && version == e.version && expiresAt == e.expiresAt && writtenAt == e.writtenAt
                && access == e.access && Arrays.equals(value, e.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, expiresAt, writtenAt, access, Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "StoredEntry[version=" + version + ", expiresAt=" + expiresAt + ", writtenAt=" + writtenAt
                + ", hits=" + Access.hits(access) + ", value=" + value.length + " bytes]";
    }
}
