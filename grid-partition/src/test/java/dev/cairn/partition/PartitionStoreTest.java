package dev.cairn.partition;

import dev.cairn.StoreFullException;
import dev.cairn.StoreSizing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.GridClosedException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import net.openhft.chronicle.core.OS;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The off-heap store of one map in one partition (issue 3). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PartitionStoreTest {
    /** One partition of a tiny map: 128 entries of a few bytes before extra tiers, so it fills in milliseconds. */
    private static final StoreSizing TINY = new StoreSizing(1, 8, 16);

    private final List<PartitionStore> opened = new ArrayList<>();

    @AfterEach
    void closeStores() {
        opened.forEach(PartitionStore::close);
    }

    private PartitionStore store(String map, int partition, int partitionCount, StoreSizing sizing) {
        PartitionStore store = PartitionStore.create(map, partition, partitionCount, sizing);
        opened.add(store);
        return store;
    }

    private PartitionStore defaultStore() {
        return store("orders", 7, Partitioner.DEFAULT_PARTITION_COUNT, StoreSizing.defaults());
    }

    /** Keys of one length, so a removed entry leaves room for exactly one new one. */
    private static byte[] key(long i) {
        return String.format("key-%08d", i).getBytes(StandardCharsets.UTF_8);
    }

    /** Bytes that differ from key to key and from version to version, so a mixed-up entry is noticed. */
    private static byte[] value(long i, long version, int length) {
        byte[] bytes = new byte[length];
        new SplittableRandom(i * 31 + version).nextBytes(bytes);
        return bytes;
    }

    private static StoredEntry entry(long i, long version, int length) {
        return new StoredEntry(version, 1_000 + i, 2_000 + version, value(i, version, length));
    }

    @Test
    void anEntryRoundTripsWithItsHeaderAndValue() {
        PartitionStore store = defaultStore();
        StoredEntry stored = new StoredEntry(42, 1_700_000_000_123L, 1_600_000_000_456L, value(1, 1, 300));
        store.put(key(1), stored);

        StoredEntry read = store.get(key(1));

        assertEquals(42, read.version());
        assertEquals(1_700_000_000_123L, read.expiresAt());
        assertEquals(1_600_000_000_456L, read.writtenAt());
        assertArrayEquals(stored.value(), read.value());
        assertEquals(stored, read);
        assertNull(store.get(key(2)));
    }

    /**
     * Issue 15: a bounded map's store that fills its Chronicle capacity grows (a store sized for twice as many, every
     * entry moved) instead of refusing, and keeps every entry and its byte count; an unbounded map's still refuses.
     */
    @Test
    void aGrowableStoreGrowsPastItsCapacityKeepingEveryEntry() {
        PartitionStore growable = PartitionStore.create("grows", 0, 1, TINY, true);
        opened.add(growable);
        PartitionStore fixed = store("fixed", 0, 1, TINY);
        int n = 0;
        while (true) {
            try {
                fixed.put(key(n), entry(n, 1, 16));
                n++;
            } catch (StoreFullException full) {
                break;
            }
        }
        int beyond = n * 4;
        long bytes = 0;
        for (int i = 0; i < beyond; i++) {
            growable.put(key(i), entry(i, 1, 16));
            bytes += key(i).length + StoredLayout.HEADER_BYTES + 16;
        }
        assertEquals(beyond, growable.size(), "four times what the fixed store took (" + n + ")");
        for (int i = 0; i < beyond; i++) {
            assertEquals(entry(i, 1, 16), growable.get(key(i)), "entry " + i);
        }
        assertEquals(bytes, growable.entryBytes());
    }

    @Test
    void aTouchingReadCountsAHitInPlaceAndLeavesTheRestOfTheEntryAsItWas() {
        PartitionStore store = defaultStore();
        long t0 = Access.EPOCH + 5_000;
        StoredEntry stored = new StoredEntry(7, 0, 13, Access.of(2, t0), value(1, 1, 300));
        store.put(key(1), stored);
        assertEquals(stored, store.get(key(1)), "the access record round-trips");

        StoredEntry first = store.getTouched(key(1), t0 + 10, 0);
        StoredEntry second = store.getTouched(key(1), t0 + 20, 0);
        StoredEntry read = store.get(key(1));

        assertEquals(3, Access.hits(first.access()));
        assertEquals(4, Access.hits(read.access()));
        assertEquals(t0 + 20, Access.accessedAt(read.access()));
        assertEquals(second, read, "what the read returned is what is stored");
        assertEquals(stored.withAccess(read.access()), read, "nothing but the access record changed");
        assertNull(store.getTouched(key(2), t0, 0));
    }

    @Test
    void anAccessRecordSaturatesAndNeverGoesBackInTime() {
        long t = Access.EPOCH + 1_000;
        long full = Access.of(Access.MAX_HITS, t);
        assertEquals(Access.MAX_HITS, Access.hits(Access.touched(full, t + 1, true)));
        assertEquals(t, Access.accessedAt(Access.touched(full, t - 500, false)), "a clock behind does not move it back");
        assertEquals(0, Access.accessedAt(0));
        assertEquals(5, Access.hits(Access.touched(Access.of(5, t), t, false)), "a write keeps the hits");
    }

    @Test
    void anEmptyValueAndExtremeHeaderValuesRoundTrip() {
        PartitionStore store = defaultStore();
        StoredEntry empty = new StoredEntry(Long.MAX_VALUE, 0, Long.MAX_VALUE, new byte[0]);
        store.put(key(1), empty);
        store.put(new byte[0], entry(2, 1, 10));

        assertEquals(empty, store.get(key(1)));
        assertEquals(0, store.get(key(1)).value().length);
        assertEquals(entry(2, 1, 10), store.get(new byte[0]));
        // a negative version is refused: its sign bit marks a value kept out of line
        assertThrows(IllegalArgumentException.class, () -> store.put(key(3), new StoredEntry(-1, 0, 0, new byte[1])));
        assertFalse(store.containsKey(key(3)));
    }

    @Test
    void aValueOf64KiloBytesRoundTripsInADefaultSizedStore() {
        PartitionStore store = defaultStore();
        StoredEntry large = entry(1, 1, 64 * 1024);
        store.put(key(1), large);
        store.put(key(2), entry(2, 1, 100));

        assertEquals(large, store.get(key(1)));
        assertEquals(entry(2, 1, 100), store.get(key(2)));
    }

    @Test
    void putReplacesTheEntryWhetherTheNewValueIsLargerOrSmaller() {
        PartitionStore store = defaultStore();
        store.put(key(1), entry(1, 1, 100));
        store.put(key(2), entry(2, 1, 100));

        store.put(key(1), entry(1, 2, 5_000));
        assertEquals(entry(1, 2, 5_000), store.get(key(1)));
        store.put(key(1), entry(1, 3, 10));
        assertEquals(entry(1, 3, 10), store.get(key(1)));
        store.put(key(1), entry(1, 4, 10));
        assertEquals(entry(1, 4, 10), store.get(key(1)));

        assertEquals(entry(2, 1, 100), store.get(key(2)));
        assertEquals(2, store.size());
    }

    @Test
    void removeReturnsTheRemovedEntryAndForgetsTheKey() {
        PartitionStore store = defaultStore();
        store.put(key(1), entry(1, 1, 50));
        store.put(key(2), entry(2, 1, 50));

        assertEquals(entry(1, 1, 50), store.remove(key(1)));

        assertNull(store.get(key(1)));
        assertFalse(store.containsKey(key(1)));
        assertNull(store.remove(key(1)));
        assertEquals(entry(2, 1, 50), store.get(key(2)));
        assertEquals(1, store.size());
    }

    @Test
    void sizeAndContainsKeyFollowPutsRemovesAndClear() {
        PartitionStore store = defaultStore();
        assertEquals(0, store.size());
        for (int i = 0; i < 500; i++) {
            store.put(key(i), entry(i, 1, 20));
        }
        store.put(key(0), entry(0, 2, 20)); // an overwrite does not count twice
        assertEquals(500, store.size());
        assertTrue(store.containsKey(key(499)));
        assertFalse(store.containsKey(key(500)));

        for (int i = 0; i < 500; i += 2) {
            store.remove(key(i));
        }
        assertEquals(250, store.size());
        assertFalse(store.containsKey(key(0)));
        assertTrue(store.containsKey(key(1)));

        store.clear();
        assertEquals(0, store.size());
        assertFalse(store.containsKey(key(1)));
        store.put(key(1), entry(1, 3, 20));
        assertEquals(entry(1, 3, 20), store.get(key(1)));
    }

    @Test
    void forEachSeesEveryEntryOnceAcrossSegments() {
        // 400,000 entries a partition: several Chronicle segments, so forEach walks more than one.
        PartitionStore store = store("wide", 0, 1, new StoreSizing(200_000, 8, 8));
        Map<String, StoredEntry> expected = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            StoredEntry e = entry(i, i, i % 40);
            store.put(key(i), e);
            expected.put(new String(key(i), StandardCharsets.UTF_8), e);
        }

        Map<String, StoredEntry> seen = new HashMap<>();
        store.forEach((k, e) -> assertNull(seen.put(new String(k, StandardCharsets.UTF_8), e), "seen twice"));

        assertEquals(expected, seen);
    }

    @Test
    void forEachActionMayWriteToTheSameStore() {
        PartitionStore store = defaultStore();
        for (int i = 0; i < 300; i++) {
            store.put(key(i), entry(i, 1, 30));
        }

        store.forEach((k, e) -> {
            store.put(k, new StoredEntry(e.version() + 1, e.expiresAt(), e.writtenAt(), e.value()));
            store.put(key(1_000_000), entry(0, 0, 1));
            store.remove(key(1_000_000));
        });

        for (int i = 0; i < 300; i++) {
            assertEquals(2, store.get(key(i)).version());
        }
        assertEquals(300, store.size());
    }

    /**
     * Eight threads each own a range of keys and write every key several times, growing and shrinking its value, while
     * reading their own keys back and two of them also iterating the store. At the end every key holds its last write.
     */
    @Test
    void concurrentWritersAndReadersLoseNothing() throws Exception {
        PartitionStore store = store("concurrent", 0, 1, new StoreSizing(20_000, 16, 64));
        int threads = 8;
        int keysPerThread = 1_500;
        int rounds = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            AtomicBoolean writing = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
            AtomicLong iterated = new AtomicLong();
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int round = 1; round <= rounds; round++) {
                        for (int k = 0; k < keysPerThread; k++) {
                            long i = (long) thread * keysPerThread + k;
                            StoredEntry e = entry(i, round, (int) ((i + round * 37) % 200));
                            store.put(key(i), e);
                            if (!e.equals(store.get(key(i)))) {
                                mismatches.add("key " + i + " round " + round);
                            }
                            if (round == rounds && k % 3 == 0) {
                                store.remove(key(i));
                                store.put(key(i), e);
                            }
                        }
                        if (thread < 2) {
                            store.forEach((key, e) -> iterated.incrementAndGet());
                        }
                    }
                    return null;
                }));
            }
            // a reader that keeps iterating and reading while the writers run
            Future<?> reader = pool.submit(() -> {
                start.await();
                while (writing.get()) {
                    store.forEach((key, e) -> iterated.incrementAndGet());
                    store.get(key(0));
                }
                return null;
            });
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            writing.set(false);
            reader.get(60, TimeUnit.SECONDS);

            assertTrue(mismatches.isEmpty(), () -> "read back something else: " + mismatches);
            assertTrue(iterated.get() > 0);
            assertEquals((long) threads * keysPerThread, store.size());
            for (long i = 0; i < (long) threads * keysPerThread; i++) {
                assertEquals(entry(i, rounds, (int) ((i + rounds * 37) % 200)), store.get(key(i)), "key " + i);
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    /** Fills {@code store} with new keys until it is full; returns how many went in. */
    private static int fillUntilFull(PartitionStore store, int valueLength, Consumer<StoreFullException> onFull) {
        for (int i = 0; i < 1_000_000; i++) {
            try {
                store.put(key(i), entry(i, 1, valueLength));
            } catch (StoreFullException full) {
                onFull.accept(full);
                return i;
            }
        }
        throw new AssertionError("a tiny store took a million entries without becoming full");
    }

    @Test
    void aFullStoreThrowsStoreFullExceptionAndKeepsEverythingStoredBefore() {
        PartitionStore store = store("tiny-map", 3, 4, TINY);
        StoreFullException[] thrown = new StoreFullException[1];
        int written = fillUntilFull(store, 16, full -> thrown[0] = full);

        assertNotNull(thrown[0]);
        assertTrue(written >= 128, "only " + written + " entries fit");
        String message = thrown[0].getMessage();
        assertTrue(message.contains("'tiny-map'"), message);
        assertTrue(message.contains("partition 3"), message);
        assertTrue(message.contains(written + " entries"), message);
        assertTrue(message.contains(store.offHeapBytes() + " off-heap bytes"), message);
        assertTrue(message.contains("expectedEntries"), message);
        assertTrue(thrown[0].getCause() instanceof IllegalStateException);

        assertEquals(written, store.size());
        for (int i = 0; i < written; i++) {
            assertEquals(entry(i, 1, 16), store.get(key(i)), "key " + i);
        }
        assertFalse(store.containsKey(key(written)));
        // still full for new keys, usable for existing ones
        assertThrows(StoreFullException.class, () -> store.put(key(written), entry(written, 1, 16)));
        store.put(key(0), entry(0, 2, 16));
        assertEquals(entry(0, 2, 16), store.get(key(0)));
        assertEquals(entry(1, 1, 16), store.remove(key(1)));
        store.put(key(written), entry(written, 1, 16)); // the removed entry's room is reused
        assertEquals(entry(written, 1, 16), store.get(key(written)));
        assertEquals(written, store.size());
    }

    /**
     * Regression (issue 3): Chronicle's own replaceValue frees an entry's chunks before looking for a larger place and
     * leaves them free when it finds none, so an overwrite that grows a value in a full store could later be
     * overwritten by another key. Every key must still read back its old or its new value, and later inserts into the
     * freed room must not disturb them.
     */
    @Test
    void growingOverwritesInAFullStoreKeepTheOldValueWhenThereIsNoRoom() {
        PartitionStore store = store("tiny-map", 0, 1, TINY);
        int written = fillUntilFull(store, 16, full -> { });

        int grown = 0;
        int refused = 0;
        for (int i = 0; i < written; i++) {
            try {
                store.put(key(i), entry(i, 2, 120));
                grown++;
            } catch (StoreFullException full) {
                refused++;
            }
        }
        assertTrue(refused > 0, "the store had room for every larger value; the test did not test anything");
        assertEquals(written, store.size());
        for (int i = 0; i < written; i += 2) {
            store.remove(key(i));
        }
        int added = 0;
        for (int i = written; ; i++) {
            try {
                store.put(key(i), entry(i, 1, 16));
                added++;
            } catch (StoreFullException full) {
                break;
            }
        }

        assertTrue(added > 0);
        for (int i = 1; i < written; i += 2) {
            StoredEntry e = store.get(key(i));
            assertNotNull(e, "key " + i + " lost");
            assertTrue(e.equals(entry(i, 1, 16)) || e.equals(entry(i, 2, 120)), "key " + i + " holds " + e);
        }
        for (int i = written; i < written + added; i++) {
            assertEquals(entry(i, 1, 16), store.get(key(i)), "key " + i);
        }
        assertEquals(written - (written + 1) / 2 + added, store.size());
        assertTrue(grown + refused == written);
    }

    @Test
    void valuesLargerThanASegmentTierAreKeptOutOfLineWhateverTheSizing() {
        PartitionStore store = store("tiny-map", 1, 2, TINY); // tiers of a few KB: 1 MB would not fit in one
        store.put(key(1), entry(1, 1, 16));
        long small = store.entryBytes();
        for (int mb : new int[] {1, 4, 16}) {
            StoredEntry large = entry(1, mb, mb << 20);
            store.put(key(1), large); // replaces the small value, or the last large one
            assertEquals(large, store.get(key(1)), mb + " MB");
            assertArrayEquals(large.value(), store.getTouched(key(1), 0, 0).value(), mb + " MB, read by a counting map");
            assertTrue(store.entryBytes() >= mb << 20, "the bound counts it: " + store.entryBytes());
            assertTrue(store.offHeapBytes() >= mb << 20, "off-heap bytes count it: " + store.offHeapBytes());
        }
        store.put(key(2), entry(2, 1, 4 << 20));
        Map<String, StoredEntry> seen = new HashMap<>();
        store.forEach((k, e) -> seen.put(new String(k, StandardCharsets.UTF_8), e));
        assertEquals(2, seen.size());
        assertArrayEquals(entry(1, 16, 16 << 20).value(), seen.get(new String(key(1), StandardCharsets.UTF_8)).value());
        assertEquals(entry(2, 1, 4 << 20), seen.get(new String(key(2), StandardCharsets.UTF_8)));
        long[] headerBytes = {0};
        store.forEachHeader((k, expiresAt, writtenAt, access, bytes) -> headerBytes[0] += bytes);
        assertEquals(store.entryBytes(), headerBytes[0], "the headers' sizes count the values out of line");

        assertEquals(entry(2, 1, 4 << 20), store.remove(key(2)), "remove returns the whole value");
        store.put(key(1), entry(1, 99, 16)); // back in line
        assertEquals(entry(1, 99, 16), store.get(key(1)));
        assertEquals(small, store.entryBytes(), "every large value's bytes are given back");
        assertTrue(store.offHeapBytes() < 1 << 20, "and freed: " + store.offHeapBytes());
    }

    @Test
    void readersOfALargeValueBeingReplacedGetAWholeValueEveryTime() throws Exception {
        PartitionStore store = defaultStore();
        int versions = 200;
        store.put(key(1), entry(1, 0, 256 * 1024));
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> reads = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                reads.add(readers.submit(() -> {
                    int n = 0;
                    while (!done.get()) {
                        StoredEntry e = store.get(key(1));
                        assertEquals(entry(1, e.version(), e.value().length), e, "a whole value of one write");
                        n++;
                    }
                    return n;
                }));
            }
            for (int v = 1; v <= versions; v++) {
                store.put(key(1), entry(1, v, (v % 2 == 0 ? 256 : 128) * 1024)); // each frees the last one's block
            }
            done.set(true);
            for (Future<Integer> f : reads) {
                assertTrue(f.get(30, TimeUnit.SECONDS) > 0);
            }
        } finally {
            done.set(true);
            readers.shutdownNow();
        }
        assertEquals(entry(1, versions, 256 * 1024), store.get(key(1)));
    }

    @Test
    void aKeyLargerThanASegmentTierIsRefusedWithoutNamingTheValueSizing() {
        PartitionStore store = store("tiny-map", 1, 2, TINY);
        store.put(key(1), entry(1, 1, 16));
        byte[] hugeKey = new byte[4 << 20];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.put(hugeKey, entry(1, 2, 16)));
        assertTrue(e.getMessage().contains("'tiny-map'") && e.getMessage().contains("partition 1")
                && e.getMessage().contains("averageKeyBytes") && !e.getMessage().contains("averageValueBytes"),
                e.getMessage());
        assertEquals(entry(1, 1, 16), store.get(key(1)));
        assertEquals(1, store.size());
    }

    @Test
    void offHeapBytesGrowWithData() {
        PartitionStore store = store("growing", 0, 1, TINY);
        long empty = store.offHeapBytes();
        assertTrue(empty > 0);

        for (int i = 0; i < 600; i++) { // past the 128-entry main tier
            store.put(key(i), entry(i, 1, 16));
        }

        assertTrue(store.offHeapBytes() > empty, store.offHeapBytes() + " <= " + empty);
    }

    @Test
    void closeFreesTheOffHeapMemoryAndLaterCallsThrowGridClosedException() {
        defaultStore(); // Chronicle initialised before its memory counter is read
        long before = OS.memory().nativeMemoryUsed();
        PartitionStore store = PartitionStore.create("closing", 5, 271, new StoreSizing(1_000_000, 16, 1024));
        store.put(key(1), entry(1, 1, 10));
        long reserved = store.offHeapBytes();
        assertTrue(OS.memory().nativeMemoryUsed() - before >= reserved,
                "Chronicle's native allocations do not include the store's " + reserved + " bytes");

        store.close();
        store.close(); // idempotent

        assertEquals(before, OS.memory().nativeMemoryUsed());
        List<Runnable> calls = List.of(
                () -> store.get(key(1)),
                () -> store.put(key(1), entry(1, 2, 10)),
                () -> store.remove(key(1)),
                () -> store.containsKey(key(1)),
                store::size,
                store::offHeapBytes,
                () -> store.forEach((k, e) -> fail("called on a closed store")),
                store::clear);
        for (Runnable call : calls) {
            GridClosedException e = assertThrows(GridClosedException.class, call::run);
            assertTrue(e.getMessage().contains("'closing'") && e.getMessage().contains("partition 5"), e.getMessage());
        }
    }

    @Test
    void createRejectsAPartitionOutsideTheCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PartitionStore.create("m", 271, 271, StoreSizing.defaults()));
        assertEquals("partition must be in 0..270, was 271", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PartitionStore.create("m", 0, 0, StoreSizing.defaults()));
        assertEquals("partitionCount must be at least 1, was 0", e.getMessage());
    }

    @Test
    void aPartitionIsSizedForTwiceItsShareAndAtLeast128Entries() {
        assertEquals(740, ChronicleSizing.entriesPerPartition(100_000, 271)); // 370 (rounded up) x 2
        assertEquals(7_382, ChronicleSizing.entriesPerPartition(1_000_000, 271));
        assertEquals(128, ChronicleSizing.entriesPerPartition(1, 271));
        assertEquals(128, ChronicleSizing.entriesPerPartition(64, 1));
    }

    @Test
    void segmentsHoldAtLeast1024EntriesAnd256KiloBytes() {
        assertEquals(1, ChronicleSizing.segmentsFor(128, 50));
        assertEquals(1, ChronicleSizing.segmentsFor(740, 24 + 32 + 256)); // the defaults
        assertEquals(1, ChronicleSizing.segmentsFor(2_047, 1_064));
        assertEquals(2, ChronicleSizing.segmentsFor(2_048, 1_064));
        assertEquals(4, ChronicleSizing.segmentsFor(7_382, 16 + 24 + 1_024)); // a million 1 KB values
        assertEquals(1, ChronicleSizing.segmentsFor(10_000, 50)); // 5,243 entries make 256 KB
        assertEquals(32, ChronicleSizing.segmentsFor(400_000, 40)); // 6,554 entries make 256 KB
    }

    @Test
    void storeSizingNamesTheComponentAndValueItRejects() {
        assertEquals("expectedEntries must be at least 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> new StoreSizing(0, 32, 256)).getMessage());
        assertEquals("averageKeyBytes must be at least 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> new StoreSizing(10, 0, 256)).getMessage());
        assertEquals("averageValueBytes must be at least 0, was -1",
                assertThrows(IllegalArgumentException.class, () -> new StoreSizing(10, 32, -1)).getMessage());
        assertEquals(new StoreSizing(100_000, 32, 256), StoreSizing.defaults());
        assertEquals(0, new StoreSizing(1, 1, 0).averageValueBytes());
    }

    @Test
    void storedEntriesCompareByContent() {
        StoredEntry a = new StoredEntry(1, 2, 3, new byte[] {4, 5});
        assertEquals(a, new StoredEntry(1, 2, 3, new byte[] {4, 5}));
        assertEquals(a.hashCode(), new StoredEntry(1, 2, 3, new byte[] {4, 5}).hashCode());
        Set<StoredEntry> different = new HashSet<>(List.of(a, new StoredEntry(1, 2, 3, new byte[] {4, 6}),
                new StoredEntry(9, 2, 3, new byte[] {4, 5}), new StoredEntry(1, 9, 3, new byte[] {4, 5}),
                new StoredEntry(1, 2, 9, new byte[] {4, 5})));
        assertEquals(5, different.size());
        assertThrows(NullPointerException.class, () -> new StoredEntry(1, 2, 3, null));
    }
}
