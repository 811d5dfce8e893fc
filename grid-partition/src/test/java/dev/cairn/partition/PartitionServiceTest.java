package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.awaitSettled;
import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.cluster;
import static dev.cairn.partition.PartitionTests.join;
import static dev.cairn.partition.PartitionTests.s;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.Fence;
import dev.cairn.MapOptions;
import dev.cairn.StaleFenceException;
import dev.cairn.membership.LoopbackCluster;
import dev.cairn.membership.Member;
import dev.cairn.membership.Status;

@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PartitionServiceTest {

    /** {@code prefix + 0} to {@code prefix + (count - 1)}, as bytes. */
    private static List<byte[]> numbered(String prefix, int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> b(prefix + i)).toList();
    }

    private static void write(ByteMap map, int count) {
        for (int i = 0; i < count; i++) {
            join(map.set(b("key-" + i), b("value-" + i)));
        }
    }

    private static void assertAllReadBack(ByteMap map, int count) {
        for (int i = 0; i < count; i++) {
            assertEquals("value-" + i, s(join(map.get(b("key-" + i)))), "key-" + i);
        }
    }

    @Test
    void valuesWrittenOnOneNodeReadBackOnEveryNode() {
        try (var cluster = cluster(3)) {
            write(cluster.node(0).service().map("m"), 500);
            for (int n = 0; n < 3; n++) {
                assertAllReadBack(cluster.node(n).service().map("m"), 500);
            }
            assertEquals(500L, join(cluster.node(2).service().map("m").size()));
        }
    }

    @Test
    void everyWriteIsOnItsPrimaryAndItsBackup() {
        try (var cluster = cluster(3)) {
            write(cluster.node(1).service().map("m"), 300);
            long held = 0;
            for (int n = 0; n < 3; n++) {
                held += cluster.node(n).service().localEntries("m", false);
            }
            assertEquals(600, held, "one primary and one backup copy of each of 300 keys");
            PartitionTable table = cluster.node(0).service().table(1);
            for (int i = 0; i < 300; i++) {
                int p = cluster.node(0).service().partitionOf(b("key-" + i));
                for (String owner : table.owners(p)) {
                    Node node = cluster.node(Integer.parseInt(owner.substring(1)));
                    MapStores state = node.service().mapState("m");
                    synchronized (state.group.replica(p)) {
                        assertEquals("value-" + i, s(state.stores[p].get(b("key-" + i)).value()), owner + " key-" + i);
                    }
                }
            }
        }
    }

    @Test
    void conditionalOperationsFollowConcurrentMap() {
        try (var cluster = cluster(2)) {
            ByteMap m = cluster.node(0).service().map("cond");
            byte[] k = b("k");
            assertNull(join(m.putIfAbsent(k, b("a"))));
            assertEquals("a", s(join(m.putIfAbsent(k, b("b")))));
            assertEquals("a", s(join(m.replace(k, b("c")))));
            assertNull(join(m.replace(b("absent"), b("x"))));
            assertFalse(join(m.containsKey(b("absent"))));
            assertFalse(join(m.replace(k, b("wrong"), b("d"))));
            assertTrue(join(m.replace(k, b("c"), b("d"))));
            assertEquals("d", s(join(m.put(k, b("e")))));
            assertFalse(join(m.remove(k, b("d"))));
            assertTrue(join(m.containsKey(k)));
            assertTrue(join(m.remove(k, b("e"))));
            assertNull(join(m.get(k)));
            assertNull(join(m.remove(k)));
            join(m.set(k, new byte[0]));
            assertArrayEquals(new byte[0], join(m.get(k)), "an empty value is a value, not absence");
        }
    }

    @Test
    void nullKeysAndValuesAreRefusedBeforeAnythingIsSent() {
        try (var cluster = cluster(1)) {
            ByteMap m = cluster.node(0).service().map("nulls");
            assertTrue(assertThrows(NullPointerException.class, () -> m.get(null)).getMessage().contains("key"));
            assertTrue(assertThrows(NullPointerException.class, () -> m.put(b("k"), null)).getMessage().contains("value"));
            assertThrows(IllegalArgumentException.class, () -> cluster.node(0).service().map(""));
        }
    }

    @Test
    void aCrashedPrimaryLosesNoAcknowledgedWrite() {
        try (var cluster = cluster(3)) {
            ByteMap m = cluster.node(0).service().map("crash");
            write(m, 2000);
            cluster.crash(2);
            cluster.awaitView(0, 1);
            assertAllReadBack(m, 2000);
            awaitSettled(cluster, 1);
            // and the copies were rebuilt: two per key again
            long held = cluster.node(0).service().localEntries("crash", false) + cluster.node(1).service().localEntries("crash", false);
            assertEquals(4000, held);
        }
    }

    @Test
    void aJoiningNodeTakesItsShareAndEveryKeyStillReadsBack() {
        try (var cluster = cluster(4)) {
            cluster.stop(3);
            cluster.awaitView(0, 1, 2);
            ByteMap m = cluster.node(0).service().map("join");
            write(m, 2000);
            cluster.restart(3);
            awaitSettled(cluster, 1);
            int primaries = cluster.node(3).service().table(1).partitionsOwnedBy("n3").size();
            assertTrue(primaries >= 271 / 4.0 * 0.9, "n3 is primary for " + primaries);
            assertAllReadBack(cluster.node(3).service().map("join"), 2000);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                long held = 0;
                for (int n = 0; n < 4; n++) {
                    held += cluster.node(n).service().localEntries("join", false);
                }
                return held == 4000; // old owners dropped what moved away
            });
        }
    }

    @Test
    void aGracefulLeaveHandsOffEvenWithoutBackups() {
        try (var cluster = cluster(3)) {
            ByteMap m = cluster.node(0).service().map("b0-leave");
            write(m, 1000);
            cluster.stop(2);
            cluster.awaitView(0, 1);
            assertAllReadBack(m, 1000);
        }
    }

    @Test
    void aRequestRoutedWithAStaleTableIsToldToRetry() {
        try (var cluster = cluster(2)) {
            PartitionService svc = cluster.node(0).service();
            svc.map("stale");
            PartitionTable table = svc.table(1);
            int p = 0;
            while (!table.primary(p).equals("n1")) {
                p++;
            }
            Member n1 = cluster.membership(1).localMember();
            byte[] request = new Messages.OpRequest(new Op.Set(b("v")), 12345L, "stale", p, b("k"), null,
                    new Invocation(1, 1)).encode();
            byte[] reply = cluster.membership(0).call(n1, Messages.MAP_OP, request, Node.TIMEOUT);
            assertEquals(Status.RETRY.code(), reply[0]);
            assertNull(join(svc.map("stale").get(b("k"))), "the stale request changed nothing");
        }
    }

    @Test
    void batchesGoOnceToEachOwner() {
        try (var cluster = cluster(3)) {
            awaitSettled(cluster, 1);
            ByteMap m = cluster.node(0).service().map("batch");
            List<byte[]> keys = numbered("key-", 1000);
            List<byte[]> values = numbered("value-", 1000);
            long[] batchesBefore = new long[3];
            long[] singlesBefore = new long[3];
            for (int n = 0; n < 3; n++) {
                batchesBefore[n] = cluster.membership(n).requestsHandled(Messages.MAP_BATCH);
                singlesBefore[n] = cluster.membership(n).requestsHandled(Messages.MAP_OP);
            }
            join(m.setAll(keys, values));
            for (int n = 1; n < 3; n++) { // n0 writes its own keys in place
                assertEquals(1, cluster.membership(n).requestsHandled(Messages.MAP_BATCH) - batchesBefore[n],
                        "n" + n + " got the 1,000-key batch's keys in one request");
                assertEquals(0, cluster.membership(n).requestsHandled(Messages.MAP_OP) - singlesBefore[n],
                        "n" + n + " got no key on its own");
            }
            assertEquals(0, cluster.membership(0).requestsHandled(Messages.MAP_BATCH) - batchesBefore[0]);
            List<byte[]> got = join(cluster.node(1).service().map("batch").getAll(keys));
            for (int i = 0; i < 1000; i++) {
                assertEquals("value-" + i, s(got.get(i)));
            }
            assertEquals(500, join(m.removeAll(keys.subList(0, 500))));
            assertEquals(500L, join(m.size()));
            assertNull(join(m.get(b("key-1"))));
        }
    }

    @Test
    void clearEmptiesEveryCopy() {
        try (var cluster = cluster(3)) {
            ByteMap m = cluster.node(0).service().map("clear");
            write(m, 200);
            awaitSettled(cluster, 1);
            join(m.clear());
            assertEquals(0L, join(m.size()));
            for (int n = 0; n < 3; n++) {
                assertEquals(0, cluster.node(n).service().localEntries("clear", false));
            }
        }
    }

    @Test
    void asyncBackupsCatchUpAndReadsFromABackupSeeTheValue() {
        try (var cluster = LoopbackCluster.<Node>start(2, Duration.ofSeconds(2), st -> Node.start(st,
                name -> MapOptions.defaults(1).withAsyncBackups(true).withReadBackups(true)), Node::membership)) {
            ByteMap m = cluster.node(0).service().map("async");
            write(m, 300);
            // with two nodes each holds every partition; the backup copies arrive after the acknowledgements
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.node(0).service().localEntries("async", false)
                    + cluster.node(1).service().localEntries("async", false) == 600);
            ByteMap other = cluster.node(1).service().map("async");
            assertAllReadBack(other, 300); // half of these come from n1's own backup copy
            assertTrue(other.options().readBackups() && other.options().asyncBackups());
        }
    }

    @Test
    void staleFenceIsRejectedAfterFailoverAndAfterAMove() {
        try (var cluster = cluster(4)) {
            cluster.stop(3);
            cluster.awaitView(0, 1, 2);
            awaitSettled(cluster, 1); // a crash while the only complete copy is still being copied would lose it
            ByteMap m = cluster.node(0).service().map("fenced");
            byte[] k = b("job-output");
            join(m.set(k, b("by holder 5"), new Fence("job", 5)));
            java.util.concurrent.ExecutionException stale = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> m.set(k, b("by holder 3"), new Fence("job", 3)).get(30, TimeUnit.SECONDS));
            assertTrue(stale.getCause() instanceof StaleFenceException, stale.getCause().toString());
            assertTrue(stale.getCause().getMessage().contains("below 5"), stale.getCause().getMessage());
            assertEquals("by holder 5", s(join(m.get(k))), "a rejected write changes nothing");
            join(m.set(b("other"), b("x"), new Fence("other-lock", 1))); // fences are per lock

            String primary = cluster.node(0).service().table(1).primary(cluster.node(0).service().partitionOf(k));
            int victim = Integer.parseInt(primary.substring(1));
            cluster.crash(victim);
            int survivor = victim == 0 ? 1 : 0;
            ByteMap after = cluster.node(survivor).service().map("fenced");
            java.util.concurrent.ExecutionException still = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> after.set(k, b("by holder 4"), new Fence("job", 4)).get(30, TimeUnit.SECONDS));
            assertTrue(still.getCause() instanceof StaleFenceException, "the promoted backup knows fence 5: " + still.getCause());

            cluster.restart(3); // the partition may move to the joiner: the fence moves with it
            awaitSettled(cluster, 1);
            ByteMap joined = cluster.node(3).service().map("fenced");
            assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> joined.set(k, b("by holder 4"), new Fence("job", 4)).get(30, TimeUnit.SECONDS));
            join(joined.set(k, b("by holder 6"), new Fence("job", 6)));
            assertEquals("by holder 6", s(join(m.get(k).exceptionally(e -> null).thenCompose(v -> joined.get(k)))));
        }
    }

    /** A fenced write that changes nothing still raises the fence, on the backup too: checked after a failover. */
    @Test
    void aFencedWriteThatChangesNothingStillFencesOutOlderHoldersAfterFailover() {
        try (var cluster = cluster(3)) {
            awaitSettled(cluster, 1);
            ByteMap m = cluster.node(0).service().map("noop-fenced");
            byte[] present = b("present");
            byte[] absent = b("absent");
            join(m.set(present, b("first"), new Fence("job", 1)));
            // each of these raises the fence and writes nothing
            assertEquals("first", s(join(m.putIfAbsent(present, b("second"), new Fence("job", 7)))));
            assertNull(join(m.remove(absent, new Fence("job", 8))));
            assertFalse(join(m.replace(absent, b("x"), b("y"), new Fence("job", 9))));
            assertEquals("first", s(join(m.get(present))));
            assertNull(join(m.get(absent)));

            for (byte[] k : List.of(present, absent)) {
                String primary = cluster.node(0).service().table(1).primary(cluster.node(0).service().partitionOf(k));
                int victim = Integer.parseInt(primary.substring(1));
                cluster.crash(victim);
                int survivor = java.util.stream.IntStream.range(0, 3).filter(n -> n != victim && cluster.running().contains(n))
                        .findFirst().orElseThrow();
                ByteMap after = cluster.node(survivor).service().map("noop-fenced");
                long seen = k == present ? 7 : 9;
                java.util.concurrent.ExecutionException stale = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> after.set(k, b("by an older holder"), new Fence("job", seen - 1)).get(30, TimeUnit.SECONDS));
                assertTrue(stale.getCause() instanceof StaleFenceException,
                        "the promoted backup knows fence " + seen + ": " + stale.getCause());
                cluster.restart(victim);
                awaitSettled(cluster, 1);
            }
        }
    }

    /**
     * A node cut off from the lock group's majority cannot learn of newer fences, so in its own view (where it is
     * primary of everything) it must not accept a fenced write; plain writes stay available there (the map is AP).
     */
    @Test
    void aFencedWriteIsRefusedOnTheSideThatCannotSeeAMajorityOfTheLockGroup() {
        List<String> group = List.of("n0", "n1", "n2");
        try (var cluster = LoopbackCluster.<Node>start(4, Duration.ofSeconds(2),
                st -> Node.start(st, name -> MapOptions.defaults(1).withQuorum(dev.cairn.Quorum.NONE), group),
                Node::membership)) { // a map that takes plain writes on both sides of a split (no quorum of its own)
            ByteMap majority = cluster.node(0).service().map("quorum");
            join(majority.set(b("k"), b("by holder 1"), new Fence("job", 1)));
            awaitSettled(cluster, 1);
            // a key whose partition n2 holds: one it holds no copy of serves nothing there (decision 63)
            byte[] plain = MagicKeys.ownedBy(cluster.node(0).service(), 1, "n2", null, "plain-");
            cluster.isolate(2);
            await().atMost(cluster.patience()).until(() -> cluster.membership(2).view().size() == 1
                    && cluster.membership(0).view().size() == 3);
            PartitionTests.awaitTopology(cluster, 2);
            ByteMap cutOff = cluster.node(2).service().map("quorum");
            java.util.concurrent.ExecutionException refused = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> cutOff.set(b("k"), b("by an old holder"), new Fence("job", 1)).get(30, TimeUnit.SECONDS));
            assertTrue(refused.getCause() instanceof dev.cairn.NoQuorumException, refused.getCause().toString());
            assertTrue(refused.getCause().getMessage().contains("sees 1 of them"), refused.getCause().getMessage());
            join(cutOff.set(plain, b("still writable"))); // unfenced writes stay available on any side
            join(cluster.node(3).service().map("quorum").set(b("k"), b("by holder 2"), new Fence("job", 2)));

            cluster.heal(2);
            cluster.awaitConverged();
            awaitSettled(cluster, 1);
            assertEquals("by holder 2", s(join(cluster.node(2).service().map("quorum").get(b("k")))));
            assertThrows(java.util.concurrent.ExecutionException.class, () -> cluster.node(2).service().map("quorum")
                    .set(b("k"), b("late"), new Fence("job", 1)).get(30, TimeUnit.SECONDS), "healed: stale, not accepted");
        }
    }

    @Test
    void aFencedBatchWritesWhereTheFenceHoldsAndNamesWhereItWasStale() {
        try (var cluster = cluster(3)) {
            ByteMap m = cluster.node(0).service().map("fenced-batch");
            List<byte[]> keys = numbered("key-", 200);
            List<byte[]> values = numbered("old-", 200);
            join(m.setAll(keys, values, new Fence("batch", 3)));
            byte[] newer = keys.get(17);
            join(cluster.node(1).service().map("fenced-batch").set(newer, b("by holder 4"), new Fence("batch", 4)));
            List<byte[]> late = values.stream().map(v -> b("late " + s(v))).toList();
            java.util.concurrent.ExecutionException stale = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> m.setAll(keys, late, new Fence("batch", 3)).get(30, TimeUnit.SECONDS));
            assertTrue(stale.getCause() instanceof StaleFenceException, stale.getCause().toString());
            assertEquals("by holder 4", s(join(m.get(newer))), "the key whose partition saw fence 4 kept its value");
            int p = cluster.node(0).service().partitionOf(newer);
            for (int i = 0; i < 200; i++) {
                String got = s(join(m.get(keys.get(i))));
                if (cluster.node(0).service().partitionOf(keys.get(i)) == p) {
                    assertTrue(got.equals("old-" + i) || got.equals("by holder 4"), "key-" + i + " in the fenced partition: " + got);
                } else {
                    assertEquals("late old-" + i, got, "key-" + i + " elsewhere is written");
                }
            }
            assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> m.removeAll(keys, new Fence("batch", 2)).get(30, TimeUnit.SECONDS));
            assertEquals(200, join(m.removeAll(keys, new Fence("batch", 5))));
        }
    }

    @Test
    void mapsAreIsolatedByName() {
        try (var cluster = cluster(2)) {
            join(cluster.node(0).service().map("a").set(b("k"), b("in a")));
            assertNull(join(cluster.node(1).service().map("b").get(b("k"))));
            assertEquals("in a", s(join(cluster.node(1).service().map("a").get(b("k")))));
        }
    }

    @Test
    void aPrimaryCrashingWhileItsBackupsRebuildLosesNoAcknowledgedWrite() throws Exception {
        try (var cluster = cluster(4)) {
            ByteMap m = cluster.node(0).service().map("rebuild");
            byte[] value = new byte[1024];
            List<CompletableFuture<Void>> fill = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                fill.add(m.set(b("key-" + i), value));
            }
            fill.forEach(PartitionTests::join);
            AckedWriters writers = new AckedWriters(4, 2000, w -> cluster.node(w % 2).service().map("rebuild"));
            await().atMost(Duration.ofSeconds(30)).until(() -> writers.ackedKeys() > 200);
            // a leave starts new backups rebuilding their copies (about 5 MB each here); a primary crashes meanwhile
            cluster.stop(3);
            cluster.crash(2);
            cluster.awaitView(0, 1);
            awaitSettled(cluster, 1);
            int before = writers.ackedKeys();
            await().atMost(Duration.ofSeconds(30)).until(() -> writers.ackedKeys() > before + 200);
            writers.stop();
            assertEquals("", writers.lostOrStale(m, cluster.node(0).service()));
            for (int i = 0; i < 20_000; i++) {
                assertArrayEquals(value, join(m.get(b("key-" + i))), "key-" + i + " was written before the faults");
            }
        }
    }

    @Test
    void acknowledgedWritesSurviveACrashAndAJoinWhileWritersRun() throws Exception {
        try (var cluster = cluster(4)) {
            cluster.stop(3);
            cluster.awaitView(0, 1, 2);
            AckedWriters writers = new AckedWriters(4, 500, w -> cluster.node(w % 2).service().map("live"));
            await().atMost(Duration.ofSeconds(30)).until(() -> writers.ackedKeys() > 500);
            cluster.crash(2);
            cluster.awaitView(0, 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> writers.ackedKeys() > 1000);
            cluster.restart(3);
            awaitSettled(cluster, 1);
            await().atMost(Duration.ofSeconds(30)).until(() -> writers.ackedKeys() > 1500);
            writers.stop();
            assertEquals("", writers.lostOrStale(cluster.node(3).service().map("live"), cluster.node(3).service()));
        }
    }
}
