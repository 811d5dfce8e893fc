package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.cluster;
import static dev.cairn.partition.PartitionTests.join;
import static dev.cairn.partition.PartitionTests.s;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.membership.LoopbackCluster;

/**
 * What each merge policy keeps when a split heals (issue 13, decision 67): three nodes, node 2 cut off and then
 * reconnected, both sides writing and removing keys meanwhile, the merged map read from every node.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class MergePolicyTest {

    /** What each side did to a group of keys during the split, in this order. */
    private enum Group {
        BOTH_WROTE, ONLY_MINORITY_WROTE, MAJORITY_WROTE_LATER, ONLY_MAJORITY_WROTE, MAJORITY_REMOVED, MINORITY_REMOVED,
        MINORITY_ADDED, MAJORITY_ADDED
    }

    @Test
    void latestUpdateKeepsTheLaterOfTheTwoSidesWritesPerKey() {
        expect("LATEST-", Map.of(Group.BOTH_WROTE, "minority", Group.ONLY_MINORITY_WROTE, "minority",
                Group.MAJORITY_WROTE_LATER, "majority-later", Group.ONLY_MAJORITY_WROTE, "majority",
                Group.MAJORITY_REMOVED, "null", Group.MINORITY_REMOVED, "null", Group.MINORITY_ADDED, "minority",
                Group.MAJORITY_ADDED, "majority"));
    }

    @Test
    void putIfAbsentKeepsTheMajoritysValueWhereBothWroteAndAddsTheMinoritysNewKeys() {
        expect("PUT_IF_ABSENT-", Map.of(Group.BOTH_WROTE, "majority", Group.ONLY_MINORITY_WROTE, "before",
                Group.MAJORITY_WROTE_LATER, "majority-later", Group.ONLY_MAJORITY_WROTE, "majority",
                Group.MAJORITY_REMOVED, "null", Group.MINORITY_REMOVED, "before", Group.MINORITY_ADDED, "minority",
                Group.MAJORITY_ADDED, "majority"));
    }

    @Test
    void passThroughTakesWhatTheMergingSideWroteOrRemovedSinceTheSplit() {
        expect("PASS_THROUGH-", Map.of(Group.BOTH_WROTE, "minority", Group.ONLY_MINORITY_WROTE, "minority",
                Group.MAJORITY_WROTE_LATER, "minority", Group.ONLY_MAJORITY_WROTE, "majority",
                Group.MAJORITY_REMOVED, "null", Group.MINORITY_REMOVED, "null", Group.MINORITY_ADDED, "minority",
                Group.MAJORITY_ADDED, "majority"));
    }

    @Test
    void discardKeepsTheMajoritysCopyAsItIs() {
        expect("DISCARD-", Map.of(Group.BOTH_WROTE, "majority", Group.ONLY_MINORITY_WROTE, "before",
                Group.MAJORITY_WROTE_LATER, "majority-later", Group.ONLY_MAJORITY_WROTE, "majority",
                Group.MAJORITY_REMOVED, "null", Group.MINORITY_REMOVED, "before", Group.MINORITY_ADDED, "null",
                Group.MAJORITY_ADDED, "majority"));
    }

    /**
     * The entry read more often on its side wins; on a tie the larger side's. Where the majority read its value more,
     * it stays even though the minority wrote later (LATEST_UPDATE would take the minority's), and where the minority
     * read its own more, it wins over the majority's later write; a key one side removed and the other did not touch
     * since the split stays as the larger side holds it (a tombstone has no hits).
     */
    @Test
    void higherHitsKeepsTheEntryReadMoreOften() {
        expect("HIGHER_HITS-", Map.of(Group.BOTH_WROTE, "majority", Group.ONLY_MINORITY_WROTE, "minority",
                Group.MAJORITY_WROTE_LATER, "minority", Group.ONLY_MAJORITY_WROTE, "majority",
                Group.MAJORITY_REMOVED, "null", Group.MINORITY_REMOVED, "before", Group.MINORITY_ADDED, "minority",
                Group.MAJORITY_ADDED, "majority"), (keys, majority, minority) -> {
                    read(majority, keys.get(Group.BOTH_WROTE), 3);
                    read(minority, keys.get(Group.BOTH_WROTE), 1);
                    read(minority, keys.get(Group.MAJORITY_WROTE_LATER), 2);
                    read(minority, keys.get(Group.ONLY_MINORITY_WROTE), 1);
                });
    }

    private static void read(ByteMap m, List<String> keys, int times) {
        for (int i = 0; i < times; i++) {
            keys.forEach(k -> join(m.get(b(k))));
        }
    }

    /** Reads made on each side once both sides have written, before the heal. */
    private interface SplitReads {
        void run(Map<Group, List<String>> keys, ByteMap majority, ByteMap minority);
    }

    /**
     * A node paused past the failure timeout comes back with the view it had, which lists every member, while the rest
     * moved on without it: each member is on one side only, so the primary that holds the freshest copy keeps it as the
     * base instead of also setting it aside as another side's copy (found by FaultMatrixIT: after SIGCONT the merged
     * partitions read empty).
     */
    @Test
    void aPausedNodesOldViewMakesItASideOfOne() {
        List<List<String>> newestFirst = List.of(List.of("n1", "n2", "n4", "n5"), List.of("n1", "n2", "n3", "n4", "n5"));
        assertEquals(List.of(java.util.Set.of("n1", "n2", "n4", "n5"), java.util.Set.of("n3")),
                Engine.sidesOfNames(newestFirst));
        assertEquals(List.of(java.util.Set.of("n3", "n4", "n5"), java.util.Set.of("n1", "n2")),
                Engine.sidesOfNames(List.of(List.of("n1", "n2"), List.of("n3", "n4", "n5"))));
    }

    /**
     * Both owners of a partition on the smaller side, the larger side holding only a copy kept from an older ownership
     * (it served nothing of the partition while split): the smaller side's current copy is the partition, not merged
     * into the old one (found by FaultMatrixIT: a quorum map's keys acknowledged before the split read null after it).
     * With both sides current the larger one is the base; with none current every copy counts, as before.
     */
    @Test
    void aSideHoldingOnlyAnOldCopyIsNoSideOfTheMerge() {
        List<java.util.Set<String>> sides = List.of(java.util.Set.of("n3", "n4", "n5"), java.util.Set.of("n1", "n2"));
        List<String> asked = List.of("n1", "n2", "n4", "n5");
        long[] versions = {90, 90, 40, -1};

        boolean[] served = new boolean[4];
        // n3 merges, holding an old copy too: only the small side is current
        assertEquals(null, SplitMerge.plan(sides, "n3", asked, n -> n, new SplitMerge.Copies(versions,
                new boolean[] {true, true, false, false}, served), new SplitMerge.Copy(40, false, false)));
        // both sides current: the larger side is the base, the other merged in
        SplitMerge.Plan<String> both = SplitMerge.plan(sides, "n3", asked, n -> n, new SplitMerge.Copies(versions,
                new boolean[] {true, true, true, false}, served), new SplitMerge.Copy(40, true, false));
        assertEquals(new SplitMerge.Plan<>(null, List.of("n1"), false), both);
        // no copy current (a merge cut short by another view): every copy counts
        SplitMerge.Plan<String> none = SplitMerge.plan(sides, "n4", List.of("n1", "n3"), n -> n,
                new SplitMerge.Copies(new long[] {90, -1}, new boolean[] {false, false}, new boolean[2]),
                new SplitMerge.Copy(40, false, false));
        assertEquals(new SplitMerge.Plan<>(null, List.of("n1"), false), none);
        // of a side's copies alike, its primary's, which counted the reads it served (HIGHER_HITS)
        SplitMerge.Plan<String> primary = SplitMerge.plan(sides, "n3", asked, n -> n, new SplitMerge.Copies(versions,
                new boolean[] {true, true, true, false}, new boolean[] {false, true, false, false}),
                new SplitMerge.Copy(40, true, false));
        assertEquals(new SplitMerge.Plan<>(null, List.of("n2"), false), primary);
    }

    /**
     * Runs the split on map {@code prefix + "map"} and checks every key of every group reads, on every node after the
     * heal, as {@code expected} says ("null": absent).
     */
    private static void expect(String prefix, Map<Group, String> expected) {
        expect(prefix, expected, (keys, majority, minority) -> { });
    }

    private static void expect(String prefix, Map<Group, String> expected, SplitReads reads) {
        String map = prefix + "map";
        try (var cluster = cluster(3)) {
            PartitionTests.awaitSettled(cluster, 1);
            Map<Group, List<String>> keys = groups(cluster);
            ByteMap majority = cluster.node(0).service().map(map);
            for (Group g : Group.values()) {
                if (g != Group.MINORITY_ADDED && g != Group.MAJORITY_ADDED) {
                    keys.get(g).forEach(k -> join(majority.set(b(k), b("before"))));
                }
            }
            // what a side held before the split is not merged as its own: past the failure timeout and the margin
            // for clock skew (Engine.splitSince), what the minority holds from before is known to be from before
            long written = System.currentTimeMillis();
            await().atMost(Duration.ofSeconds(10)).until(() -> System.currentTimeMillis() > written + 3_500);

            cluster.isolate(2);
            await().atMost(cluster.patience()).until(() -> cluster.membership(2).view().size() == 1
                    && cluster.membership(0).view().size() == 2 && cluster.membership(1).view().size() == 2);
            ByteMap minority = cluster.node(2).service().map(map);
            // (a side may retry a write while it installs its view: every call waits for its answer)
            keys.get(Group.BOTH_WROTE).forEach(k -> join(majority.set(b(k), b("majority"))));
            keys.get(Group.MAJORITY_WROTE_LATER).forEach(k -> join(minority.set(b(k), b("minority"))));
            aMillisecondLater();
            keys.get(Group.BOTH_WROTE).forEach(k -> join(minority.set(b(k), b("minority"))));
            keys.get(Group.ONLY_MINORITY_WROTE).forEach(k -> join(minority.set(b(k), b("minority"))));
            keys.get(Group.MINORITY_ADDED).forEach(k -> join(minority.set(b(k), b("minority"))));
            keys.get(Group.MINORITY_REMOVED).forEach(k -> join(minority.remove(b(k))));
            aMillisecondLater();
            keys.get(Group.MAJORITY_WROTE_LATER).forEach(k -> join(majority.set(b(k), b("majority-later"))));
            keys.get(Group.ONLY_MAJORITY_WROTE).forEach(k -> join(majority.set(b(k), b("majority"))));
            keys.get(Group.MAJORITY_ADDED).forEach(k -> join(majority.set(b(k), b("majority"))));
            keys.get(Group.MAJORITY_REMOVED).forEach(k -> join(majority.remove(b(k))));
            reads.run(keys, majority, minority);

            cluster.heal(2);
            cluster.awaitConverged();
            PartitionTests.awaitSettled(cluster, 1);

            List<String> wrong = new ArrayList<>();
            for (int n = 0; n < 3; n++) {
                ByteMap m = cluster.node(n).service().map(map);
                for (Group g : Group.values()) {
                    for (String k : keys.get(g)) {
                        String read = String.valueOf(s(join(m.get(b(k)))));
                        if (!read.equals(expected.get(g))) {
                            wrong.add("n" + n + " " + g + " " + k + "=" + read);
                        }
                    }
                }
            }
            assertEquals(List.of(), wrong.subList(0, Math.min(20, wrong.size())),
                    wrong.size() + " keys read otherwise than " + expected + " after the heal");
            double merged = 0;
            for (int n = 0; n < 3; n++) {
                merged += cluster.node(n).registry().find("cairn.map.merges").tag("map", map).counters().stream()
                        .mapToDouble(c -> c.count()).sum();
            }
            assertTrue(merged > 0, "merged keys are counted in cairn.map.merges");
        }
    }

    private static void aMillisecondLater() {
        long now = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(1))
                .until(() -> System.currentTimeMillis() > now + 1);
    }

    /**
     * Ten keys per group, each in a partition node 2 holds a copy of (so its side serves it while cut off; the rest
     * waits for the missing members, decision 63).
     */
    private static Map<Group, List<String>> groups(LoopbackCluster<Node> cluster) {
        PartitionService s = cluster.node(0).service();
        Map<Group, List<String>> keys = new LinkedHashMap<>();
        int i = 0;
        for (Group g : Group.values()) {
            List<String> some = new ArrayList<>();
            while (some.size() < 10) {
                String k = g.name().toLowerCase() + "-" + i++;
                if (s.table(1).owners(s.partitionOf(b(k))).contains("n2")) {
                    some.add(k);
                }
            }
            keys.put(g, some);
        }
        return keys;
    }
}
