package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.cairn.examples.launch.LockDrill;
import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Four node JVMs, three of them the lock group and one a client, take locks over and over while one node is killed,
 * paused past its session or cut off; afterwards the history of every hold is checked ({@link LockHistory#check}): no
 * two holders at once, fences only increasing. Each fault hits a node that holds a lock (held for 4 s at a time, so the
 * fault catches it holding) while the client waits for that lock: the lock must pass to the client while the holder is
 * gone, and everyone must go on taking the busy lock throughout and after recovery.
 */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LockIT {
    static final List<String> GROUP = List.of("l1", "l2", "l3");
    static final Duration STEP = Duration.ofSeconds(60);
    /** Holds of the busy lock each fault run waits for: each is a lock and an unlock, from four JVMs. */
    static final int HOLDS = 1_000;

    enum Fault {
        SIGKILL_OF_A_HOLDER(false), SIGKILL_OF_THE_LEADER(true), SIGSTOP_OF_A_HOLDER_PAST_ITS_SESSION(false),
        PARTITION_ISOLATING_THE_LEADER(true), PARTITION_ISOLATING_A_HOLDER(false);

        final boolean leader;

        Fault(boolean leader) {
            this.leader = leader;
        }
    }

    /** Starts the lock group l1-l3 and the client c1 with a 3 s session; returns every node's name. */
    static List<String> startLockCluster(ProcessCluster cluster) throws IOException {
        Path dir = Files.createTempDirectory("cairn-lock-it");
        cluster.withNodeArgs("--lock-group", String.join(",", GROUP), "--lock-dir", dir.toString(), "--session-timeout", "3s",
                "--failure-timeout", "3s");
        List<String> all = List.of("l1", "l2", "l3", "c1");
        cluster.start(all.toArray(String[]::new));
        cluster.awaitView(STEP, all.toArray(String[]::new));
        return all;
    }

    /** The lock group's leader, once every member agrees on one. */
    static String awaitLeader(ProcessCluster cluster, List<String> members) {
        List<String> seen = new ArrayList<>();
        await("a leader all of " + members + " agree on").atMost(STEP).pollInterval(Duration.ofMillis(200)).until(() -> {
            seen.clear();
            seen.addAll(new LockDrill(STEP).leaders(cluster, members));
            return !seen.get(0).equals("none") && seen.stream().distinct().count() == 1;
        });
        return seen.get(0);
    }

    static String holders(ProcessCluster cluster, String asking, String lock) {
        String line = cluster.node(asking).ask("lockstate " + lock, "LOCKSTATE", STEP);
        return line.substring(line.indexOf("holders=") + 8, line.indexOf(" waiters="));
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void exclusiveWithRisingFencesThrough(Fault fault, ProcessCluster cluster) throws IOException {
        // -Dcairn.it.faults=NAME,... runs only those (all by default)
        String faults = System.getProperty("cairn.it.faults", java.util.Arrays.stream(Fault.values()).map(Enum::name)
                .collect(java.util.stream.Collectors.joining(",")));
        org.junit.jupiter.api.Assumptions.assumeTrue(java.util.Arrays.asList(faults.split(",")).contains(fault.name()),
                fault + " is not in -Dcairn.it.faults");
        List<String> all = startLockCluster(cluster);
        for (String n : all) {
            cluster.node(n).ask("locker start job 2 5 fenced", "LOCKERS", STEP);
        }
        awaitHolds(cluster, "job", null, 0, 60);

        String leader = awaitLeader(cluster, GROUP);
        String target = fault.leader ? leader : GROUP.stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
        List<String> others = all.stream().filter(n -> !n.equals(target)).toList();
        NodeProcess victim = cluster.node(target);
        victim.ask("locker start long 1 4000 fenced", "LOCKERS", STEP); // holds 'long' 4 s at a time
        await(target + " holds 'long'").atMost(STEP).pollInterval(Duration.ofMillis(100))
                .until(() -> holders(cluster, "c1", "long").startsWith(target + "/"));
        cluster.node("c1").ask("locker start long 1 5 fenced", "LOCKERS", STEP); // and the client waits for it

        long faultAt = System.nanoTime(); // one clock for every process on this machine
        switch (fault) {
            case SIGKILL_OF_A_HOLDER, SIGKILL_OF_THE_LEADER -> victim.kill();
            case SIGSTOP_OF_A_HOLDER_PAST_ITS_SESSION -> victim.pause();
            case PARTITION_ISOLATING_THE_LEADER, PARTITION_ISOLATING_A_HOLDER -> victim.ask("cut", "CUT", STEP);
        }
        // while the holder is gone, its session expires (through Raft, on the majority side) and the lock passes on
        await("c1 takes 'long' from " + target + " while it is " + fault).atMost(STEP).pollInterval(Duration.ofMillis(200))
                .until(() -> LockHistory.holdsSince(cluster, "long", "c1", faultAt) >= 1);
        for (String n : others) {
            awaitHolds(cluster, "job", n, faultAt, 10);
        }

        long recoveredAt = System.nanoTime();
        switch (fault) {
            case SIGKILL_OF_A_HOLDER, SIGKILL_OF_THE_LEADER -> {
                cluster.startNode(target); // back from its own fsynced Raft log
                cluster.awaitView(STEP, all.toArray(String[]::new));
                cluster.node(target).ask("locker start job 2 5 fenced", "LOCKERS", STEP);
            }
            case SIGSTOP_OF_A_HOLDER_PAST_ITS_SESSION -> victim.resume();
            case PARTITION_ISOLATING_THE_LEADER, PARTITION_ISOLATING_A_HOLDER -> victim.ask("reconnect", "RECONNECTED", STEP);
        }
        cluster.awaitView(STEP, all.toArray(String[]::new));
        awaitHolds(cluster, "job", target, recoveredAt, 10); // the node that was gone takes part again
        awaitHolds(cluster, "job", null, recoveredAt, 40);
        awaitHolds(cluster, "job", null, 0, HOLDS); // over two thousand lock operations in the history checked

        for (String n : all) {
            cluster.node(n).ask("locker stop", "LOCKERS", Duration.ofSeconds(120));
        }
        List<LockHistory.Hold> job = LockHistory.of(cluster, "job");
        List<LockHistory.Hold> longHolds = LockHistory.of(cluster, "long");
        LockHistory.check(job);
        LockHistory.check(longHolds);
        // and end to end, lost holds included: the fenced writes each hold made were accepted in fence order
        java.util.Map<String, Long> jobWrites = LockHistory.checkFencedWrites(job);
        java.util.Map<String, Long> longWrites = LockHistory.checkFencedWrites(longHolds);
        System.out.println(fault + ": fenced writes of 'job' " + jobWrites + ", of 'long' " + longWrites);
        assertTrue(jobWrites.getOrDefault("ok", 0L) >= HOLDS - 100, "accepted fenced writes of 'job': " + jobWrites);
        assertTrue(job.stream().filter(h -> h.how().equals("released")).count() >= HOLDS - 50, "holds: " + job.size());
        if (fault != Fault.SIGKILL_OF_A_HOLDER && fault != Fault.SIGKILL_OF_THE_LEADER) {
            // the holder that was frozen or cut off learns that it lost the lock when it tries to give it back
            assertTrue(longHolds.stream().anyMatch(h -> h.node().equals(target) && h.how().equals("lost")
                    && h.acquired() < faultAt), "no lost hold of 'long' by " + target + ": " + longHolds);
        }
        for (NodeProcess p : cluster.nodes()) {
            assertEquals(List.of(), p.tail(Integer.MAX_VALUE).stream().filter(t -> t.startsWith("ERROR")).toList(), p.name());
        }
    }

    private static void awaitHolds(ProcessCluster cluster, String lock, String node, long since, int count) {
        try {
            await((node == null ? "every node" : node) + ": " + count + " holds of '" + lock + "'").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200)).until(() -> LockHistory.holdsSince(cluster, lock, node, since) >= count);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder leaders = new StringBuilder();
            for (String m : GROUP) {
                try {
                    leaders.append(' ').append(m).append(": ").append(cluster.node(m).ask("lockleader", "LOCKLEADER", Duration.ofSeconds(5)));
                } catch (RuntimeException ignored) {
                    leaders.append(' ').append(m).append(": no answer");
                }
            }
            try {
                leaders.append("; ").append(cluster.node("c1").ask("lockstate " + lock, "LOCKSTATE", Duration.ofSeconds(5)));
            } catch (RuntimeException ignored) {
                leaders.append("; no lock state");
            }
            throw new AssertionError(e.getMessage() + "; leaders as each member sees them:" + leaders, e);
        }
    }
}
