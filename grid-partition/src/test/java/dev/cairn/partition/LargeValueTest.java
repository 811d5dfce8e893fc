package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.MapOptions;
import dev.cairn.ValueTooLargeException;
import dev.cairn.membership.LoopbackCluster;

/**
 * Values of any practical size (issue 22) with default settings: 1, 4 and 16 MB values are stored, replicated, carried
 * through a failover and a migration, written conditionally, and read back whole from every node; a value over the
 * map's limit fails before anything is sent, naming the map, its size and the limit.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LargeValueTest {
    private static final int LIMIT = 1 << 20;

    /** Maps with the default options (one backup), and "limited" with a limit of 1 MB. */
    private static LoopbackCluster<Node> cluster(int n) {
        return LoopbackCluster.start(n, Duration.ofSeconds(2), st -> Node.start(st,
                name -> name.equals("limited") ? MapOptions.defaults(1).withMaxValueBytes(LIMIT)
                        : MapOptions.defaults(1)), Node::membership);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static void assertEveryNodeReads(LoopbackCluster<Node> cluster, Map<byte[], byte[]> values, String when) {
        for (int n : cluster.running()) {
            for (Map.Entry<byte[], byte[]> e : values.entrySet()) {
                byte[] read = join(cluster.node(n).service().map("big").get(e.getKey()));
                assertArrayEquals(e.getValue(), read, "n" + n + " " + when + ": " + e.getValue().length + " bytes");
            }
        }
    }

    /** How many nodes' own copies hold {@code value} under {@code key} of "big", read in place. */
    private static int copiesHolding(LoopbackCluster<Node> cluster, byte[] key, byte[] value) {
        int holding = 0;
        for (int n : cluster.running()) {
            MapStores m = cluster.node(n).service().mapState("big");
            int p = cluster.node(n).service().partitionOf(key);
            synchronized (m.group.replica(p)) {
                StoredEntry e = m.stores[p] == null ? null : m.stores[p].get(key);
                holding += e != null && java.util.Arrays.equals(e.value(), value) ? 1 : 0;
            }
        }
        return holding;
    }

    @Test
    void valuesOfOneFourAndSixteenMegabytesSurviveAFailoverAndAMigrationWhole() {
        try (var cluster = cluster(3)) {
            PartitionTests.awaitSettled(cluster, 1);
            ByteMap m = cluster.node(0).service().map("big");
            Map<byte[], byte[]> values = new LinkedHashMap<>();
            for (int mb : new int[] {1, 4, 16}) {
                byte[] key = MagicKeys.ownedBy(cluster.node(0).service(), 1, "n1", "n2", "big-" + mb + "-");
                values.put(key, random(mb << 20, mb));
                join(m.set(key, values.get(key)));
            }
            assertEveryNodeReads(cluster, values, "as written");

            cluster.crash(1); // every value's primary: n2's backup copies take over
            cluster.awaitView(0, 2);
            assertEveryNodeReads(cluster, values, "after n1's crash");

            cluster.restart(1); // partitions move back to it, values and all
            cluster.awaitView(0, 1, 2);
            PartitionTests.awaitSettled(cluster, 1);
            assertEveryNodeReads(cluster, values, "after n1 rejoined");
            for (Map.Entry<byte[], byte[]> e : values.entrySet()) {
                assertTrue(copiesHolding(cluster, e.getKey(), e.getValue()) >= 2, "a primary and a backup copy, whole"
                        + " (a former owner may keep its copy a while)");
            }
        }
    }

    @Test
    void conditionalWritesCompareAndReturnLargeValuesWhole() {
        try (var cluster = cluster(2)) {
            PartitionTests.awaitSettled(cluster, 1);
            ByteMap m = cluster.node(0).service().map("big");
            byte[] key = "k".getBytes();
            byte[] first = random(4 << 20, 1);
            byte[] second = random(4 << 20, 2);
            assertNull(join(m.putIfAbsent(key, first)));
            assertArrayEquals(first, join(m.putIfAbsent(key, second)), "the value already there, whole");
            assertEquals(false, join(m.replace(key, second, second)), "compared whole: differs");
            assertEquals(true, join(m.replace(key, first, second)));
            assertArrayEquals(second, join(m.put(key, first)), "put returns the previous value whole");
            assertEquals(true, join(cluster.node(1).service().map("big").remove(key, first)));
            assertNull(join(m.get(key)));
        }
    }

    @Test
    void aValueOverTheMapsLimitFailsAtOnceNamingTheMapItsSizeAndTheLimit() {
        try (var cluster = cluster(2)) {
            PartitionTests.awaitSettled(cluster, 1);
            ByteMap m = cluster.node(0).service().map("limited");
            byte[] key = "k".getBytes();
            byte[] atLimit = random(LIMIT, 1);
            join(m.set(key, atLimit));
            ValueTooLargeException e = assertThrows(ValueTooLargeException.class,
                    () -> m.set(key, new byte[LIMIT + 1]));
            assertTrue(e.getMessage().contains("'limited'") && e.getMessage().contains(String.valueOf(LIMIT + 1))
                    && e.getMessage().contains(String.valueOf(LIMIT)), e.getMessage());
            assertThrows(ValueTooLargeException.class, () -> m.putIfAbsent("other".getBytes(), new byte[LIMIT + 1]));
            assertArrayEquals(atLimit, join(m.get(key)), "the stored value is intact");
            assertNull(join(m.get("other".getBytes())), "nothing was stored");
            // the default limit, 16 MB, on a map that does not set one
            assertThrows(ValueTooLargeException.class,
                    () -> cluster.node(0).service().map("big").set(key, new byte[MapOptions.DEFAULT_MAX_VALUE_BYTES + 1]));
        }
    }
}
