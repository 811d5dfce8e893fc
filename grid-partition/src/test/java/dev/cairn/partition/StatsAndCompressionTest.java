package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.join;
import static dev.cairn.partition.PartitionTests.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.EntryOptions;
import dev.cairn.MapOptions;
import dev.cairn.MapStats;
import dev.cairn.membership.LoopbackCluster;

/** A map's statistics on a node and over the cluster, and values compressed above a threshold (issue 15). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatsAndCompressionTest {

    /** Maps "zip*" compress values above 1 KB; "bounded*" hold 64 entries per node; one partition, two nodes. */
    private static LoopbackCluster<Node> cluster(ManualClock clock) {
        PartitionSettings settings = PartitionSettings.of(1, 1, Node.TIMEOUT, name -> {
            MapOptions o = MapOptions.defaults(1).withQuorum(dev.cairn.Quorum.NONE);
            return name.startsWith("zip") ? o.withCompression() : name.startsWith("bounded") ? o.withMaxEntries(64) : o;
        }, List.of()).withClock(clock);
        return LoopbackCluster.start(2, Duration.ofSeconds(2), st -> Node.start(st, settings), Node::membership);
    }

    @Test
    void statsCountHitsMissesEvictionsAndExpirationsHereAndOverTheCluster() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(clock)) {
            ByteMap a = cluster.node(0).service().map("bounded");
            ByteMap b = cluster.node(1).service().map("bounded");
            for (int i = 0; i < 100; i++) { // 64 fit: evictions make room for the rest
                join(a.set(b("k" + i), b("v")));
            }
            join(a.set(b("short"), b("v"), EntryOptions.ttl(Duration.ofSeconds(1))));
            clock.advance(Duration.ofSeconds(2));
            for (int i = 90; i < 100; i++) {
                join(a.get(b("k" + i))); // hits on node 0
            }
            for (int i = 0; i < 5; i++) {
                join(b.get(b("absent" + i))); // misses on node 1
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> a.stats().expirations() + b.stats().expirations() == 1);
            MapStats here = a.stats();
            assertEquals(10, here.gets());
            assertEquals(10, here.hits());
            assertEquals(0, here.misses());
            assertEquals(1.0, here.hitRate());
            assertEquals(101, here.puts());
            assertEquals(10, here.hitLatency().count());
            assertTrue(here.hitLatency().p50Micros() > 0 && here.hitLatency().p99Micros() >= here.hitLatency().p50Micros(),
                    here.hitLatency().toString());
            MapStats all = join(b.clusterStats());
            assertEquals(15, all.gets());
            assertEquals(10, all.hits());
            assertEquals(5, all.misses());
            assertEquals(5, all.missLatency().count());
            assertTrue(all.evictions() > 0, all.toString());
            assertEquals(1, all.expirations());
            assertEquals(all.entries(), all.backupEntries(), "one backup of each entry");
            assertTrue(all.entries() <= 64 && all.entries() > 40, all.toString());
            assertTrue(all.offHeapBytes() > 0);
            // Micrometer has the same figures, and reset clears the stats only
            double hitsMeter = cluster.node(0).registry().find("cairn.map.hits").tag("map", "bounded").counter().count();
            assertEquals(10, hitsMeter);
            a.resetStats();
            assertEquals(0, a.stats().gets());
            assertEquals(0, a.stats().hitLatency().count());
            assertEquals(all.entries(), join(b.clusterStats()).entries(), "entries are as they stand");
            assertEquals(10, cluster.node(0).registry().find("cairn.map.hits").tag("map", "bounded").counter().count());
        }
    }

    @Test
    void valuesAboveTheThresholdAreStoredAndSentCompressedAndReadBackWhole() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(clock)) {
            ByteMap zip = cluster.node(0).service().map("zip");
            ByteMap plain = cluster.node(0).service().map("plain");
            byte[] big = new byte[64 * 1024];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) ("compressible text ".charAt(i % 18));
            }
            join(zip.set(b("big"), big));
            join(plain.set(b("big"), big));
            join(zip.set(b("small"), b("tiny")));
            assertArrayEquals(big, join(cluster.node(1).service().map("zip").get(b("big"))), "read back whole elsewhere");
            assertEquals("tiny", s(join(zip.get(b("small")))));
            long zipped = cluster.node(0).service().mapState("zip").stores[0].entryBytes();
            long stored = cluster.node(0).service().mapState("plain").stores[0].entryBytes();
            assertTrue(zipped < stored / 10, zipped + " bytes stored compressed against " + stored);
            MapStats stats = zip.stats();
            assertEquals(1, stats.compressedValues(), "the small value was not compressed");
            assertTrue(stats.compressionRatio() > 10, "ratio " + stats.compressionRatio());
            // conditional writes compare what a caller wrote, compressed alike
            byte[] other = Arrays.copyOf(big, big.length);
            other[0] = 'X';
            assertTrue(join(zip.replace(b("big"), big, other)));
            assertArrayEquals(other, join(zip.put(b("big"), big)));
            assertTrue(join(zip.remove(b("big"), big)));
            assertNull(join(zip.get(b("big"))));
            // the backup holds the same compressed entries and serves them whole after a failover
            join(zip.set(b("kept"), big));
            cluster.stop(0);
            assertArrayEquals(big, join(cluster.node(1).service().map("zip").get(b("kept"))));
        }
    }
}
