package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.join;
import static dev.cairn.partition.PartitionTests.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.EntryOptions;
import dev.cairn.EvictionPolicy;
import dev.cairn.MapFullException;
import dev.cairn.MapOptions;
import dev.cairn.Priority;
import dev.cairn.membership.LoopbackCluster;

/**
 * Bounded maps (issue 15): one partition, so that a node's share of the bound is the whole bound and which entries go
 * can be told exactly; two nodes, the primary's evictions replicated to the backup. Time is an injected clock moved a
 * second between steps, so that last accesses differ.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EvictionTest {
    private static final int BOUND = 32;

    /** Each map is bounded to 32 entries per node under the policy its name starts with ("bytes" is bounded in bytes). */
    private static LoopbackCluster<Node> cluster(ManualClock clock) {
        PartitionSettings settings = PartitionSettings.of(1, 1, Node.TIMEOUT, name -> {
            MapOptions o = MapOptions.defaults(1).withQuorum(dev.cairn.Quorum.NONE);
            if (name.startsWith("bytes")) {
                return o.withMaxBytes(BOUND * 200L);
            }
            return o.withMaxEntries(BOUND).withEvictionPolicy(EvictionPolicy.of(name.substring(0, name.indexOf('.'))));
        }, List.of()).withClock(clock);
        return LoopbackCluster.start(2, Duration.ofSeconds(2), st -> Node.start(st, settings), Node::membership);
    }

    /** The keys node {@code n}'s copy holds of {@code map}. */
    private static TreeSet<String> held(LoopbackCluster<Node> cluster, int n, String map) {
        TreeSet<String> keys = new TreeSet<>();
        cluster.node(n).service().forEachHeldEntry(map, (k, v) -> keys.add(s(k)));
        return keys;
    }

    private static String k(int i) {
        return String.format("k%02d", i);
    }

    /** Fills {@code map} to its bound, a second apart; then reads the first half, a second apart. */
    private static ByteMap fillAndReadFirstHalf(LoopbackCluster<Node> cluster, ManualClock clock, String map) {
        ByteMap m = cluster.node(0).service().map(map);
        for (int i = 0; i < BOUND; i++) {
            join(m.set(b(k(i)), b("v")));
            clock.advance(Duration.ofSeconds(1));
        }
        for (int i = 0; i < BOUND / 2; i++) {
            join(m.get(b(k(i))));
            clock.advance(Duration.ofSeconds(1));
        }
        return m;
    }

    /**
     * Writes {@code prefix0}, {@code prefix1}... until the map refuses one with {@link MapFullException} naming the map
     * and its bound; returns the refused key.
     */
    private static String fillUntilRefused(ByteMap m, String prefix, EntryOptions options) {
        for (int i = 0; i < 200; i++) {
            String key = prefix + i;
            try {
                m.set(b(key), b("v"), options).get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof MapFullException, e.getCause().toString());
                assertTrue(e.getCause().getMessage().contains("map '" + m.name() + "' is full")
                        && e.getCause().getMessage().contains(BOUND + " entries")
                        && e.getCause().getMessage().contains("nothing was written"), e.getCause().getMessage());
                return key;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("never refused");
    }

    private static void assertCopiesAlike(LoopbackCluster<Node> cluster, String map) {
        PartitionTests.awaitSettled(cluster, 1);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> held(cluster, 0, map).equals(held(cluster, 1, map)));
    }

    @Test
    void lruEvictsTheEntriesUnusedLongestAndTheBackupHoldsTheSame() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(clock)) {
            ByteMap m = fillAndReadFirstHalf(cluster, clock, "lru.m");
            join(m.set(b("new"), b("v")));
            // down to 15/16 of the bound and then the new key: k16..k17 (written first, never read) go
            TreeSet<String> expected = new TreeSet<>();
            for (int i = 0; i < BOUND; i++) {
                if (i != 16 && i != 17) {
                    expected.add(k(i));
                }
            }
            expected.add("new");
            assertEquals(expected, held(cluster, 0, "lru.m"));
            assertCopiesAlike(cluster, "lru.m");
            double evicted = cluster.node(0).registry().find("cairn.map.evictions").counter().count()
                    + cluster.node(1).registry().find("cairn.map.evictions").counter().count();
            assertEquals(2, evicted);
        }
    }

    @Test
    void lfuEvictsTheEntriesReadLeastOften() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(clock)) {
            ByteMap m = fillAndReadFirstHalf(cluster, clock, "lfu.m");
            for (int i = 0; i < BOUND; i++) {
                if (i != 20 && i != 30) { // every key read again but these two, which are read once only before
                    join(m.get(b(k(i))));
                }
            }
            join(m.get(b(k(20))));
            join(m.get(b(k(30))));
            // hits now: k00..k15 2, k16..k31 1 (k20, k30 too, but read last: LRU would keep them); the lowest go, the
            // longest unread first among equals
            join(m.set(b("new"), b("v")));
            TreeSet<String> gone = new TreeSet<>();
            for (int i = 0; i < BOUND; i++) {
                if (!held(cluster, 0, "lfu.m").contains(k(i))) {
                    gone.add(k(i));
                }
            }
            assertEquals(2, gone.size(), "down to 15/16 of the bound: " + gone);
            for (String g : gone) {
                assertTrue(g.compareTo(k(16)) >= 0, "only keys read once go: " + gone);
            }
            assertCopiesAlike(cluster, "lfu.m");
        }
    }

    @Test
    void volatilePoliciesTakeOnlyEntriesWithATimeToLiveAndRefuseWhenThereAreNone() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(clock)) {
            ByteMap m = cluster.node(0).service().map("volatile_lru.m");
            for (int i = 0; i < BOUND; i++) {
                join(m.set(b(k(i)), b("v"), i < 4 ? EntryOptions.ttl(Duration.ofHours(1)) : EntryOptions.DEFAULT));
                clock.advance(Duration.ofSeconds(1));
            }
            join(m.set(b("new"), b("v")));
            TreeSet<String> held = held(cluster, 0, "volatile_lru.m");
            assertTrue(!held.contains(k(0)) && !held.contains(k(1)) && held.contains(k(4)), "the oldest with a TTL: " + held);
            String refused = fillUntilRefused(m, "more", EntryOptions.DEFAULT);
            assertNull(join(m.get(b(refused))), "nothing written");
            held = held(cluster, 0, "volatile_lru.m");
            assertEquals(BOUND, held.size(), "nothing stored was lost: " + held);
            for (int i = 4; i < BOUND; i++) {
                assertTrue(held.contains(k(i)), k(i) + " has no time to live: never evicted");
            }
        }
    }

    @Test
    void lowerPrioritiesGoFirstAndCriticalEntriesNever() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(clock)) {
            ByteMap m = cluster.node(0).service().map("lru.p");
            for (int i = 0; i < BOUND; i++) {
                Priority p = i < 8 ? Priority.CRITICAL : i < 16 ? Priority.HIGH : i < 24 ? Priority.NORMAL : Priority.LOW;
                join(m.set(b(k(i)), b("v"), EntryOptions.priority(p)));
                clock.advance(Duration.ofSeconds(1));
            }
            join(m.set(b("n0"), b("v"))); // the LOW ones go first, although written last
            TreeSet<String> held = held(cluster, 0, "lru.p");
            assertTrue(!held.contains(k(24)) && !held.contains(k(25)) && held.contains(k(16)), held.toString());
            // CRITICAL entries until only CRITICAL ones are left: then the map refuses
            String refused = fillUntilRefused(m, "c", EntryOptions.priority(Priority.CRITICAL));
            for (int i = 0; i < 8; i++) {
                assertEquals("v", s(join(m.get(b(k(i))))), k(i) + " is CRITICAL: never evicted");
            }
            assertNull(join(m.get(b(refused))));
            assertEquals(BOUND, held(cluster, 0, "lru.p").size());
            assertCopiesAlike(cluster, "lru.p");
        }
    }

    @Test
    void policyNoneRefusesAWritePastTheBoundAndKeepsEverything() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(clock)) {
            ByteMap m = cluster.node(0).service().map("none.m");
            for (int i = 0; i < BOUND; i++) {
                join(m.set(b(k(i)), b("v")));
            }
            ExecutionException full = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> m.set(b("over"), b("v")).get(10, TimeUnit.SECONDS));
            assertTrue(full.getCause() instanceof MapFullException, full.getCause().toString());
            assertTrue(full.getCause().getMessage().contains("map 'none.m' is full")
                    && full.getCause().getMessage().contains("nothing was written"), full.getCause().getMessage());
            join(m.set(b(k(3)), b("overwritten"))); // a key already there may be written
            assertEquals("overwritten", s(join(m.get(b(k(3))))));
            assertEquals(BOUND, held(cluster, 0, "none.m").size());
            assertCopiesAlike(cluster, "none.m");
        }
    }

    @Test
    void aByteBoundCountsKeysValuesAndHeaders() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(clock)) {
            ByteMap m = cluster.node(0).service().map("bytes.m");
            List<String> written = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                join(m.set(b(k(i)), new byte[100])); // 3 + 32 + 100 = 135 bytes an entry
                written.add(k(i));
                clock.advance(Duration.ofSeconds(1));
            }
            long bytes = cluster.node(0).service().mapState("bytes.m").stores[0].entryBytes();
            assertTrue(bytes <= BOUND * 200L, bytes + " bytes held, bound " + BOUND * 200);
            assertTrue(bytes > BOUND * 200L * 3 / 4, "and not far below it: " + bytes);
            assertTrue(held(cluster, 0, "bytes.m").contains(k(99)), "the newest stay");
            assertCopiesAlike(cluster, "bytes.m");
        }
    }
}
