package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Issue 13's merge policies across JVMs: three nodes expecting three, one map per built-in policy, all writable on
 * both sides ({@code Quorum.NONE}); m3 is cut off, both sides write and remove the same keys in a known order, the
 * cut heals, and every node must read what the map's policy keeps (decision 67).
 */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MergePolicyIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration STEP = Duration.ofSeconds(30);
    private static final List<String> NODES = List.of("m1", "m2", "m3");
    private static final List<String> MAPS = List.of("latest", "absent", "through", "discard", "hits");

    /** What each side did to a group of keys while m3 was cut off, in the order the test runs them. */
    private enum Group {
        MINORITY_WROTE_LATER, MAJORITY_WROTE_LATER, MINORITY_ADDED, MINORITY_REMOVED, MAJORITY_REMOVED
    }

    /** What each map must read after the heal, per group ("null": absent). */
    private static final Map<String, Map<Group, String>> EXPECTED = Map.of(
            "latest", Map.of(Group.MINORITY_WROTE_LATER, "minority", Group.MAJORITY_WROTE_LATER, "majority-later",
                    Group.MINORITY_ADDED, "minority", Group.MINORITY_REMOVED, "null", Group.MAJORITY_REMOVED, "null"),
            "absent", Map.of(Group.MINORITY_WROTE_LATER, "majority", Group.MAJORITY_WROTE_LATER, "majority-later",
                    Group.MINORITY_ADDED, "minority", Group.MINORITY_REMOVED, "before", Group.MAJORITY_REMOVED, "null"),
            "through", Map.of(Group.MINORITY_WROTE_LATER, "minority", Group.MAJORITY_WROTE_LATER, "minority",
                    Group.MINORITY_ADDED, "minority", Group.MINORITY_REMOVED, "null", Group.MAJORITY_REMOVED, "null"),
            "discard", Map.of(Group.MINORITY_WROTE_LATER, "majority", Group.MAJORITY_WROTE_LATER, "majority-later",
                    Group.MINORITY_ADDED, "null", Group.MINORITY_REMOVED, "before", Group.MAJORITY_REMOVED, "null"),
            // the minority reads its MINORITY_WROTE_LATER keys twice, nobody reads the others: ties keep the existing
            "hits", Map.of(Group.MINORITY_WROTE_LATER, "minority", Group.MAJORITY_WROTE_LATER, "majority-later",
                    Group.MINORITY_ADDED, "minority", Group.MINORITY_REMOVED, "before", Group.MAJORITY_REMOVED, "null"));

    @Test
    void eachMapKeepsWhatItsPolicyChoosesWhenACutHeals(ProcessCluster cluster) {
        cluster.withNodeArgs("--expected", "3", "--failure-timeout", "3s",
                "--map-quorum", "latest=NONE,absent=NONE,through=NONE,discard=NONE,hits=NONE",
                "--map-merge", "latest=LATEST_UPDATE,absent=PUT_IF_ABSENT,through=PASS_THROUGH,discard=DISCARD,"
                        + "hits=HIGHER_HITS");
        cluster.start(NODES.toArray(String[]::new));
        cluster.awaitView(START, NODES.toArray(String[]::new));
        MapIT.awaitSettled(cluster, START, NODES.toArray(String[]::new));
        NodeProcess majority = cluster.node("m1");
        NodeProcess minority = cluster.node("m3");
        Map<Group, List<String>> keys = groups(majority);

        for (String map : MAPS) {
            for (Group g : Group.values()) {
                if (g != Group.MINORITY_ADDED) {
                    keys.get(g).forEach(k -> majority.ask("put " + map + " " + k + " before", "PREVIOUS", STEP));
                }
            }
        }
        // what m3 holds from before the cut must be older than its side's split time (the failure timeout and a
        // second before m3 saw itself alone), or PASS_THROUGH would take it as written on its side
        long written = System.currentTimeMillis();
        await("the writes before the cut are older than the split").atMost(Duration.ofSeconds(10))
                .until(() -> System.currentTimeMillis() > written + 2_500);

        minority.ask("cut", "CUT", STEP);
        cluster.awaitView(START, "m1", "m2");
        cluster.awaitView(START, "m3");
        for (String map : MAPS) {
            // each ask is a process round trip, so each step is written at a later millisecond than the one before
            write(majority, map, keys.get(Group.MINORITY_WROTE_LATER), "majority");
            write(minority, map, keys.get(Group.MAJORITY_WROTE_LATER), "minority");
            write(minority, map, keys.get(Group.MINORITY_WROTE_LATER), "minority");
            write(minority, map, keys.get(Group.MINORITY_ADDED), "minority");
            write(minority, map, keys.get(Group.MINORITY_REMOVED), null);
            write(majority, map, keys.get(Group.MAJORITY_WROTE_LATER), "majority-later");
            write(majority, map, keys.get(Group.MAJORITY_REMOVED), null);
        }
        for (int i = 0; i < 2; i++) {
            keys.get(Group.MINORITY_WROTE_LATER).forEach(k -> minority.ask("get hits " + k, "VALUE", STEP));
        }

        minority.ask("reconnect", "RECONNECTED", STEP);
        cluster.awaitView(START, NODES.toArray(String[]::new));
        MapIT.awaitSettled(cluster, START, NODES.toArray(String[]::new));

        List<String> wrong = new ArrayList<>();
        for (String node : NODES) {
            for (String map : MAPS) {
                for (Group g : Group.values()) {
                    for (String k : keys.get(g)) {
                        String read = cluster.node(node).ask("get " + map + " " + k, "VALUE", STEP).substring(6);
                        if (!read.equals(EXPECTED.get(map).get(g))) {
                            wrong.add(node + " " + map + " " + g + " " + k + "=" + read);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), wrong, wrong.size() + " reads differ from what the policies keep: " + EXPECTED);
    }

    /**
     * Writes {@code value} to each key (or removes it, for null), retrying while the node's side installs its view
     * (a write there may time out before the partition has a primary on this side; the same write again is harmless).
     */
    private static void write(NodeProcess node, String map, List<String> keys, String value) {
        for (String k : keys) {
            String command = value == null ? "remove " + map + " " + k : "put " + map + " " + k + " " + value;
            await(node.name() + ": " + command).atMost(START).ignoreExceptionsInstanceOf(IllegalStateException.class)
                    .until(() -> node.ask(command, value == null ? "REMOVED" : "PREVIOUS", STEP) != null);
        }
    }

    /** Three keys per group, each in a partition m3 holds a copy of, so both sides of the cut serve it. */
    private static Map<Group, List<String>> groups(NodeProcess node) {
        Map<Group, List<String>> keys = new LinkedHashMap<>();
        int i = 0;
        for (Group g : Group.values()) {
            List<String> some = new ArrayList<>();
            while (some.size() < 3) {
                String k = g.name().toLowerCase() + "-" + i++;
                if (node.ask("owners latest " + k, "OWNERS", STEP).contains("m3")) {
                    some.add(k);
                }
            }
            keys.put(g, some);
        }
        return keys;
    }
}
