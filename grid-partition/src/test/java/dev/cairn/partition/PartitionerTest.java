package dev.cairn.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class PartitionerTest {
    private static int murmur(String text, int seed) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return Murmur3.hash32(bytes, 0, bytes.length, seed);
    }

    /** Reference values of MurmurHash3_x86_32 (checked against an independent implementation), every tail length. */
    @Test
    void murmur3MatchesTheReferenceVectors() {
        assertEquals(0, murmur("", 0));
        assertEquals(0x514e28b7, murmur("", 1));
        assertEquals(0x3c2569b2, murmur("a", 0));
        assertEquals(0x9bbfd75f, murmur("ab", 0));
        assertEquals(0xb3dd93fa, murmur("abc", 0));
        assertEquals(0x43ed676a, murmur("abcd", 0));
        assertEquals(0x248bfa47, murmur("hello", 0));
        assertEquals(0x149bbb7f, murmur("hello, world", 0));
        assertEquals(0x2e4ff723, murmur("The quick brown fox jumps over the lazy dog", 0));
        assertEquals(0x2fa826cd, murmur("The quick brown fox jumps over the lazy dog", 0x9747b28c));
        // bytes above 0x7f must not be sign-extended
        assertEquals(0x1f5f8192, murmur("\u00e9t\u00e9 \u2603", 0));
    }

    @Test
    void theHashReadsOnlyTheGivenRange() {
        byte[] padded = "xxhelloyy".getBytes(StandardCharsets.UTF_8);
        assertEquals(0x248bfa47, Murmur3.hash32(padded, 2, 5, 0));
        Partitioner partitioner = new Partitioner(271);
        assertEquals(partitioner.partitionOf("hello".getBytes(StandardCharsets.UTF_8)),
                partitioner.partitionOf(padded, 2, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> partitioner.partitionOf(padded, 5, 5));
    }

    /** Pinned values: a key's partition is part of what nodes of different versions must agree on. */
    @Test
    void aKeysPartitionIsItsUnsignedHashModuloThePartitionCount() {
        Partitioner partitioner = Partitioner.withDefaultPartitionCount();
        assertEquals(271, partitioner.partitionCount());
        assertEquals(133, partitioner.partitionOf("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals(46, partitioner.partitionOf(
                "The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8)));
        // "abc" hashes to a negative int; read unsigned it is 3017643002, and 3017643002 mod 271 = 8
        assertEquals(8, partitioner.partitionOf("abc".getBytes(StandardCharsets.UTF_8)));
        assertEquals(0, partitioner.partitionOf(new byte[0]));
    }

    @Test
    void stringKeysSpreadEvenlyOverThePartitions() {
        Partitioner partitioner = Partitioner.withDefaultPartitionCount();
        int[] counts = new int[partitioner.partitionCount()];
        for (int i = 0; i < 100_000; i++) {
            counts[partitioner.partitionOf(("key-" + i).getBytes(StandardCharsets.UTF_8))]++;
        }
        assertEvenSpread(counts, 100_000);
    }

    @Test
    void sequentialLongKeysSpreadEvenlyOverThePartitions() {
        Partitioner partitioner = new Partitioner(1024);
        int[] counts = new int[partitioner.partitionCount()];
        ByteBuffer key = ByteBuffer.allocate(Long.BYTES);
        for (long i = 0; i < 100_000; i++) {
            counts[partitioner.partitionOf(key.putLong(0, i).array())]++;
        }
        assertEvenSpread(counts, 100_000);
    }

    /**
     * 100,000 keys with one and the same {@code String.hashCode()} and {@code Arrays.hashCode(byte[])} (built from the
     * colliding blocks "Aa" and "BB"): a hash of that family would put them all in one partition.
     */
    @Test
    void keysWithCollidingJavaHashCodesStillSpreadEvenly() {
        Partitioner partitioner = Partitioner.withDefaultPartitionCount();
        int[] counts = new int[partitioner.partitionCount()];
        for (int i = 0; i < 100_000; i++) {
            StringBuilder key = new StringBuilder();
            for (int bit = 0; bit < 17; bit++) {
                key.append((i >>> bit & 1) == 0 ? "Aa" : "BB");
            }
            counts[partitioner.partitionOf(key.toString().getBytes(StandardCharsets.UTF_8))]++;
        }
        assertEvenSpread(counts, 100_000);
    }

    /**
     * Pearson's chi-squared statistic stays within six standard deviations of its mean (degrees of freedom = partitions
     * - 1), and no partition's count is more than five standard deviations (5 × sqrt(mean)) from the mean.
     */
    private static void assertEvenSpread(int[] counts, int keys) {
        double expected = (double) keys / counts.length;
        double chiSquared = 0;
        for (int count : counts) {
            chiSquared += (count - expected) * (count - expected) / expected;
            assertTrue(Math.abs(count - expected) <= 5 * Math.sqrt(expected),
                    "a partition got " + count + " keys, expected about " + expected);
        }
        int dof = counts.length - 1;
        double bound = dof + 6 * Math.sqrt(2.0 * dof);
        assertTrue(chiSquared < bound, "chi-squared " + chiSquared + " over " + dof + " dof, bound " + bound);
    }

    @Test
    void oneCoversEveryKey() {
        Partitioner partitioner = new Partitioner(1);
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, partitioner.partitionOf(("k" + i).getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void aPartitionCountBelowOneIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Partitioner(0));
        assertEquals("partitionCount must be at least 1, was 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Partitioner(-271));
    }
}
