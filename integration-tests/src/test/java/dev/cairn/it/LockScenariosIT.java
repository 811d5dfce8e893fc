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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

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
    private static final Pattern FENCE = Pattern.compile(".* fence=(\\d+).*");

    /** Asks a worker on {@code node} to acquire; returns the console mark from which to await its answer. */
    private static int ask(ProcessCluster cluster, String node, String worker, String lock, String side) {
        NodeProcess p = cluster.node(node);
        int mark = p.mark();
        p.ask("hold " + worker + " " + lock + " " + side, "ASKED", STEP);
        return mark;
    }

    private static String answer(ProcessCluster cluster, String node, int mark, String worker, String lock) {
        return cluster.node(node).awaitLine(mark, t -> t.matches("(HELD|DEADLOCK|FAILED) " + worker + " " + lock + " .*"), STEP).text();
    }

    private static long held(ProcessCluster cluster, String node, String worker, String lock, String side) {
        String line = answer(cluster, node, ask(cluster, node, worker, lock, side), worker, lock);
        assertTrue(line.startsWith("HELD"), node + ": " + line);
        Matcher m = FENCE.matcher(line);
        assertTrue(m.matches(), line);
        return Long.parseLong(m.group(1));
    }

    /**
     * Right after a restart the group may still be electing or replaying its log, and a lock call may fail with no
     * quorum; an application tries again, as this does (the same worker thread re-sends its unanswered command with
     * its invocation id, so it cannot acquire twice).
     */
    private static long heldOnceCommitting(ProcessCluster cluster, String node, String worker, String lock) {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (true) {
            String line = answer(cluster, node, ask(cluster, node, worker, lock, "mutex"), worker, lock);
            if (line.startsWith("HELD")) {
                return fenceOf(line);
            }
            assertTrue(line.contains("NoQuorumException") || line.contains("GridTimeoutException"), node + ": " + line);
            assertTrue(System.nanoTime() < deadline, node + " could not lock within " + STEP + ": " + line);
        }
    }

    private static void release(ProcessCluster cluster, String node, String worker, String lock, String side) {
        NodeProcess p = cluster.node(node);
        int mark = p.mark();
        p.send("release " + worker + " " + lock + " " + side);
        String line = p.awaitLine(mark, t -> t.matches("(RELEASED|FAILED) " + worker + " " + lock + ".*"), STEP).text();
        assertTrue(line.startsWith("RELEASED"), node + ": " + line);
    }

    /** Waits until the group lists an owner on {@code node} among the waiters of {@code lock}. */
    private static void awaitWaiting(ProcessCluster cluster, String node, String lock) {
        await(node + " waits for " + lock).atMost(STEP).pollInterval(Duration.ofMillis(100)).until(() -> {
            String line = cluster.node("c1").ask("lockstate " + lock, "LOCKSTATE", STEP);
            return line.substring(line.indexOf("waiters=")).contains(node + "/");
        });
    }

    /**
     * A deadlock: each owner i takes {@code locks[i]} (its {@code holdSides[i]} side), then each but the last asks for
     * the next one's lock (its {@code askSides[i]} side) and waits; the last closes the cycle and must be refused with a
     * DeadlockException naming every lock and node, while the others keep waiting. When the victim backs off, the
     * others finish in turn. Returns the detection time in milliseconds, as the victim saw it.
     */
    private static double deadlock(ProcessCluster cluster, String tag, List<String> nodes, List<String> locks,
                                   List<String> holdSides, List<String> askSides) {
        int n = nodes.size();
        String w = "w" + tag;
        for (int i = 0; i < n; i++) {
            held(cluster, nodes.get(i), w, locks.get(i), holdSides.get(i));
        }
        List<Integer> marks = new ArrayList<>();
        for (int i = 0; i < n - 1; i++) {
            marks.add(ask(cluster, nodes.get(i), w, locks.get(i + 1), askSides.get(i)));
            awaitWaiting(cluster, nodes.get(i), locks.get(i + 1));
        }
        String victim = nodes.get(n - 1);
        String refused = answer(cluster, victim, ask(cluster, victim, w, locks.get(0), askSides.get(n - 1)), w, locks.get(0));
        assertTrue(refused.startsWith("DEADLOCK"), victim + ": " + refused);
        for (String lock : locks) {
            assertTrue(refused.contains("\"" + lock + "\""), "the cycle names " + lock + ": " + refused);
        }
        for (String node : nodes) {
            assertTrue(refused.contains(node), "the cycle names " + node + ": " + refused);
        }
        for (int i = 0; i < n - 1; i++) { // the others still wait
            int index = i;
            assertTrue(cluster.node(nodes.get(i)).tail(Integer.MAX_VALUE).subList(marks.get(i), cluster.node(nodes.get(i)).mark())
                    .stream().noneMatch(t -> t.startsWith("DEADLOCK " + w) || t.startsWith("HELD " + w + " " + locks.get(index + 1))),
                    nodes.get(i) + " was not refused nor granted yet");
        }
        // the victim backs off; each waiter, from the last, then gets its lock, finishes and lets the one before it go on
        release(cluster, victim, w, locks.get(n - 1), holdSides.get(n - 1));
        for (int i = n - 2; i >= 0; i--) {
            String line = answer(cluster, nodes.get(i), marks.get(i), w, locks.get(i + 1));
            assertTrue(line.startsWith("HELD"), nodes.get(i) + " finishes: " + line);
            release(cluster, nodes.get(i), w, locks.get(i + 1), askSides.get(i));
            release(cluster, nodes.get(i), w, locks.get(i), holdSides.get(i));
        }
        Matcher m = Pattern.compile(".* in-ms=([\\d.]+) .*").matcher(refused);
        assertTrue(m.matches(), refused);
        return Double.parseDouble(m.group(1));
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
        long oldFence = fenceOf(old.tail(Integer.MAX_VALUE).stream().filter(t -> t.startsWith("LEADER ")).findFirst().orElseThrow());
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
                        newFence[0] = fenceOf(t);
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

    private static long fenceOf(String line) {
        Matcher m = FENCE.matcher(line);
        assertTrue(m.matches(), line);
        return Long.parseLong(m.group(1));
    }
}
