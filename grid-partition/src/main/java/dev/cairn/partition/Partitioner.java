package dev.cairn.partition;

import java.util.Objects;

/**
 * Maps a serialized key to its partition: MurmurHash3 (x86, 32-bit, seed {@value #SEED}) of the key's bytes, read as an
 * unsigned number, modulo the partition count. The hash is over bytes, never {@code Object.hashCode()}, so every node
 * and every JVM puts a key in the same partition (DESIGN decision 2). Changing the seed or the hash would move every
 * stored key, so both are fixed for the life of a cluster's data.
 *
 * <p>Immutable and thread-safe.
 */
public final class Partitioner {
    /** The partition count a grid uses unless configured otherwise: a prime, as in Hazelcast. */
    public static final int DEFAULT_PARTITION_COUNT = 271;

    /** The MurmurHash3 seed. Fixed: it is part of the on-the-wire meaning of a partition number. */
    public static final int SEED = 0;

    private final int partitionCount;

    /**
     * @param partitionCount how many partitions the key space is split into, at least 1
     * @throws IllegalArgumentException if {@code partitionCount} is less than 1
     */
    public Partitioner(int partitionCount) {
        if (partitionCount < 1) {
            throw new IllegalArgumentException("partitionCount must be at least 1, was " + partitionCount);
        }
        this.partitionCount = partitionCount;
    }

    /** A partitioner over {@link #DEFAULT_PARTITION_COUNT} partitions. */
    public static Partitioner withDefaultPartitionCount() {
        return new Partitioner(DEFAULT_PARTITION_COUNT);
    }

    public int partitionCount() {
        return partitionCount;
    }

    /** The partition, in {@code 0..partitionCount()-1}, of a serialized key. */
    public int partitionOf(byte[] key) {
        Objects.requireNonNull(key, "key");
        return partitionOf(key, 0, key.length);
    }

    /**
     * The partition of the serialized key held in {@code key[offset .. offset+length-1]}.
     *
     * @throws IndexOutOfBoundsException if the range does not lie within {@code key}
     */
    public int partitionOf(byte[] key, int offset, int length) {
        Objects.requireNonNull(key, "key");
        Objects.checkFromIndexSize(offset, length, key.length);
        return Integer.remainderUnsigned(Murmur3.hash32(key, offset, length, SEED), partitionCount);
    }

    @Override
    public String toString() {
        return "Partitioner[murmur3_32 seed " + SEED + " mod " + partitionCount + "]";
    }
}
