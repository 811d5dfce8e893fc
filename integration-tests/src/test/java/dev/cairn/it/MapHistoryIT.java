package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Issue 12's history test: plain, conditional and fenced writes from every node of a four-JVM cluster through a
 * graceful leave, a SIGKILL of a primary and a rolling restart of every node; then every copy of every key and every
 * answer are judged here, in the test JVM ({@link MapHistory}).
 */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class MapHistoryIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final String MAP = "hist";
    private static final int KEYS = 60;
    private static final int FENCED_KEYS = 12;
    private static final List<String> NODES = List.of("n1", "n2", "n3", "n4");

    private static void startHistory(NodeProcess node) {
        node.ask("history start " + MAP + " 2 " + KEYS + " " + FENCED_KEYS + " 150", "HISTORY", Duration.ofSeconds(30));
    }

    /** Waits until the cluster's history has at least {@code more} operations beyond what it has now. */
    private static void awaitMoreOps(ProcessCluster cluster, int more) {
        int now = MapHistory.of(cluster).size();
        await("history grows by " + more).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> MapHistory.of(cluster).size() >= now + more);
    }

    private static void restart(ProcessCluster cluster, String name) {
        NodeProcess p = cluster.startNode(name);
        p.awaitReady(START);
        cluster.awaitView(START, NODES.toArray(String[]::new));
        startHistory(p);
    }

    @Test
    void everyAnswerAndEveryCopyAgreeThroughLeavesKillsAndARollingRestart(ProcessCluster cluster) {
        cluster.start(NODES.toArray(String[]::new));
        cluster.awaitView(START, NODES.toArray(String[]::new));
        NODES.forEach(n -> startHistory(cluster.node(n)));
        awaitMoreOps(cluster, 2_000);

        // a graceful leave, and back
        cluster.node("n4").quit(Duration.ofSeconds(60));
        cluster.awaitView(START, "n1", "n2", "n3");
        awaitMoreOps(cluster, 1_000);
        restart(cluster, "n4");
        awaitMoreOps(cluster, 1_000);

        // SIGKILL of a node that is primary of a quarter of the partitions, while its writes are in flight
        cluster.node("n2").kill();
        cluster.awaitView(START, "n1", "n3", "n4");
        awaitMoreOps(cluster, 1_000);
        restart(cluster, "n2");
        awaitMoreOps(cluster, 1_000);

        // a rolling restart of every node, one at a time
        for (String name : NODES) {
            cluster.node(name).quit(Duration.ofSeconds(60));
            List<String> rest = new ArrayList<>(NODES);
            rest.remove(name);
            cluster.awaitView(START, rest.toArray(String[]::new));
            restart(cluster, name);
            awaitMoreOps(cluster, 500);
        }

        for (String name : NODES) {
            cluster.node(name).ask("history stop", "HISTORY stopped", Duration.ofSeconds(90));
        }
        MapIT.awaitSettled(cluster, Duration.ofSeconds(90), NODES.toArray(String[]::new));

        Map<String, String> finals = new HashMap<>();
        NodeProcess reader = cluster.node("n1");
        int mark = reader.mark();
        reader.ask("history read " + MAP + " " + KEYS + " " + FENCED_KEYS, "READ", Duration.ofSeconds(60));
        for (String line : reader.tail(Integer.MAX_VALUE).subList(mark, reader.mark())) {
            if (line.startsWith("FINAL ")) {
                String[] w = line.split(" ");
                finals.put(w[1], w[2].equals("null") ? null : w[2]);
            }
        }
        assertEquals(KEYS + FENCED_KEYS, finals.size(), "every key read back");
        Map<String, List<String>> copies = new HashMap<>();
        for (String name : NODES) {
            NodeProcess p = cluster.node(name);
            int from = p.mark();
            p.ask("dump " + MAP, "DUMPED", Duration.ofSeconds(60));
            for (String line : p.tail(Integer.MAX_VALUE).subList(from, p.mark())) {
                if (line.startsWith("COPY ")) {
                    String[] w = line.split(" ");
                    copies.computeIfAbsent(w[1], k -> new ArrayList<>()).add(w[2]);
                }
            }
        }

        List<MapHistory.Op> ops = MapHistory.of(cluster);
        Map<String, Long> counts = MapHistory.counts(ops);
        System.out.println("MapHistoryIT history: " + counts + ", keys present at the end: "
                + finals.values().stream().filter(v -> v != null).count() + " of " + finals.size());
        assertTrue(ops.size() > 5_000, "a history of thousands of operations: " + counts);
        List<String> violations = MapHistory.check(ops, finals, copies, 2);
        assertTrue(violations.isEmpty(), violations.size() + " violations, first: "
                + violations.subList(0, Math.min(20, violations.size())) + "\n" + counts);
    }
}
