package dev.cairn.partition;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;

import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.core.Jvm;
import net.openhft.chronicle.core.UnsafeMemory;

/**
 * Values too large for a partition store's Chronicle tiers, kept out of line (issue 22, decision 79): each in a block
 * of native memory of its own, allocated when it is stored and freed when it is replaced or removed, or when its store
 * is cleared or closed. The store's Chronicle entry keeps the header as ever and, in place of the value, a reference:
 * the block's handle and the value's length; the header's version carries {@link #OUT_OF_LINE} so that a reader knows
 * it. Nothing is reserved up front, and the store's own sizing never decides whether a value fits.
 *
 * <p><b>Threads.</b> A reader resolves a reference it found (under no lock of the store's, in {@link PartitionStore#get})
 * while a writer may replace the key and free the block. Frees take this class's lock exclusively and reads share it,
 * so a read never copies freed memory: it finds the handle gone and the store reads the key again.
 */
final class LargeValues implements AutoCloseable {
    /** The bit of a stored version that says the value is out of line; versions are positive, so it is free. */
    static final long OUT_OF_LINE = Long.MIN_VALUE;
    /** Bytes of a reference where the value would be: the handle and the length. */
    static final int REFERENCE_BYTES = Long.BYTES + Integer.BYTES;

    private static final UnsafeMemory MEMORY = UnsafeMemory.MEMORY;

    private record Block(long address, int length) {
    }

    private final ConcurrentHashMap<Long, Block> blocks = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final StampedLock frees = new StampedLock();
    private boolean closed;

    /** Whether {@code e}, as its store's Chronicle entry holds it, refers to a value out of line. */
    static boolean isReference(StoredEntry e) {
        return e != null && e.version() < 0;
    }

    /** The length of the value out of line behind the stored entry at {@code at} in {@code in}; 0 for one in line. */
    static long outOfLineBytes(RandomDataInput in, long at) {
        return in.readLong(at) < 0 ? in.readInt(at + StoredLayout.HEADER_BYTES + Long.BYTES) : 0;
    }

    /** The length of the value out of line behind {@code e} as its store holds it; 0 for one in line. */
    static long outOfLineBytes(StoredEntry e) {
        return isReference(e) ? ByteBuffer.wrap(e.value()).order(ByteOrder.nativeOrder()).getInt(Long.BYTES) : 0;
    }

    /** Copies {@code entry}'s value into a block of its own; the entry to store in its place, which refers to it. */
    StoredEntry store(StoredEntry entry) {
        byte[] value = entry.value();
        long address = MEMORY.allocate(value.length);
        MEMORY.copyMemory(value, 0, address, value.length);
        long handle = handles.incrementAndGet();
        long stamp = frees.writeLock();
        try {
            if (closed) {
                MEMORY.freeMemory(address, value.length);
                throw new IllegalStateException("closed");
            }
            blocks.put(handle, new Block(address, value.length));
        } finally {
            frees.unlockWrite(stamp);
        }
        bytes.addAndGet(value.length);
        byte[] reference = ByteBuffer.allocate(REFERENCE_BYTES).order(ByteOrder.nativeOrder()).putLong(handle)
                .putInt(value.length).array();
        return new StoredEntry(entry.version() | OUT_OF_LINE, entry.expiresAt(), entry.writtenAt(), entry.access(),
                reference);
    }

    /**
     * {@code stored} with its value: itself when it is in line, else the value copied out of its block; or null when
     * the block was freed meanwhile (the key was written again: read it again).
     */
    StoredEntry resolve(StoredEntry stored) {
        if (!isReference(stored)) {
            return stored;
        }
        long handle = handle(stored);
        long stamp = frees.readLock();
        try {
            Block b = blocks.get(handle);
            if (b == null) {
                return null;
            }
            byte[] value = new byte[b.length];
            MEMORY.copyMemory(b.address, value, Jvm.arrayByteBaseOffset(), b.length);
            return new StoredEntry(stored.version() & ~OUT_OF_LINE, stored.expiresAt(), stored.writtenAt(),
                    stored.access(), value);
        } finally {
            frees.unlockRead(stamp);
        }
    }

    /** Frees the block {@code stored} refers to, if it refers to one. */
    void free(StoredEntry stored) {
        if (!isReference(stored)) {
            return;
        }
        long stamp = frees.writeLock();
        try {
            Block b = blocks.remove(handle(stored));
            if (b != null) {
                MEMORY.freeMemory(b.address, b.length);
                bytes.addAndGet(-b.length);
            }
        } finally {
            frees.unlockWrite(stamp);
        }
    }

    /** Bytes of the values held out of line. */
    long bytes() {
        return bytes.get();
    }

    /** Frees every block (the store was cleared); more may be stored afterwards. */
    void clear() {
        long stamp = frees.writeLock();
        try {
            freeAll();
        } finally {
            frees.unlockWrite(stamp);
        }
    }

    /** Frees every block; storing more fails afterwards. Idempotent. */
    @Override
    public void close() {
        long stamp = frees.writeLock();
        try {
            closed = true;
            freeAll();
        } finally {
            frees.unlockWrite(stamp);
        }
    }

    private void freeAll() {
        for (Block b : blocks.values()) {
            MEMORY.freeMemory(b.address, b.length);
        }
        blocks.clear();
        bytes.set(0);
    }

    private static long handle(StoredEntry stored) {
        return ByteBuffer.wrap(stored.value()).order(ByteOrder.nativeOrder()).getLong(0);
    }
}
