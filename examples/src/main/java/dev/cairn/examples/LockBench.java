package dev.cairn.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.cairn.examples.launch.LockDrill;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * {@code bench-locks}: the lock service on four JVMs on 127.0.0.1, three of them the lock group (Raft, fsynced log) and
 * one a client. Per round: uncontended lock+unlock (each thread its own lock) from the client, from the group's leader
 * and from a follower, with 1 and 8 threads; then the time a two-owner deadlock between two nodes takes to be refused
 * (as the victim sees it), repeated.
 */
final class LockBench {
    private static final Duration STEP = Duration.ofSeconds(300);

    private LockBench() {
    }

    static int run(String[] args) throws Exception {
        Options o = new Options(args, Set.of("rounds", "seconds", "deadlocks", "logs"));
        int rounds = o.getInt("rounds", 3);
        int seconds = o.getInt("seconds", 10);
        int deadlocks = o.getInt("deadlocks", 20);
        Path logs = Path.of(o.get("logs", Files.createTempDirectory("cairn-bench-locks").toString()));
        System.out.printf(Locale.ROOT, "bench-locks: lock group l1-l3 + client c1, 4 JVMs on 127.0.0.1, fsync on; %d s per run "
                + "(a third more warm-up), %d rounds, %d deadlocks per round, %d cores%n", seconds, rounds, deadlocks,
                Runtime.getRuntime().availableProcessors());
        Figures figures = new Figures();
        for (int round = 1; round <= rounds; round++) {
            Path dir = Files.createTempDirectory("cairn-bench-locks-data");
            try (ProcessCluster cluster = ProcessCluster.builder().logs(logs.resolve("round-" + round))
                    .nodeArgs("--lock-group", "l1,l2,l3", "--lock-dir", dir.toString()).build()) {
                cluster.start("l1", "l2", "l3", "c1");
                cluster.awaitView(Duration.ofSeconds(60), "l1", "l2", "l3", "c1");
                String leader = leader(cluster);
                String follower = List.of("l1", "l2", "l3").stream().filter(n -> !n.equals(leader)).findFirst().orElseThrow();
                // a discarded run first, so that every JVM's JIT has warmed up before the first figure
                cluster.node("c1").ask("lockbench 8 " + seconds, "LOCKBENCH", STEP);
                for (String[] from : List.of(new String[] {"client", "c1"}, new String[] {"leader", leader},
                        new String[] {"follower", follower})) {
                    for (int threads : List.of(1, 8)) {
                        Map<String, Double> f = Load.fields(cluster.node(from[1]).ask("lockbench " + threads + " " + seconds, "LOCKBENCH", STEP));
                        String label = from[0] + ", " + threads + " thread" + (threads > 1 ? "s" : "") + ": ";
                        figures.add(label + "ops/s", f.get("ops-per-s"));
                        figures.add(label + "p50 (us)", f.get("p50-us"));
                        figures.add(label + "p99 (us)", f.get("p99-us"));
                    }
                }
                for (int i = 0; i < deadlocks; i++) {
                    figures.add("deadlock detection (ms)", deadlock(cluster, "c1", follower, "d" + i));
                }
            }
            System.out.printf("round %d done%n", round);
        }
        figures.print();
        return 0;
    }

    /** The leader every group member names (the bench measures from it and from a follower). */
    private static String leader(ProcessCluster cluster) {
        List<String> group = List.of("l1", "l2", "l3");
        long deadline = System.nanoTime() + STEP.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> seen = new LockDrill(STEP).leaders(cluster, group);
            if (!seen.get(0).equals("none") && seen.stream().distinct().count() == 1) {
                return seen.get(0);
            }
            cluster.node("l1").awaitIdle(Duration.ofMillis(100));
        }
        throw new IllegalStateException("no lock-group leader all of " + group + " agree on within " + STEP.toSeconds() + " s");
    }

    /** a holds A, b holds B, a waits for B, b asks for A: refused. Returns the victim's detection time. */
    private static double deadlock(ProcessCluster cluster, String a, String b, String tag) {
        return new LockDrill(STEP).deadlock(cluster, List.of(a, b), "w", List.of("A" + tag, "B" + tag),
                List.of("mutex", "mutex"), List.of("mutex", "mutex"), cluster.node(b)).detectionMillis();
    }
}
