package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/** The partitioned map across node JVMs on 127.0.0.1: kills, joins, and acknowledged writes checked key by key. */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class MapIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration LONG = Duration.ofSeconds(180);
    private static final Pattern PARTITIONS = Pattern.compile("PARTITIONS primary=(\\d+) backup=(\\d+) of=(\\d+) settled=(\\w+)");
    private static final Pattern NUMBERS = Pattern.compile("(\\w+)=(\\d+)");

    static String ask(NodeProcess node, String command, String keyword, Duration timeout) {
        return node.ask(command, keyword, timeout);
    }

    static Map<String, Long> numbers(String line) {
        Map<String, Long> out = new java.util.HashMap<>();
        Matcher m = NUMBERS.matcher(line);
        while (m.find()) {
            out.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return out;
    }

    /** Waits until every named node holds all it owns; returns each node's primary count. */
    static Map<String, Integer> awaitSettled(ProcessCluster cluster, Duration timeout, String... names) {
        Map<String, Integer> primaries = new java.util.TreeMap<>();
        await("partitions settled on " + List.of(names)).atMost(timeout).pollInterval(Duration.ofMillis(250)).until(() -> {
            boolean settled = true;
            for (String name : names) {
                Matcher m = PARTITIONS.matcher(ask(cluster.node(name), "partitions", "PARTITIONS", Duration.ofSeconds(10)));
                assertTrue(m.find());
                primaries.put(name, Integer.parseInt(m.group(1)));
                settled &= m.group(4).equals("true");
            }
            return settled;
        });
        return primaries;
    }

    @Test
    void aHundredThousandKeysSurviveAKillAndFourNodesShareThePartitions(ProcessCluster cluster) {
        cluster.start("n1", "n2", "n3");
        cluster.awaitView(START, "n1", "n2", "n3");
        String filled = ask(cluster.node("n1"), "fill data 0 100000 100", "FILLED", LONG);
        assertTrue(filled.startsWith("FILLED 100000"), filled);

        cluster.node("n3").kill();
        cluster.awaitView(Duration.ofSeconds(10), "n1", "n2");
        Map<String, Long> afterKill = numbers(ask(cluster.node("n2"), "check data 0 100000 100", "CHECKED", LONG));
        assertEquals(Map.of("ok", 100000L, "missing", 0L, "wrong", 0L), Map.of("ok", afterKill.get("ok"),
                "missing", afterKill.get("missing"), "wrong", afterKill.get("wrong")));

        cluster.startNode("n3");
        cluster.start("n4");
        long joined = System.nanoTime();
        cluster.awaitView(START, "n1", "n2", "n3", "n4");
        Map<String, Integer> primaries = awaitSettled(cluster, Duration.ofSeconds(30)
                .minusNanos(System.nanoTime() - joined).plusSeconds(1), "n1", "n2", "n3", "n4");
        for (Map.Entry<String, Integer> e : primaries.entrySet()) {
            double share = e.getValue() / 271.0;
            assertTrue(share >= 0.25 * 0.9 && share <= 0.25 * 1.1, e.getKey() + " owns " + e.getValue() + " of 271 primaries: " + primaries);
        }
        Map<String, Long> afterJoin = numbers(ask(cluster.node("n4"), "check data 0 100000 100", "CHECKED", LONG));
        assertEquals(100000L, afterJoin.get("ok"), "after the join: " + afterJoin);
        assertEquals("SIZE 100000", ask(cluster.node("n3"), "size data", "SIZE", Duration.ofSeconds(30)));

        // destroyed from one node, the map is gone from every node's memory; a handle used again finds it empty
        for (String n : List.of("n1", "n2", "n3", "n4")) {
            String held = ask(cluster.node(n), "stores data", "STORES", Duration.ofSeconds(10));
            assertTrue(Integer.parseInt(held.substring("STORES ".length())) > 100, n + " holds its copies: " + held);
        }
        assertEquals("DESTROYED data", ask(cluster.node("n2"), "destroy data", "DESTROYED", Duration.ofSeconds(30)));
        for (String n : List.of("n1", "n2", "n3", "n4")) {
            assertEquals("STORES 0", ask(cluster.node(n), "stores data", "STORES", Duration.ofSeconds(10)), n);
        }
        assertEquals("SIZE 0", ask(cluster.node("n4"), "size data", "SIZE", Duration.ofSeconds(30)));
        assertEquals("VALUE null", ask(cluster.node("n1"), "get data k-7", "VALUE", Duration.ofSeconds(10)));
    }

    @Test
    void acknowledgedWritesSurviveAKillAndAJoinWhileWritersRun(ProcessCluster cluster) {
        cluster.start("w1", "w2", "w3");
        cluster.awaitView(START, "w1", "w2", "w3");
        NodeProcess writer = cluster.node("w1");
        ask(writer, "history start live 8 2000 0 200", "HISTORY", Duration.ofSeconds(10));
        MapHistory.awaitMore(cluster, 3_000);

        cluster.node("w3").kill();
        cluster.awaitView(Duration.ofSeconds(10), "w1", "w2");
        MapHistory.awaitMore(cluster, 3_000);

        cluster.start("w4");
        cluster.awaitView(START, "w1", "w2", "w4");
        awaitSettled(cluster, Duration.ofSeconds(60), "w1", "w2", "w4");
        MapHistory.awaitMore(cluster, 3_000);

        ask(writer, "history stop", "HISTORY stopped", Duration.ofSeconds(90));
        MapHistory.Verdict verdict = MapHistory.judge(cluster, "live", 2000, 0, List.of("w1", "w2", "w4"), 2);
        assertTrue(verdict.present() > 1000, verdict.toString());
        assertTrue(verdict.violations().isEmpty(), verdict.report());
    }

}
