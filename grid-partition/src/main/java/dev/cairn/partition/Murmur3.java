package dev.cairn.partition;

/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain reference, {@code MurmurHash3_x86_32}), and its
 * 64-bit finalizer. Pure integer arithmetic over bytes read little-endian, so every JVM on every platform computes the
 * same values.
 */
final class Murmur3 {
    private static final int C1 = 0xcc9e2d51;
    private static final int C2 = 0x1b873593;

    private Murmur3() {
    }

    /** The 32-bit hash of {@code length} bytes of {@code data} from {@code offset}. */
    static int hash32(byte[] data, int offset, int length, int seed) {
        int h1 = seed;
        int end = offset + (length & ~3);
        for (int i = offset; i < end; i += 4) {
            int k1 = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | data[i + 3] << 24;
            h1 ^= mixK1(k1);
            h1 = Integer.rotateLeft(h1, 13);
            h1 = h1 * 5 + 0xe6546b64;
        }
        int tail = length & 3;
        if (tail > 0) {
            int k1 = 0;
            if (tail == 3) {
                k1 ^= (data[end + 2] & 0xff) << 16;
            }
            if (tail >= 2) {
                k1 ^= (data[end + 1] & 0xff) << 8;
            }
            k1 ^= data[end] & 0xff;
            h1 ^= mixK1(k1);
        }
        h1 ^= length;
        return fmix32(h1);
    }

    private static int mixK1(int k1) {
        k1 *= C1;
        k1 = Integer.rotateLeft(k1, 15);
        return k1 * C2;
    }

    static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ h >>> 16;
    }

    /** MurmurHash3's 64-bit finalizer: a bijection whose every output bit depends on every input bit. */
    static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        return k ^ k >>> 33;
    }
}
