package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.launch.LockDrill;
import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Locks across node JVMs beyond the fault runs of {@link LockIT}: deadlocks of two and three owners on different nodes,
 * with mutexes and read-write locks; a full restart of every lock-group JVM; and leader election with fenced writes,
 * where a leader paused past its session comes back and finds its write rejected.
 */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LockScenariosIT {
    private static final Duration STEP = LockIT.STEP;
    private static final LockDrill DRILL = new LockDrill(STEP);

    private static long held(ProcessCluster cluster, String node, String worker, String lock, String side) {
        return LockDrill.fenceOf(DRILL.held(cluster.node(node), worker, lock, side));
    }

    /**
     * Right after a restart the group may still be electing or replaying its log, and a lock call may fail with no
     * quorum; an application tries again, as this does (the same worker thread re-sends its unanswered command with
     * its invocation id, so it cannot acquire twice).
     */
    private static long heldOnceCommitting(ProcessCluster cluster, String node, String worker, String lock) {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (true) {
            String line = DRILL.hold(cluster.node(node), worker, lock, "mutex");
            if (line.startsWith("HELD")) {
                return LockDrill.fenceOf(line);
            }
            assertTrue(line.contains("NoQuorumException") || line.contains("GridTimeoutException"), node + ": " + line);
            assertTrue(System.nanoTime() < deadline, node + " could not lock within " + STEP + ": " + line);
        }
    }

    private static void release(ProcessCluster cluster, String node, String worker, String lock, String side) {
        DRILL.release(cluster.node(node), worker, lock, side);
    }

    /**
     * A deadlock (see {@link LockDrill#deadlock}: the last owner closes the cycle and must be refused at once, the
     * others wait, then finish in turn), whose refusal must name every lock and node. Returns the detection time in
     * milliseconds, as the victim saw it.
     */
    private static double deadlock(ProcessCluster cluster, String tag, List<String> nodes, List<String> locks,
                                   List<String> holdSides, List<String> askSides) {
        LockDrill.Deadlock d = DRILL.deadlock(cluster, nodes, "w" + tag, locks, holdSides, askSides, cluster.node("c1"));
        for (String lock : locks) {
            assertTrue(d.refused().contains("\"" + lock + "\""), "the cycle names " + lock + ": " + d.refused());
        }
        for (String node : nodes) {
            assertTrue(d.refused().contains(node), "the cycle names " + node + ": " + d.refused());
        }
        return d.detectionMillis();
    }

    @Test
    void deadlocksOfTwoAndThreeOwnersOnDifferentNodesAreRefusedToOneAndTheOthersFinish(ProcessCluster cluster) throws IOException {
        LockIT.startLockCluster(cluster);
        List<Double> detection = new ArrayList<>();
        detection.add(deadlock(cluster, "1", List.of("l1", "c1"), List.of("A", "B"), List.of("mutex", "mutex"),
                List.of("mutex", "mutex")));
        detection.add(deadlock(cluster, "2", List.of("l1", "l2", "c1"), List.of("X", "Y", "Z"),
                List.of("mutex", "mutex", "mutex"), List.of("mutex", "mutex", "mutex")));
        // read-write: a writer waits for a reader that waits for the writer
        detection.add(deadlock(cluster, "3", List.of("l2", "l3"), List.of("R1", "R2"), List.of("write", "read"),
                List.of("write", "read")));
        // read-write, three owners: readers and a writer in a ring
        detection.add(deadlock(cluster, "4", List.of("l1", "l2", "c1"), List.of("P", "Q", "S"),
                List.of("read", "read", "write"), List.of("write", "read", "write")));
        System.out.printf(Locale.ROOT, "deadlock detection (ms, as the victim saw it): %s%n", detection);
    }

    @Test
    void fencesKeepRisingThroughAFullRestartOfEveryLockGroupJvm(ProcessCluster cluster) throws IOException {
        LockIT.startLockCluster(cluster);
        long last = 0;
        for (int i = 0; i < 5; i++) {
            String node = i % 2 == 0 ? "c1" : "l2";
            long fence = held(cluster, node, "w", "f", "mutex");
            assertTrue(fence > last, "fence " + fence + " after " + last);
            last = fence;
            release(cluster, node, "w", "f", "mutex");
        }
        for (String n : LockIT.GROUP) {
            cluster.node(n).kill(); // all at once: nothing is left but each member's fsynced log and snapshot
        }
        cluster.awaitView(STEP, "c1");
        for (String n : LockIT.GROUP) {
            cluster.startNode(n);
        }
        cluster.awaitView(STEP, "l1", "l2", "l3", "c1");
        LockIT.awaitLeader(cluster, LockIT.GROUP);
        for (String node : List.of("c1", "l3", "l1")) {
            long fence = heldOnceCommitting(cluster, node, "after", "f");
            assertTrue(fence > last, node + ": fence " + fence + " after a full restart, but " + last + " before");
            last = fence;
            release(cluster, node, "after", "f", "mutex");
        }
    }

    @Test
    void aLeaderPausedPastItsSessionLosesToANewLeaderAndItsLateWriteIsRejected(ProcessCluster cluster) throws IOException {
        LockIT.startLockCluster(cluster);
        List<String> contenders = LockIT.GROUP;
        for (String n : contenders) {
            cluster.node(n).ask("leader start job jobs owner 200", "LEADERSHIP", STEP);
        }
        String[] first = new String[1];
        await("a first leader").atMost(STEP).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (String n : contenders) {
                if (cluster.node(n).tail(Integer.MAX_VALUE).stream().anyMatch(t -> t.startsWith("WROTE " + n))) {
                    first[0] = n;
                    return true;
                }
            }
            return false;
        });
        NodeProcess old = cluster.node(first[0]);
        long oldFence = LockDrill.fenceOf(old.tail(Integer.MAX_VALUE).stream().filter(t -> t.startsWith("LEADER ")).findFirst().orElseThrow());
        old.pause(); // past its 3 s session: the lock, and the leadership, go to another contender
        String[] second = new String[1];
        long[] newFence = new long[1];
        await("a new leader while " + first[0] + " is frozen").atMost(STEP).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (String n : contenders) {
                if (n.equals(first[0])) {
                    continue;
                }
                for (String t : cluster.node(n).tail(Integer.MAX_VALUE)) {
                    if (t.startsWith("WROTE " + n)) {
                        second[0] = n;
                        newFence[0] = LockDrill.fenceOf(t);
                        return true;
                    }
                }
            }
            return false;
        });
        assertTrue(newFence[0] > oldFence, "new leader's fence " + newFence[0] + " after " + oldFence);
        int resumedAt = old.mark();
        old.resume();
        String fenced = old.awaitLine(resumedAt, t -> t.startsWith("FENCED " + first[0]) || t.startsWith("WROTE " + first[0]), STEP).text();
        assertTrue(fenced.startsWith("FENCED " + first[0] + " fence=" + oldFence), "the old leader's late write: " + fenced);
        // what the key holds is the new leader's, and the old leader wrote nothing after it resumed
        String value = cluster.node("c1").ask("get jobs owner", "VALUE", STEP); // VALUE <node> #<n> fence <f>
        String[] v = value.split(" ");
        assertTrue(!v[1].equals(first[0]) && Long.parseLong(v[4]) > oldFence, "written by a later leader: " + value);
        assertEquals(List.of(), old.tail(Integer.MAX_VALUE).subList(resumedAt, old.mark()).stream()
                .filter(t -> t.startsWith("WROTE " + first[0] + " fence=" + oldFence)).toList());
        for (String n : contenders) {
            cluster.node(n).ask("leader stop", "LEADERSHIP", STEP);
        }
    }
}
