package dev.cairn.partition;

import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.cairn.membership.LoopbackCluster;

/** What the partition engine's cluster tests share: the cluster, bytes to and from strings, waiting on futures. */
final class PartitionTests {
    private PartitionTests() {
    }

    /** {@code n} nodes over loopback with a 2 s failure timeout; maps have one backup unless named b0- or b2-. */
    static LoopbackCluster<Node> cluster(int n) {
        return LoopbackCluster.start(n, Duration.ofSeconds(2), Node::start, Node::membership);
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String s(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** The future's value within 30 s, else the test fails. */
    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Runs {@code action} while writers on nodes 0 to 2 each set {@code key-0} to {@code key-<keys-1>} of {@code map}
     * in turn (failures ignored); returns once they have stopped.
     */
    static void whileWritersRace(LoopbackCluster<Node> cluster, String map, int keys, Runnable action)
            throws InterruptedException {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.List<Thread> writers = new java.util.ArrayList<>();
        for (int w = 0; w < 3; w++) {
            ByteMap m = cluster.node(w).service().map(map);
            int id = w;
            Thread t = new Thread(() -> {
                for (long i = 0; !stop.get(); i++) {
                    m.set(b("key-" + (i % keys)), b("w" + id + "-" + i)).exceptionally(e -> null).join();
                }
            });
            t.start();
            writers.add(t);
        }
        try {
            action.run();
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join(30_000);
            }
        }
    }

    /**
     * Waits until node {@code i}'s partition engine has installed the view its membership sees: views reach the engine
     * on its own thread, so a call made just after the membership changed may still be routed by the view before.
     */
    static void awaitTopology(LoopbackCluster<Node> cluster, int i) {
        await("node " + i + "'s partition table follows its view").atMost(cluster.patience())
                .until(() -> cluster.node(i).service().table(0).viewId() == cluster.membership(i).view().id());
    }

    /** Waits until every running node holds the data of every partition it owns, for maps with {@code backups}. */
    static void awaitSettled(LoopbackCluster<Node> cluster, int backups) {
        cluster.awaitConverged();
        try {
            await().atMost(cluster.patience()).until(() -> cluster.running().stream()
                    .allMatch(i -> cluster.node(i).service().settled(backups)));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not settled: " + unsettled(cluster, backups), e);
        }
    }

    /** Each running node's owned partitions (of maps with {@code backups}) that are not complete, and why. */
    private static String unsettled(LoopbackCluster<Node> cluster, int backups) {
        StringBuilder out = new StringBuilder();
        for (int i : cluster.running()) {
            Engine e = cluster.node(i).service().engine();
            Topology t = e.topology;
            out.append("\n").append(e.self).append(" (view ").append(t == null ? "none" : t.view.id())
                    .append(", missing ").append(t == null ? "?" : e.missingMembers(t)).append("):");
            int shown = 0;
            for (Replica r : e.groups[backups].replicas) {
                synchronized (r) {
                    if (t != null && t.isOwner(backups, r.id) && r.state != Replica.State.COMPLETE && shown++ < 10) {
                        out.append(" p").append(r.id).append('=').append(r.state)
                                .append(r.copiesMissing ? "/waits-for-missing" : "")
                                .append(r.expectedPush != 0 ? "/pulling-from-" + r.incomingFrom : "");
                    }
                }
            }
        }
        return out.toString();
    }
}
