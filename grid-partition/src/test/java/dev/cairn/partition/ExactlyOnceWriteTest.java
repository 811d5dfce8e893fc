package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.cluster;
import static dev.cairn.partition.PartitionTests.join;
import static dev.cairn.partition.PartitionTests.s;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.Fence;
import dev.cairn.membership.LoopbackCluster;
import dev.cairn.membership.Member;
import dev.cairn.membership.Status;

/** Issue 12, defect 1: a write takes effect once however often it is tried, and every copy agrees with its answer. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExactlyOnceWriteTest {

    private static void awaitSettled(LoopbackCluster<Node> cluster) {
        PartitionTests.awaitSettled(cluster, 1);
    }

    /**
     * A backup that is leaving answers stale, so the primary's caller retries after the primary applied the write.
     * Before invocation ids the retry was decided again: the remove answered null while it had removed a value,
     * putIfAbsent answered the caller's own value, and the fenced write's retry changed nothing and sent nothing, so
     * the next backup never learned the fence.
     */
    @Test
    void aConditionalWriteRetriedAfterABackupRefusedItAnswersItsFirstOutcomeAndEveryCopyAgrees() {
        try (var cluster = cluster(3)) {
            awaitSettled(cluster);
            PartitionService s0 = cluster.node(0).service();
            byte[] removed = MagicKeys.ownedBy(s0, 1, "n0", "n2", "removed-");
            byte[] added = MagicKeys.ownedBy(s0, 1, "n0", "n2", "added-");
            byte[] fenced = MagicKeys.ownedBy(s0, 1, "n0", "n2", "fenced-");
            ByteMap m = cluster.node(1).service().map("once");
            join(m.set(removed, b("v")));
            join(m.set(fenced, b("by holder 1"), new Fence("job", 1)));

            cluster.node(2).service().handOff(); // from now on n2, a backup of all three keys, refuses backup writes
            CompletableFuture<byte[]> remove = m.remove(removed);
            CompletableFuture<byte[]> putIfAbsent = m.putIfAbsent(added, b("mine"));
            CompletableFuture<Void> fencedSet = m.set(fenced, b("by holder 5"), new Fence("job", 5));
            // the primary applied each of them; their callers retry until n2 is out of the view
            await().atMost(Duration.ofSeconds(10)).until(() -> Copies.valueOn(cluster, 0, "once", removed) == null
                    && "mine".equals(Copies.valueOn(cluster, 0, "once", added))
                    && "by holder 5".equals(Copies.valueOn(cluster, 0, "once", fenced)));
            cluster.stop(2);

            assertEquals("v", s(join(remove)), "remove answers the value it removed");
            assertNull(join(putIfAbsent), "putIfAbsent stored the caller's value, so it answers null");
            join(fencedSet);
            awaitSettled(cluster);
            for (int n = 0; n < 2; n++) { // with two nodes left each holds every partition
                assertNull(Copies.valueOn(cluster, n, "once", removed), "n" + n + ": the removed key stays removed");
                assertEquals("mine", Copies.valueOn(cluster, n, "once", added), "n" + n + ": the added key");
                assertEquals("by holder 5", Copies.valueOn(cluster, n, "once", fenced), "n" + n + ": the fenced key");
                assertEquals(5, Copies.fenceOn(cluster, n, "once", fenced, "job"), "n" + n + ": the fence");
            }
        }
    }

    /** The same request sent twice (a retry whose first answer was lost) is applied once. */
    @Test
    void theSameInvocationSentTwiceIsAppliedOnce() {
        try (var cluster = cluster(2)) {
            awaitSettled(cluster);
            PartitionService s0 = cluster.node(0).service();
            byte[] key = MagicKeys.ownedBy(s0, 1, "n1", null, "twice-");
            int p = s0.partitionOf(key);
            Member n1 = cluster.membership(1).localMember();
            long viewKey = s0.engine().topology.key;
            Invocation first = new Invocation(42, 1);
            Invocation second = new Invocation(42, 2);
            byte[] put = new Messages.OpRequest(new Op.Put(b("v1")), viewKey, "twice", p, key, null, first).encode();
            byte[] replace = new Messages.OpRequest(new Op.ReplaceIfEquals(b("v1"), b("v2")), viewKey, "twice", p, key,
                    null, second).encode();
            for (int i = 0; i < 2; i++) {
                Reply r = Reply.decode(cluster.membership(0).call(n1, Messages.MAP_OP, put, Node.TIMEOUT));
                assertEquals(Status.OK, r.status());
                assertNull(r.decision().returned(), "try " + i + ": the put found nothing before it, every time");
            }
            for (int i = 0; i < 2; i++) {
                Reply r = Reply.decode(cluster.membership(0).call(n1, Messages.MAP_OP, replace, Node.TIMEOUT));
                assertTrue(r.decision().flag(), "try " + i + ": the replace applied, and says so every time");
            }
            assertEquals("v2", s(join(s0.map("twice").get(key))));
            assertEquals("v2", Copies.valueOn(cluster, 0, "twice", key), "the backup has it too");
            // a retry after the primary crashed is answered by the promoted backup from its own record
            cluster.crash(1);
            cluster.awaitView(0);
            await().atMost(cluster.patience()).until(() -> s0.settled(1));
            long newView = s0.engine().topology.key;
            byte[] putAgain = new Messages.OpRequest(new Op.Put(b("v1")), newView, "twice", p, key, null, first).encode();
            Reply again = Reply.decode(cluster.membership(0).call(cluster.membership(0).localMember(), Messages.MAP_OP,
                    putAgain, Node.TIMEOUT));
            assertEquals(Status.OK, again.status());
            assertNull(again.decision().returned(), "the promoted backup answers the first outcome");
            assertArrayEquals(b("v2"), join(s0.map("twice").get(key)), "and applies nothing");
        }
    }

    /** Outcomes are kept per partition for a bounded time and count (issue 12, unbounded growth). */
    @Test
    void outcomesAreForgottenAfterTheirRetentionAndBeyondTheBound() {
        Outcomes o = new Outcomes();
        long retention = 1_000;
        for (int i = 0; i < Outcomes.MAX_PER_PARTITION + 100; i++) {
            o.record(new Invocation(1, i), true, null, 0, retention);
        }
        assertEquals(Outcomes.MAX_PER_PARTITION, o.size(), "the oldest beyond the bound are forgotten");
        assertNull(o.get(new Invocation(1, 0)));
        o.expire(retention + 1, retention);
        assertEquals(0, o.size(), "and all once past their retention");
    }
}
