package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Lockers on three node JVMs (all in the lock group) take one lock over and over while nodes are killed or paused;
 * afterwards the history of every hold is checked: no two holds that ended normally overlapped in time, and fences
 * rose in the order the lock was acquired. A hold that ended with the lock lost (session expired while paused), or
 * whose process died, is not a hold the system promised to keep exclusive: its writes would be fenced off.
 */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LockIT {
    private static final Pattern HIST = Pattern.compile(
            "HIST (\\S+) (\\d+) lock=(\\S+) fence=(\\d+) acquired=(-?\\d+) (released|lost|unknown)=(-?\\d+).*");

    record Hold(String owner, String lock, long fence, long acquired, long ended, String how) {
    }

    static List<Hold> history(ProcessCluster cluster) {
        return history(cluster, "job");
    }

    /** Every hold of {@code lock} printed by any node, in acquisition order. */
    static List<Hold> history(ProcessCluster cluster, String lock) {
        List<Hold> holds = new ArrayList<>();
        for (NodeProcess p : cluster.nodes()) {
            for (String line : p.tail(Integer.MAX_VALUE)) {
                Matcher m = HIST.matcher(line);
                if (m.matches() && m.group(3).equals(lock)) {
                    holds.add(new Hold(m.group(1) + "/" + m.group(2), m.group(3), Long.parseLong(m.group(4)),
                            Long.parseLong(m.group(5)), Long.parseLong(m.group(7)), m.group(6)));
                }
            }
        }
        holds.sort(Comparator.comparingLong(Hold::acquired));
        return holds;
    }

    /**
     * The checks, over holds that ended normally: fences rise in the order the holds were acquired, and no two
     * overlap in time. A hold that ended lost (the session expired) was not a hold the system kept exclusive - its
     * owner's writes are fenced off - and its owner's times are unreliable when it was paused (it may have been
     * frozen between the grant and noting it); a hold whose release had an unknown outcome (no quorum, a timeout
     * during a leader change) may not have ended when noted. Neither is checked.
     */
    static void check(List<Hold> holds) {
        List<Hold> kept = holds.stream().filter(h -> h.how().equals("released")).toList();
        for (int i = 1; i < kept.size(); i++) {
            Hold a = kept.get(i - 1);
            Hold b = kept.get(i);
            assertTrue(b.fence() > a.fence(), "fence went down: " + a + " then " + b);
            assertTrue(b.acquired() >= a.ended(), "two holders at once: " + a + " and " + b);
        }
    }

    @Test
    void exclusiveWithIncreasingFencesThroughAKillAndAPausePastTheSession(ProcessCluster cluster) throws IOException {
        Path dir = Files.createTempDirectory("cairn-lock-it");
        cluster.withNodeArgs("--lock-group", "l1,l2,l3", "--lock-dir", dir.toString(), "--session-timeout", "3s");
        {
            cluster.start("l1", "l2", "l3");
            cluster.awaitView(Duration.ofSeconds(60), "l1", "l2", "l3");
            for (String n : List.of("l1", "l2", "l3")) {
                cluster.node(n).ask("locker start job 2 5", "LOCKERS", Duration.ofSeconds(60));
            }
            awaitHolds(cluster, 100);

            cluster.node("l3").kill(); // a holder or a waiter, and a lock-group member (maybe the leader)
            cluster.awaitView(Duration.ofSeconds(10), "l1", "l2");
            int before = history(cluster).size();
            awaitHolds(cluster, before + 50);

            cluster.startNode("l3"); // back from its own Raft log, so that l1 and l3 are a majority while l2 is paused
            cluster.awaitView(Duration.ofSeconds(60), "l1", "l2", "l3");
            cluster.node("l3").ask("locker start job 2 5", "LOCKERS", Duration.ofSeconds(60));
            awaitHolds(cluster, history(cluster).size() + 30);

            // l2 holds 'long' for 4 s at a time, so the pause below catches it holding
            cluster.node("l2").ask("locker start long 1 4000", "LOCKERS", Duration.ofSeconds(60));
            cluster.node("l1").ask("locker start long 1 5", "LOCKERS", Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(60)).until(() -> history(cluster, "long").size() >= 2);

            long paused = System.nanoTime(); // one clock for every process on this machine
            cluster.node("l2").pause(); // past the 3 s session: its locks go to l1 and l3
            NodeProcess l1 = cluster.node("l1");
            // the paused holder's lock goes to the next waiter while it is still frozen
            await("l1 takes 'long' from the paused l2").atMost(Duration.ofSeconds(60))
                    .until(() -> history(cluster, "long").stream().anyMatch(h -> h.owner().startsWith("l1/") && h.acquired() > paused));
            cluster.node("l2").resume();
            awaitHolds(cluster, history(cluster).size() + 20);

            for (String n : List.of("l1", "l2", "l3")) {
                cluster.node(n).ask("locker stop", "LOCKERS", Duration.ofSeconds(90));
            }
            List<Hold> holds = history(cluster);
            check(holds);
            check(history(cluster, "long"));
            assertTrue(holds.stream().filter(h -> h.how().equals("released")).count() > 150, "holds: " + holds.size());
            assertEquals(0, l1.tail(Integer.MAX_VALUE).stream().filter(t -> t.startsWith("ERROR")).count());
        }
    }

    private static void awaitHolds(ProcessCluster cluster, int count) {
        await("lock holds").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> history(cluster).size() >= count);
    }
}
