package dev.cairn.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.cairn.examples.launch.LockDrill;
import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * {@code demo}: the README's main job. Starts three nodes as three JVMs on 127.0.0.1 and narrates what happens: the
 * joins, a SIGKILL, the view shrinking, a restart, the view healing, and a graceful shutdown. Each later capability adds
 * its chapter here.
 */
final class Demo {
    private static final Duration STEP = Duration.ofSeconds(60);

    private Demo() {
    }

    static int run(String[] args) throws Exception {
        Options o = new Options(args, Set.of("logs"));
        Path logs = Path.of(o.get("logs", Files.createTempDirectory("cairn-demo").toString()));
        long t0 = System.nanoTime();
        say("Cairn demo: a 3-node cluster, each node in its own JVM on 127.0.0.1.");
        say("Node logs go to " + logs.toAbsolutePath());
        try (ProcessCluster cluster = ProcessCluster.builder().logs(logs).build()) {
            chapterJoin(cluster);
            chapterCrash(cluster);
            chapterRestart(cluster);
            chapterData(cluster);
            chapterLeave(cluster);
        } catch (IllegalStateException e) {
            System.out.println();
            System.out.println("DEMO FAILED: " + e.getMessage());
            System.out.println("The node logs in " + logs.toAbsolutePath() + " show what each node saw.");
            return 1;
        }
        try (ProcessCluster cluster = ProcessCluster.builder().logs(logs.resolve("cache")).clusterName("cairn-demo-cache")
                .nodeArgs("--map-idle", "sessions=3s", "--map-bound", "cache=2000").build()) {
            chapterCache(cluster);
        } catch (IllegalStateException e) {
            System.out.println();
            System.out.println("DEMO FAILED: " + e.getMessage());
            System.out.println("The node logs in " + logs.toAbsolutePath() + " show what each node saw.");
            return 1;
        }
        Path lockDir = Files.createTempDirectory("cairn-demo-locks");
        try (ProcessCluster cluster = ProcessCluster.builder().logs(logs.resolve("locks")).clusterName("cairn-demo-locks")
                .nodeArgs("--lock-group", "l1,l2,l3", "--lock-dir", lockDir.toString(), "--session-timeout", "3s",
                        "--failure-timeout", "3s").build()) {
            chapterDeadlock(cluster);
            chapterFencedLeader(cluster);
        } catch (IllegalStateException e) {
            System.out.println();
            System.out.println("DEMO FAILED: " + e.getMessage());
            System.out.println("The node logs in " + logs.toAbsolutePath() + " show what each node saw.");
            return 1;
        }
        say(String.format(Locale.ROOT, "The demo ran to its end in %.1f s. Every JVM it started has exited.",
                (System.nanoTime() - t0) / 1e9));
        return 0;
    }

    private static void chapterJoin(ProcessCluster cluster) {
        chapter("1. Three nodes join");
        for (NodeProcess p : cluster.start("n1", "n2", "n3")) {
            double ms = p.awaitReady(STEP);
            say(String.format(Locale.ROOT, "%s started as pid %d on 127.0.0.1:%d; its first view came %.0f ms after Grid.start",
                    p.name(), p.pid(), p.port(), ms));
        }
        Duration waited = cluster.awaitView(STEP, "n1", "n2", "n3");
        say(String.format(Locale.ROOT, "All three agree on the view %s (%.1f s after the last start).",
                cluster.node("n1").lastView().orElseThrow(), waited.toMillis() / 1e3));
    }

    private static void chapterCrash(ProcessCluster cluster) {
        chapter("2. A node is killed");
        NodeProcess n2 = cluster.node("n2");
        int m1 = cluster.node("n1").mark();
        say("kill -9 " + n2.pid() + "  (n2 gets no chance to say goodbye)");
        long killed = System.nanoTime();
        n2.kill();
        NodeProcess.Line crashed = cluster.node("n1").awaitLine(m1, t -> t.equals("CRASHED n2"), STEP);
        say(String.format(Locale.ROOT, "n1 declared n2 crashed %.2f s after the kill (its TCP connections closed, and "
                + "failure detection confirmed it).", (crashed.nanos() - killed) / 1e9));
        cluster.awaitView(STEP, "n1", "n3");
        say("The view shrank to " + cluster.node("n1").lastView().orElseThrow() + " on n1 and n3.");
    }

    private static void chapterRestart(ProcessCluster cluster) {
        chapter("3. The node comes back");
        NodeProcess n2 = cluster.startNode("n2");
        long started = System.nanoTime();
        n2.awaitReady(STEP);
        cluster.awaitView(STEP, "n1", "n2", "n3");
        say(String.format(Locale.ROOT, "n2 restarted as pid %d and all three share %s again, %.1f s after the restart.",
                n2.pid(), cluster.node("n1").lastView().orElseThrow(), (System.nanoTime() - started) / 1e9));
    }

    private static void chapterData(ProcessCluster cluster) {
        chapter("4. A partitioned map: a crash loses nothing, a new node takes its share");
        NodeProcess n1 = cluster.node("n1");
        say("n1 writes 20,000 keys of 100 bytes to the map 'demo' (each to its partition's primary and one backup):");
        say(ask(n1, "fill demo 0 20000 100", "FILLED"));
        say(ask(n1, "partitions", "PARTITIONS") + "  (n1's share of the 271 partitions)");
        NodeProcess n3 = cluster.node("n3");
        say("kill -9 " + n3.pid() + "  (n3, primary for about a third of the partitions)");
        n3.kill();
        cluster.awaitView(STEP, "n1", "n2");
        say("n2 reads every key back: " + ask(cluster.node("n2"), "check demo 0 20000 100", "CHECKED"));
        say("Starting n3 again and a fourth node, n4 ...");
        cluster.startNode("n3");
        cluster.start("n4");
        cluster.awaitView(STEP, "n1", "n2", "n3", "n4");
        long start = System.nanoTime();
        awaitSettled(cluster, "n1", "n2", "n3", "n4");
        say(String.format(Locale.ROOT, "All four hold what they own %.1f s after the view formed. Primaries and backups:",
                (System.nanoTime() - start) / 1e9));
        int mark = n1.mark();
        n1.send("partitions");
        n1.awaitLine(mark, t -> t.startsWith("PARTITIONS"), STEP);
        for (int i = 0; i < 4; i++) {
            say(n1.awaitLine(mark + 1 + i, t -> t.startsWith("  "), STEP).text().trim());
        }
        say("n4 reads every key back: " + ask(cluster.node("n4"), "check demo 0 20000 100", "CHECKED"));
    }

    private static void chapterCache(ProcessCluster cluster) {
        chapter("6. A cache: sessions that expire when idle, a bounded map under load");
        cluster.start("c1", "c2", "c3");
        cluster.awaitView(STEP, "c1", "c2", "c3");
        say("Three new JVMs; the map 'sessions' expires an entry 3 s after it was last read or written, the map 'cache'"
                + " holds at most 2,000 entries on each node (LRU).");
        NodeProcess c1 = cluster.node("c1");
        NodeProcess c2 = cluster.node("c2");
        ask(c1, "putx sessions alice cart:2 -", "PREVIOUS");
        ask(c1, "putx sessions bob cart:5 -", "PREVIOUS");
        say("c1 stores the sessions of alice and bob. For 5 s c2 reads alice's every half second; nobody reads bob's.");
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < until) {
            ask(c2, "get sessions alice", "VALUE");
            c2.awaitIdle(Duration.ofMillis(500));
        }
        for (String n : List.of("c1", "c2", "c3")) {
            say(n + ": alice " + ask(cluster.node(n), "get sessions alice", "VALUE").substring(6) + ", bob "
                    + ask(cluster.node(n), "get sessions bob", "VALUE").substring(6)
                    + "  (bob's idle session expired on every node)");
        }
        say("Every node runs a cache-aside load on 'cache' for 8 s: a zipfian read over 100,000 keys, a write on a miss.");
        java.util.Map<String, Integer> marks = new java.util.HashMap<>();
        for (String n : List.of("c1", "c2", "c3")) {
            marks.put(n, cluster.node(n).mark());
            ask(cluster.node(n), "cacheload cache 2 8 100000 100", "CACHELOADING");
        }
        for (String n : List.of("c1", "c2", "c3")) {
            String done = cluster.node(n).awaitLine(marks.get(n), t -> t.startsWith("CACHELOAD "), STEP).text();
            String stats = ask(cluster.node(n), "stats cache", "STATS");
            say(String.format(Locale.ROOT, "%s: %s; holds %s + %s backup entries (bound 2,000), evicted %s", n,
                    done.substring(done.indexOf("hit-rate=")).split(" ")[0], field(stats, "entries"),
                    field(stats, "backup-entries"), field(stats, "evictions")));
        }
    }

    private static String field(String line, String name) {
        for (String w : line.split(" ")) {
            if (w.startsWith(name + "=")) {
                return w.substring(name.length() + 1);
            }
        }
        return "?";
    }

    /** Polls every node's partitions command until each says it holds all it owns. */
    private static void awaitSettled(ProcessCluster cluster, String... names) {
        long deadline = System.nanoTime() + STEP.toNanos();
        for (String name : names) {
            while (!ask(cluster.node(name), "partitions", "PARTITIONS").contains("settled=true")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("partitions did not settle on " + name + " within " + STEP.toSeconds() + " s");
                }
                cluster.node(name).awaitIdle(Duration.ofMillis(200));
            }
        }
    }

    private static String ask(NodeProcess node, String command, String keyword) {
        return node.ask(command, keyword, STEP.multipliedBy(2));
    }

    private static void chapterLeave(ProcessCluster cluster) {
        chapter("5. Graceful leaves, then shutdown");
        NodeProcess n1 = cluster.node("n1");
        int m3 = cluster.node("n3").mark();
        long asked = System.nanoTime();
        n1.quit(STEP);
        NodeProcess.Line left = cluster.node("n3").awaitLine(m3, t -> t.equals("LEFT n1"), STEP);
        say(String.format(Locale.ROOT, "n1 quit; n3 saw it LEAVE (not crash) %.2f s later, with no failure timeout.",
                (left.nanos() - asked) / 1e9));
        cluster.awaitView(STEP, "n2", "n3", "n4");
        java.util.List<String> view = cluster.node("n3").lastView().orElseThrow();
        say("The view is now " + view + "; " + view.get(0) + ", the oldest member left, coordinates it.");
        say("n2 reads every key back after n1 handed its partitions over: "
                + ask(cluster.node("n2"), "check demo 0 20000 100", "CHECKED"));
        for (String name : List.of("n2", "n3", "n4")) {
            cluster.node(name).quit(STEP);
        }
        say("n2, n3 and n4 quit.");
    }

    private static void chapterDeadlock(ProcessCluster cluster) {
        chapter("7. Locks: a deadlock between two nodes, detected and broken");
        cluster.start("l1", "l2", "l3");
        cluster.awaitView(STEP, "l1", "l2", "l3");
        say("A new cluster of three JVMs, l1-l3, which also run the lock group (Raft, fsynced log); sessions last 3 s.");
        LockDrill.Deadlock d = new LockDrill(STEP).deadlock(cluster, List.of("l1", "l2"), "w", List.of("A", "B"),
                List.of("mutex", "mutex"), List.of("mutex", "mutex"), cluster.node("l2"));
        say("l1 holds A (" + fenceText(d.held().get(0)) + ") and l2 holds B (" + fenceText(d.held().get(1)) + ").");
        say("l1 asks for B and waits: " + d.waiting().get(0));
        say("l2 asks for A, which would close a cycle; the lock group refuses it at once:");
        say("  " + d.refused());
        say("l2 backs off (releases B); l1, which kept waiting, now holds B: " + d.finished().get(0));
    }

    private static String fenceText(String heldLine) {
        return heldLine.substring(heldLine.indexOf("fence="));
    }

    private static void chapterFencedLeader(ProcessCluster cluster) {
        chapter("8. Leader with fenced writes: a paused leader loses, and its late write is rejected");
        List<String> names = List.of("l1", "l2", "l3");
        for (String n : names) {
            ask(cluster.node(n), "leader start job jobs owner 300", "LEADERSHIP");
        }
        say("l1, l2 and l3 run for leader of 'job' (a FencedLock); the leader writes jobs/owner every 300 ms with its fence.");
        String first = awaitWriter(cluster, names, null);
        NodeProcess old = cluster.node(first);
        String leaderLine = old.tail(Integer.MAX_VALUE).stream().filter(t -> t.startsWith("LEADER ")).findFirst().orElseThrow();
        say(first + " leads: " + leaderLine);
        old.pause();
        long paused = System.nanoTime();
        say(first + " is frozen with SIGSTOP, holding the lock; its session (3 s) runs out, decided through Raft.");
        String second = awaitWriter(cluster, names, first);
        say(String.format(Locale.ROOT, "%s took over %.1f s after the pause: %s", second, (System.nanoTime() - paused) / 1e9,
                cluster.node(second).tail(Integer.MAX_VALUE).stream().filter(t -> t.startsWith("LEADER ")).findFirst().orElseThrow()));
        int resumed = old.mark();
        old.resume();
        String late = old.awaitLine(resumed, t -> t.startsWith("FENCED " + first) || t.startsWith("WROTE " + first), STEP).text();
        if (!late.startsWith("FENCED")) {
            throw new IllegalStateException("the old leader's late write was not rejected: " + late);
        }
        say(first + " resumes, still believing it leads, and writes with its old fence; the partition rejects it:");
        say("  " + late.substring(0, Math.min(late.length(), 160)));
        say("jobs/owner on l3: " + ask(cluster.node("l3"), "get jobs owner", "VALUE"));
        for (String n : names) {
            ask(cluster.node(n), "leader stop", "LEADERSHIP");
        }
        for (String n : names) {
            cluster.node(n).quit(STEP);
        }
        say("l1, l2 and l3 quit.");
    }

    /** The first node of {@code names}, other than {@code not}, that has written as leader. */
    private static String awaitWriter(ProcessCluster cluster, List<String> names, String not) {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (System.nanoTime() < deadline) {
            for (String n : names) {
                if (!n.equals(not) && cluster.node(n).tail(Integer.MAX_VALUE).stream().anyMatch(t -> t.startsWith("WROTE " + n))) {
                    return n;
                }
            }
            cluster.node(names.get(0).equals(not) ? names.get(1) : names.get(0)).awaitIdle(Duration.ofMillis(100));
        }
        throw new IllegalStateException("no node became leader within " + STEP.toSeconds() + " s");
    }

    private static void chapter(String title) {
        System.out.println();
        System.out.println("== " + title + " ==");
    }

    private static void say(String text) {
        System.out.println("  " + text);
    }
}
