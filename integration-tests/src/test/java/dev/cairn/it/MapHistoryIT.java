package dev.cairn.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        MapHistory.awaitMore(cluster, 2_000);

        // a graceful leave, and back
        cluster.node("n4").quit(Duration.ofSeconds(60));
        cluster.awaitView(START, "n1", "n2", "n3");
        MapHistory.awaitMore(cluster, 1_000);
        restart(cluster, "n4");
        MapHistory.awaitMore(cluster, 1_000);

        // SIGKILL of a node that is primary of a quarter of the partitions, while its writes are in flight
        cluster.node("n2").kill();
        cluster.awaitView(START, "n1", "n3", "n4");
        MapHistory.awaitMore(cluster, 1_000);
        restart(cluster, "n2");
        MapHistory.awaitMore(cluster, 1_000);

        // a rolling restart of every node, one at a time
        for (String name : NODES) {
            cluster.node(name).quit(Duration.ofSeconds(60));
            List<String> rest = new ArrayList<>(NODES);
            rest.remove(name);
            cluster.awaitView(START, rest.toArray(String[]::new));
            restart(cluster, name);
            MapHistory.awaitMore(cluster, 500);
        }

        for (String name : NODES) {
            cluster.node(name).ask("history stop", "HISTORY stopped", Duration.ofSeconds(90));
        }
        MapIT.awaitSettled(cluster, Duration.ofSeconds(90), NODES.toArray(String[]::new));

        MapHistory.Verdict verdict = MapHistory.judge(cluster, MAP, KEYS, FENCED_KEYS, NODES, 2);
        System.out.println("MapHistoryIT history: " + verdict + "\n" + verdict.table());
        assertTrue(verdict.ops() > 5_000, "a history of thousands of operations: " + verdict);
        assertTrue(verdict.violations().isEmpty(), verdict.report());
    }
}
