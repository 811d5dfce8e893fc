package dev.cairn.partition;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * The stored layout of a partition store's values, defined here only: {@value #HEADER_BYTES} bytes of
 * header (version, expiresAt, writtenAt, access as longs in Chronicle's native byte order) followed by the value
 * bytes. As Chronicle's value marshaller
 * it writes an entry straight into the store and reads one straight out of it, so the value is copied once each
 * way (DESIGN decision 11). Stateless; Chronicle wants marshallers emulating enums as a final class with one
 * instance and {@code readResolve}, not Java enums.
 */
final class StoredLayout implements SizedReader<StoredEntry>, SizedWriter<StoredEntry>,
        EnumMarshallable<StoredLayout> {
    static final StoredLayout INSTANCE = new StoredLayout();
    /** Bytes of the header in front of every stored value: version, expiresAt, writtenAt, access. */
    static final int HEADER_BYTES = 4 * Long.BYTES;
    /** Where the access record ({@link Access}) sits in the header, the one field a read may write in place. */
    static final int ACCESS_OFFSET = 3 * Long.BYTES;

    private StoredLayout() {
    }

    @Override
    public long size(StoredEntry entry) {
        return HEADER_BYTES + (long) entry.value().length;
    }

    @Override
    public void write(Bytes<?> out, long size, StoredEntry entry) {
        out.writeLong(entry.version());
        out.writeLong(entry.expiresAt());
        out.writeLong(entry.writtenAt());
        out.writeLong(entry.access());
        out.write(entry.value());
    }

    /** Ignores {@code using}: entries are immutable, each read returns a new one. */
    @Override
    public StoredEntry read(Bytes<?> in, long size, StoredEntry using) {
        if (size < HEADER_BYTES || size - HEADER_BYTES > Integer.MAX_VALUE) {
            throw new IllegalStateException("A stored value must be " + HEADER_BYTES + " to "
                    + (HEADER_BYTES + (long) Integer.MAX_VALUE) + " bytes, was " + size);
        }
        long version = in.readLong();
        long expiresAt = in.readLong();
        long writtenAt = in.readLong();
        long access = in.readLong();
        byte[] value = new byte[(int) (size - HEADER_BYTES)];
        in.read(value);
        return new StoredEntry(version, expiresAt, writtenAt, access, value);
    }

    @Override
    public StoredLayout readResolve() {
        return INSTANCE;
    }
}
