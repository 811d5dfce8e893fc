package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.cluster;
import static dev.cairn.partition.PartitionTests.join;
import static dev.cairn.partition.PartitionTests.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.membership.LoopbackCluster;

/**
 * Issue 12's defect 11 for maps: a map's state (a store per partition, its meters) stayed on every node for good.
 * Destroying a map frees it everywhere, and a handle used afterwards finds the map anew, empty.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class DestroyTest {

    private static boolean heldOn(Node n, String map) {
        return n.service().engine().maps.containsKey(map);
    }

    private static int meters(Node n, String map) {
        return n.registry().find("cairn.map.puts").tag("map", map).meters().size()
                + n.registry().find("cairn.map.entries").tag("map", map).meters().size()
                + n.registry().find("cairn.map.latency").tag("map", map).meters().size();
    }

    @Test
    void destroyFreesTheMapOnEveryNodeAndAHandleUsedAfterwardsFindsItEmpty() {
        try (var cluster = cluster(3)) {
            PartitionTests.awaitSettled(cluster, 1);
            long before = PartitionStore.openStores();
            ByteMap m = cluster.node(0).service().map("doomed");
            for (int i = 0; i < 2_000; i++) {
                join(m.set(b("k" + i), b("v" + i)));
            }
            join(cluster.node(2).service().map("kept").set(b("k"), b("stays")));
            assertTrue(PartitionStore.openStores() - before > 271, "writes open a store per partition on each copy");
            for (Node n : nodes(cluster)) {
                assertTrue(heldOn(n, "doomed") && meters(n, "doomed") == 3, "held on " + n.membership().localMember());
            }

            join(cluster.node(1).service().map("doomed").destroy());

            assertEquals(before + 2, PartitionStore.openStores(), "only the other map's two copies are open");
            for (Node n : nodes(cluster)) {
                assertFalse(heldOn(n, "doomed"), "forgotten on " + n.membership().localMember());
                assertEquals(0, meters(n, "doomed"), "meters removed on " + n.membership().localMember());
                assertTrue(heldOn(n, "kept") || meters(n, "kept") == 0, "other maps are left alone");
            }
            assertEquals("stays", s(join(cluster.node(0).service().map("kept").get(b("k")))));

            // the old handle (and any other) finds the map anew, empty, and works as before
            assertNull(join(m.get(b("k7"))));
            assertEquals(0L, join(m.size()));
            join(m.set(b("k7"), b("again")));
            for (Node n : nodes(cluster)) {
                assertEquals("again", s(join(n.service().map("doomed").get(b("k7")))));
            }
            join(m.destroy());
            join(m.destroy()); // idempotent
            assertEquals(before + 2, PartitionStore.openStores());
        }
    }

    /** Writes racing with a destroy survive it or not, but alike on every copy, and no store is left orphaned. */
    @Test
    void writesRacingWithADestroyLeaveEveryCopyAlikeAndNoStoreBehind() throws Exception {
        try (var cluster = cluster(3)) {
            PartitionTests.awaitSettled(cluster, 1);
            long before = PartitionStore.openStores();
            ByteMap m = cluster.node(1).service().map("raced");
            PartitionTests.whileWritersRace(cluster, "raced", 200, () -> {
                for (int round = 0; round < 4; round++) {
                    join(m.destroy());
                }
            });
            assertEquals(0, Copies.differingKeys(cluster, "raced", 200),
                    "keys whose backup copy differs from the primary's after destroys raced writes");
            int survived = 0;
            for (int i = 0; i < 200; i++) {
                byte[] k = b("key-" + i);
                int primary = Copies.index(cluster.node(0).service().table(1).owners(cluster.node(0).service().partitionOf(k)).get(0));
                String held = Copies.valueOn(cluster, primary, "raced", k);
                survived += held == null ? 0 : 1;
                assertEquals(held, s(join(m.get(k))), "a read agrees with the primary's copy");
            }
            assertTrue(survived > 0, "writes after the last destroy are kept");
            join(m.destroy());
            StringBuilder held = new StringBuilder();
            for (Node n : nodes(cluster)) {
                n.service().engine().maps.forEach((name, st) -> {
                    for (int p = 0; p < st.stores.length; p++) {
                        if (st.stores[p] != null) {
                            held.append(n.membership().localMember()).append(' ').append(name).append(" p").append(p)
                                    .append(' ').append(st.group.replica(p).state).append("; ");
                        }
                    }
                });
            }
            assertEquals(before, PartitionStore.openStores(), "every store of the map is closed; held: " + held);
        }
    }

    private static List<Node> nodes(LoopbackCluster<Node> cluster) {
        return cluster.running().stream().map(cluster::node).toList();
    }
}
