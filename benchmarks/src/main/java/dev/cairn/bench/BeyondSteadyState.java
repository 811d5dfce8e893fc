package dev.cairn.bench;

import static dev.cairn.bench.BenchClusters.NODES;
import static dev.cairn.bench.Report.fields;
import static dev.cairn.bench.Report.num;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.cairn.bench.BenchClusters.Cluster;
import dev.cairn.bench.SideBySide.Figure;
import dev.cairn.bench.SideBySide.Plan;
import dev.cairn.examples.launch.NodeProcess;

/**
 * The side-by-side's steps beyond steady state, one system at a time: locks, memory per entry, a node joining
 * (rebalance), a node killed (recovery), and the longest GC pauses, each as figures for the report.
 */
final class BeyondSteadyState {
    private static final Duration STEP = SideBySide.STEP;
    private static final Pattern GC_PAUSE = Pattern.compile("Pause (.*?) (\\d+\\.\\d+)ms\\s*$");

    private BeyondSteadyState() {
    }

    static void beyond(Plan p, Cluster cluster, String system, List<Figure> figures) {
        if (p.runs("locks")) {
            locks(p, cluster.node("a"), system, figures);
        }
        boolean needData = p.runs("memory") || p.runs("rebalance") || p.runs("recovery");
        if (!needData) {
            return;
        }
        int n = p.entries();
        Map<String, Long> mark = gcMark(cluster);
        Map<String, Map<String, Double>> before = new LinkedHashMap<>();
        if (p.runs("memory")) {
            for (String node : NODES) {
                before.put(node, fields(cluster.node(node).ask("memory mem", "MEMORY", STEP)));
            }
        }
        double fillMs = fields(cluster.node("a").ask("fill mem 0 " + n + " 1024", "FILLED", STEP)).getOrDefault("in", Double.NaN);
        System.out.printf(Locale.ROOT, "%s: filled mem with %,d x 1 KB in %.1f s%n", system, n, fillMs / 1e3);
        if (p.runs("memory")) {
            memory(cluster, system, n, fillMs, before, figures, p.bigHeap());
            figures.add(gcFigure(cluster, system, "memory", "longest GC pause during the fill", mark));
        }
        if (p.runs("rebalance")) {
            try {
                rebalance(cluster, system, figures);
            } catch (RuntimeException e) {
                figures.add(new Figure(system, "rebalance", "failed", Double.NaN, "", e.getMessage()));
                System.out.printf("%s rebalance FAILED: %s%n", system, e.getMessage());
            }
        }
        if (p.runs("recovery")) {
            try {
                recovery(cluster, system, n, figures);
            } catch (RuntimeException e) {
                figures.add(new Figure(system, "recovery", "failed", Double.NaN, "", e.getMessage()));
                System.out.printf("%s recovery FAILED: %s%n", system, e.getMessage());
            }
        }
    }

    private static void locks(Plan p, NodeProcess a, String system, List<Figure> figures) {
        String cmd = "lockbench 1 " + num(p.lockSeconds());
        switch (system) {
            case "cairn" -> lockFigure(a, system, cmd, "FencedLock (Raft, grid.lock)", figures);
            case "hazelcast" -> {
                lockFigure(a, system, cmd, "CP FencedLock", figures);
                lockFigure(a, system, "maplockbench 1 " + num(p.lockSeconds()), "IMap.lock (not fenced, not CP: for reference)",
                        figures);
            }
            default -> figures.add(new Figure(system, "locks", "FencedLock", Double.NaN, "",
                    "not measured: Infinispan has no fenced lock (its clustered lock is a separate module, without fencing tokens)"));
        }
    }

    private static void lockFigure(NodeProcess a, String system, String cmd, String what, List<Figure> figures) {
        try {
            Map<String, Double> f = fields(a.ask(cmd, "LOCKBENCH", STEP));
            System.out.printf(Locale.ROOT, "%s %s: %s%n", system, what, f);
            figures.add(new Figure(system, "locks", what + " ops/s", f.get("ops-per-s"), "ops/s",
                    String.format(Locale.ROOT, "1 thread, lock+unlock p50 %s us, p99 %s us, p99.9 %s us, errors %s", num(f.get("p50-us")),
                            num(f.get("p99-us")), num(f.get("p999-us")), num(f.get("errors")))));
        } catch (IllegalStateException e) {
            String why = e.getMessage();
            if (why.contains("answered '")) {
                why = why.substring(why.indexOf("answered '") + 10, why.lastIndexOf("' to '"));
            }
            System.out.printf("%s %s: not measured: %s%n", system, what, why);
            figures.add(new Figure(system, "locks", what, Double.NaN, "", "not measured: " + why));
        }
    }

    private static void memory(Cluster cluster, String system, int n, double fillMs, Map<String, Map<String, Double>> before,
                               List<Figure> figures, String heap) {
        double heapBytes = 0;
        double offHeap = 0;
        double rss = 0;
        for (String node : NODES) {
            Map<String, Double> after = fields(cluster.node(node).ask("memory mem", "MEMORY", STEP));
            Map<String, Double> b = before.get(node);
            heapBytes += after.get("heap-used") - b.get("heap-used");
            offHeap += after.get("offheap") - b.get("offheap");
            rss += after.get("rss") - b.get("rss");
        }
        double copies = 2.0 * n; // one backup copy / 2 owners
        figures.add(new Figure(system, "memory", "heap per entry copy", heapBytes / copies, "B",
                String.format(Locale.ROOT, "%,d x 1 KB, 2 copies, -Xmx%s; heap after a full GC, growth over the 3 JVMs", n, heap)));
        figures.add(new Figure(system, "memory", "off-heap per entry copy", offHeap / copies, "B",
                system.equals("cairn") ? "Chronicle Map bytes in use (cairn.map.offheap.bytes)" : "none: the store is on the heap"));
        figures.add(new Figure(system, "memory", "resident per entry copy", rss / copies, "B", "RSS growth over the 3 JVMs"));
        figures.add(new Figure(system, "memory", "fill time", fillMs / 1e3, "s", "putAll in batches of 1,000 from node a"));
        System.out.printf(Locale.ROOT, "%s memory: heap %.0f B, off-heap %.0f B, RSS %.0f B per entry copy%n", system, heapBytes / copies,
                offHeap / copies, rss / copies);
    }

    /** How many lines each of a, b, c has written to its GC log so far, to count only later pauses. */
    static Map<String, Long> gcMark(Cluster cluster) {
        Map<String, Long> mark = new LinkedHashMap<>();
        for (String node : NODES) {
            Path log = cluster.logs().resolve("gc-" + cluster.node(node).pid() + ".log");
            try (Stream<String> lines = Files.lines(log)) {
                mark.put(node, lines.count());
            } catch (IOException | UncheckedIOException e) {
                mark.put(node, 0L);
            }
        }
        return mark;
    }

    /**
     * The longest GC pause any of a, b, c logged after {@code mark}, leaving out the full GCs the memory command asks
     * for (System.gc()).
     */
    static Figure gcFigure(Cluster cluster, String system, String step, String metric, Map<String, Long> mark) {
        double longest = 0;
        String where = "";
        int pauses = 0;
        for (String node : NODES) {
            NodeProcess p = cluster.node(node);
            Path log = cluster.logs().resolve("gc-" + p.pid() + ".log");
            if (!Files.isRegularFile(log)) {
                continue;
            }
            try (Stream<String> lines = Files.lines(log).skip(mark.getOrDefault(node, 0L))) {
                for (String line : (Iterable<String>) lines::iterator) {
                    Matcher m = GC_PAUSE.matcher(line);
                    if (m.find() && !m.group(1).contains("System.gc()")) {
                        pauses++;
                        double ms = Double.parseDouble(m.group(2));
                        if (ms > longest) {
                            longest = ms;
                            where = node + ": " + m.group(1).replaceAll("\\s+\\S+->\\S+$", "");
                        }
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // a log that cannot be read counts as none
            }
        }
        return new Figure(system, step, metric, longest, "ms", pauses + " pauses on a, b, c; longest on " + where);
    }

    /** Starts node d and times until every one of the four reports its partitions balanced. */
    private static void rebalance(Cluster cluster, String system, List<Figure> figures) {
        NodeProcess a = cluster.node("a");
        int mark = a.mark();
        long t0 = System.nanoTime();
        NodeProcess d = cluster.add("d");
        NodeProcess.Line joined = a.awaitLine(mark, t -> t.startsWith("VIEW ") && t.split(" ", 3)[2].split(",").length == 4,
                Duration.ofSeconds(180));
        List<NodeProcess> all = List.of(a, cluster.node("b"), cluster.node("c"), d);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        int polls = 0;
        while (true) {
            polls++;
            boolean balanced = true;
            for (NodeProcess p : all) {
                if (!balanced(system, p)) {
                    balanced = false;
                    break;
                }
            }
            if (balanced) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not balanced within 600 s of node d's start");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // a poll interval, not a wait for an event
        }
        long done = System.nanoTime();
        double joinMs = (joined.nanos() - t0) / 1e6;
        double balanceMs = (done - joined.nanos()) / 1e6;
        figures.add(new Figure(system, "rebalance", "4th node: view to balanced", balanceMs, "ms", String.format(Locale.ROOT,
                "from node a seeing 4 members until all 4 report balanced (%s); JVM start to 4-member view %.0f ms; %d polls",
                system.equals("cairn") ? "partitionsSettled on each" : system.equals("hazelcast")
                        ? "isClusterSafe and every member owning its share" : "rebalancing status COMPLETE, no pending hash", joinMs, polls)));
        System.out.printf(Locale.ROOT, "%s rebalance: joined after %.0f ms, balanced %.0f ms later%n", system, joinMs, balanceMs);
    }

    private static boolean balanced(String system, NodeProcess p) {
        if (system.equals("cairn")) {
            String line = p.ask("partitions", "PARTITIONS", STEP);
            Map<String, Double> f = fields(line);
            return line.contains("settled=true") && f.getOrDefault("primary", 0.0) > 0
                    && p.lastView().map(List::size).orElse(0) == 4;
        }
        String line = p.ask("balanced", "BALANCED", STEP);
        return line.startsWith("BALANCED true") && line.contains(" members=4");
    }

    /** SIGKILL of node c, then full scans of every key from node a until one finds every value. */
    private static void recovery(Cluster cluster, String system, int n, List<Figure> figures) {
        NodeProcess a = cluster.node("a");
        NodeProcess c = cluster.node("c");
        long t0 = System.nanoTime();
        c.kill();
        int scans = 0;
        int failed = 0;
        double lastScanMs = Double.NaN;
        double worst = Double.NaN;
        long deadline = t0 + TimeUnit.SECONDS.toNanos(300);
        List<Double> found = new ArrayList<>();
        while (true) {
            scans++;
            try {
                Map<String, Double> f = fields(a.ask("check mem 0 " + n + " 1024", "CHECKED", STEP));
                lastScanMs = f.getOrDefault("in", Double.NaN);
                double ok = f.getOrDefault("ok", 0.0);
                if (ok == n) {
                    break;
                }
                found.add(ok);
                worst = Double.isNaN(worst) ? ok : Math.min(worst, ok);
            } catch (IllegalStateException e) {
                failed++; // an ERROR answer: the scan hit an exception; scan again
                found.add(Double.NaN);
            }
            double since = (System.nanoTime() - t0) / 1e9;
            int k = found.size();
            // Three complete scans in a row that found the same keys missing, a minute after the kill: those keys are
            // gone, not on their way back.
            boolean stuck = since > 60 && k >= 3 && !Double.isNaN(found.get(k - 1)) && found.get(k - 1).equals(found.get(k - 2))
                    && found.get(k - 2).equals(found.get(k - 3));
            if (stuck || System.nanoTime() > deadline) {
                String what = String.format(Locale.ROOT, "NOT RECOVERED: %s of %,d keys still unreadable %.0f s after the kill "
                        + "(%d scans, %d failed with an error%s)", k > 0 && !Double.isNaN(found.get(k - 1))
                        ? String.format(Locale.ROOT, "%,.0f", n - found.get(k - 1)) : "some", n, since, scans, failed,
                        stuck ? "; the same keys missing in the last 3 scans" : "");
                figures.add(new Figure(system, "recovery", "SIGKILL to every key read", Double.NaN, "ms", what));
                System.out.printf("%s recovery: %s%n", system, what);
                return;
            }
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        figures.add(new Figure(system, "recovery", "SIGKILL to every key read", ms, "ms", String.format(Locale.ROOT,
                "node c killed (held ~%,d entries); %d scan(s) of %,d keys from a, %d failed with an error%s; the successful "
                        + "scan itself took %.0f ms", n / 2, scans, n, failed, Double.isNaN(worst) ? "" : ", fewest found " + num(worst),
                lastScanMs)));
        System.out.printf(Locale.ROOT, "%s recovery: every key read %.0f ms after the kill (%d scans, last %.0f ms)%n", system, ms, scans,
                lastScanMs);
    }
}
