package dev.cairn.partition;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.cairn.membership.Wire;

/**
 * A partition's copy summed up per bucket of keys, so that a member that already holds a copy pulls only the buckets
 * that differ (issue 13: a merge, or any re-pull of a copy kept from before, moved every partition whole). Each entry
 * hashes its map, key, value, write time and expiry to 64 bits, and a bucket's digest is the sum of its entries'
 * hashes: the same entries give the same digest whatever order they are read in. Per-entry versions and access records
 * are left out: copies alike in what a reader sees are alike.
 */
final class Digests {
    /** Buckets per partition: a key's bucket is a hash of its bytes independent of its partition's. */
    static final int BUCKETS = 64;
    private static final int BUCKET_SEED = 0x5eed;

    private Digests() {
    }

    static int bucketOf(byte[] key) {
        return Murmur3.hash32(key, 0, key.length, BUCKET_SEED) & (BUCKETS - 1);
    }

    static long hashOf(String map, byte[] key, StoredEntry e) {
        byte[] name = map.getBytes(StandardCharsets.UTF_8);
        long h = Murmur3.hash32(name, 0, name.length, 1);
        h = h * 31 + Murmur3.hash32(key, 0, key.length, 2);
        h = h * 31 + Murmur3.hash32(e.value(), 0, e.value().length, 3);
        h = Murmur3.fmix64(h ^ Murmur3.fmix64(e.writtenAt()));
        return Murmur3.fmix64(h ^ e.expiresAt() ^ ((long) e.value().length << 40));
    }

    /** The digests of the copy made of {@code stores} (by map name; a null store holds nothing). */
    static long[] of(Map<String, PartitionStore> stores) {
        long[] d = new long[BUCKETS];
        stores.forEach((map, store) -> {
            if (store != null) {
                store.forEach((key, e) -> d[bucketOf(key)] += hashOf(map, key, e));
            }
        });
        return d;
    }

    /** The buckets whose digests differ, as a bit mask. */
    static long differing(long[] a, long[] b) {
        long mask = 0;
        for (int i = 0; i < BUCKETS; i++) {
            if (a[i] != b[i]) {
                mask |= 1L << i;
            }
        }
        return mask;
    }

    static void write(Wire.Out out, long[] digests) {
        for (long d : digests) {
            out.i64(d);
        }
    }

    static long[] read(Wire.In in) {
        long[] d = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            d[i] = in.i64();
        }
        return d;
    }
}
