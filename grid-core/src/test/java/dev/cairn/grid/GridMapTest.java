package dev.cairn.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.GridClosedException;
import dev.cairn.SerializationException;
import dev.cairn.membership.LoopbackCluster;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GridMapTest {
    record Order(String id, long cents, List<String> lines) {
    }

    static final class Unregistered {
        final int x = 1;
    }

    private static LoopbackCluster<Grid> cluster(int n) {
        return GridTest.grids(n, b -> b.register(Order.class));
    }

    @Test
    void typedValuesRoundTripBetweenNodes() {
        try (var cluster = cluster(3)) {
            GridMap<String, Order> orders = cluster.node(0).map("orders");
            Order o = new Order("o-1", 1999, List.of("pen", "ink"));
            assertNull(orders.put("o-1", o));
            GridMap<String, Order> elsewhere = cluster.node(2).map("orders");
            assertEquals(o, elsewhere.get("o-1"));
            assertEquals(o, elsewhere.put("o-1", new Order("o-1", 2500, List.of())));
            assertEquals(2500, orders.get("o-1").cents());
            assertTrue(elsewhere.containsKey("o-1"));
            assertEquals(1L, orders.size());
            GridMap<Long, Integer> counts = cluster.node(1).map("counts");
            counts.set(7L, 42);
            assertEquals(42, cluster.node(0).<Long, Integer>map("counts").get(7L));
            assertNull(orders.get("absent"));
        }
    }

    @Test
    void typedValuesOfMegabytesRoundTripAndTheLimitCountsTheirSerializedForm() {
        try (var cluster = cluster(2)) {
            GridMap<String, Order> orders = cluster.node(0).map("large");
            List<String> lines = new java.util.ArrayList<>(java.util.Collections.nCopies(200_000, "a line of an order"));
            Order big = new Order("big", 1, lines);
            orders.set("big", big);
            assertEquals(big, cluster.node(1).<String, Order>map("large").get("big"));
            GridMap<String, byte[]> blobs = cluster.node(1).map("large");
            byte[] atLimit = new byte[dev.cairn.MapOptions.DEFAULT_MAX_VALUE_BYTES - 16]; // with the codec's prefix
            blobs.set("blob", atLimit);
            assertEquals(atLimit.length, cluster.node(0).<String, byte[]>map("large").get("blob").length);
            dev.cairn.ValueTooLargeException e = assertThrows(dev.cairn.ValueTooLargeException.class,
                    () -> blobs.set("over", new byte[dev.cairn.MapOptions.DEFAULT_MAX_VALUE_BYTES]));
            assertTrue(e.getMessage().contains("'large'"), e.getMessage());
            assertNull(blobs.get("over"));
        }
    }

    @Test
    void comparisonsAreOfSerializedBytes() {
        try (var cluster = cluster(2)) {
            GridMap<String, Order> m = cluster.node(0).map("cas");
            Order a = new Order("a", 1, List.of("x"));
            m.set("k", a);
            assertFalse(m.replace("k", new Order("a", 2, List.of("x")), new Order("b", 3, List.of())));
            assertTrue(m.replace("k", new Order("a", 1, List.of("x")), new Order("b", 3, List.of())), "an equal copy has equal bytes");
            assertFalse(m.remove("k", a));
            assertTrue(m.remove("k", new Order("b", 3, List.of())));
            assertNull(m.putIfAbsent("k", a));
            assertEquals(a, m.putIfAbsent("k", new Order("z", 0, List.of())));
            assertEquals(a, m.replace("k", new Order("c", 4, List.of())));
            assertEquals("c", m.remove("k").id());
        }
    }

    @Test
    void asyncAndBatchOperationsAgreeWithTheBlockingOnes() throws Exception {
        try (var cluster = cluster(3)) {
            GridMap<String, String> m = cluster.node(0).map("batch");
            Map<String, String> entries = new LinkedHashMap<>();
            for (int i = 0; i < 500; i++) {
                entries.put("k" + i, "v" + i);
            }
            m.putAllAsync(entries).get(30, TimeUnit.SECONDS);
            GridMap<String, String> other = cluster.node(1).map("batch");
            List<String> keys = new ArrayList<>(entries.keySet());
            keys.add("missing");
            Map<String, String> got = other.getAll(keys);
            assertEquals(entries, got);
            assertEquals("v3", other.getAsync("k3").get(10, TimeUnit.SECONDS));
            assertEquals("v3", other.putAsync("k3", "w3").get(10, TimeUnit.SECONDS));
            assertEquals(250, m.removeAll(keys.subList(0, 250)));
            assertEquals(250L, other.sizeAsync().get(10, TimeUnit.SECONDS));
            m.clear();
            assertEquals(0L, other.size());
        }
    }

    @Test
    void badInputIsRefusedAndLosesNothing() {
        try (var cluster = cluster(2)) {
            GridMap<Object, Object> m = cluster.node(0).map("bad");
            m.set("kept", "safe");
            NullPointerException nk = assertThrows(NullPointerException.class, () -> m.put(null, "v"));
            assertTrue(nk.getMessage().contains("key must not be null (map 'bad')"), nk.getMessage());
            NullPointerException nv = assertThrows(NullPointerException.class, () -> m.set("k", null));
            assertTrue(nv.getMessage().contains("value must not be null"), nv.getMessage());
            SerializationException se = assertThrows(SerializationException.class, () -> m.set("kept", new Unregistered()));
            assertTrue(se.getMessage().contains(Unregistered.class.getName()), se.getMessage());
            assertThrows(SerializationException.class, () -> m.set(new Unregistered(), "v"));
            assertEquals("safe", m.get("kept"), "a refused write changes nothing");
            assertThrows(IllegalArgumentException.class, () -> cluster.node(0).map(""));
            // issue 15: a time to live that is not positive, where one must be
            IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                    () -> m.set("kept", "x", java.time.Duration.ZERO));
            assertTrue(zero.getMessage().contains("ttl must be positive (map 'bad'), was PT0S"), zero.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.put("kept", "x", java.time.Duration.ofSeconds(-1)));
            assertThrows(IllegalArgumentException.class, () -> m.expire("kept", java.time.Duration.ZERO));
            assertEquals("safe", m.get("kept"));
            assertTrue(m.ttl("kept").isEmpty(), "no time to live");
            m.set("kept", "safe", java.time.Duration.ofMinutes(5));
            assertTrue(m.ttl("kept").orElseThrow().compareTo(java.time.Duration.ofMinutes(5)) <= 0);
            assertTrue(m.persist("kept"));
            assertTrue(m.ttl("kept").isEmpty());
        }
    }

    @Test
    void theLastNodeStandingKeepsEveryKey() {
        try (var cluster = cluster(2)) {
            GridMap<String, String> m = cluster.node(1).map("alone");
            for (int i = 0; i < 500; i++) {
                m.set("k" + i, "v" + i);
            }
            cluster.crash(1);
            cluster.awaitView(0);
            GridMap<String, String> survivor = cluster.node(0).map("alone");
            for (int i = 0; i < 500; i++) {
                assertEquals("v" + i, survivor.get("k" + i));
            }
            // the cluster expects two members: alone, the survivor serves reads but refuses writes (issue 13)
            assertThrows(dev.cairn.NoQuorumException.class, () -> survivor.set("after", "crash"));
            assertNull(survivor.get("after"));
            assertEquals(500L, survivor.size());
        }
    }

    @Test
    void metricsCountOperationsHitsMissesAndOwnership() {
        try (var cluster = cluster(2)) {
            Grid g = cluster.node(0);
            GridMap<String, String> m = g.map("metered");
            for (int i = 0; i < 10; i++) {
                m.set("k" + i, "v");
            }
            m.get("k1");
            m.get("absent");
            m.remove("k2");
            io.micrometer.core.instrument.MeterRegistry r = g.config().meterRegistry();
            assertEquals(10.0, r.get("cairn.map.puts").tag("map", "metered").counter().count());
            assertEquals(2.0, r.get("cairn.map.gets").tag("map", "metered").counter().count());
            assertEquals(1.0, r.get("cairn.map.hits").tag("map", "metered").counter().count());
            assertEquals(1.0, r.get("cairn.map.misses").tag("map", "metered").counter().count());
            assertEquals(1.0, r.get("cairn.map.removes").tag("map", "metered").counter().count());
            assertEquals(13, r.get("cairn.map.latency").tag("map", "metered").timer().count());
            double primaries = r.get("cairn.partitions.primary").gauge().value()
                    + cluster.node(1).config().meterRegistry().get("cairn.partitions.primary").gauge().value();
            assertEquals(271.0, primaries, "the two nodes are primary for every partition between them");
            assertTrue(r.get("cairn.map.offheap.bytes").tag("map", "metered").gauge().value() > 0);
        }
    }

    @Test
    void aClosedNodesMapRefusesCallsAndTheOthersKeepTheData() {
        try (var cluster = cluster(3)) {
            Grid closing = cluster.node(2);
            GridMap<String, String> m = closing.map("closing");
            for (int i = 0; i < 300; i++) {
                m.set("k" + i, "v" + i);
            }
            cluster.stop(2);
            GridClosedException e = assertThrows(GridClosedException.class, () -> m.get("k1"));
            assertTrue(e.getMessage().contains("closing") && e.getMessage().contains("n2"), e.getMessage());
            assertThrows(GridClosedException.class, () -> closing.map("other"));
            cluster.awaitView(0, 1);
            GridMap<String, String> survivor = cluster.node(0).map("closing");
            for (int i = 0; i < 300; i++) {
                assertEquals("v" + i, survivor.get("k" + i));
            }
        }
    }
}
