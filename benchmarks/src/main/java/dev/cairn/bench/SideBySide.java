package dev.cairn.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Cairn, Hazelcast and Infinispan side by side (issue 5). For each system in turn: three JVMs on 127.0.0.1 with the
 * same heap and flags, one backup copy (Cairn, Hazelcast) or 2 owners (Infinispan), load driven from node a.
 *
 * <ol>
 *   <li><b>Steady state.</b> 100,000 keys filled once per value size; then YCSB-like closed-loop runs, each warming up
 *       for a third of its time before measuring. Design {@code ofat} (default): one factor at a time around the base
 *       (90% get / 10% put, 1 KB, uniform, 8 threads): base, 50/50, 100 B, zipfian, 1 thread, 32 threads. Design
 *       {@code grid}: all 24 combinations (does not fit 20 minutes on 2 cores).</li>
 *   <li><b>Near cache</b>: the base workload on a map with a near cache (Hazelcast; Cairn has none yet).</li>
 *   <li>A second cluster with a bigger heap (or the same one with {@code --quick}):
 *       <b>locks</b> (uncontended lock+unlock, one lock per thread), <b>memory</b> (N entries of 1 KB: heap, off-heap
 *       and resident bytes per entry copy, longest GC pause from each JVM's {@code -Xlog:gc}), <b>rebalance</b> (a
 *       fourth node joins: time until the system reports its partitions balanced), <b>recovery</b> (SIGKILL of node
 *       c, which then holds about N/2 entries: time until a full scan of every key from node a succeeds).</li>
 * </ol>
 *
 * <pre>
 * java -jar benchmarks/target/cairn-benchmarks.jar side-by-side [--quick] [--systems cairn,hazelcast,infinispan]
 *      [--design ofat|grid] [--seconds 12] [--warmup 6] [--keys 100000] [--heap 1g] [--big-heap 3g]
 *      [--entries 2000000] [--lock-seconds 10] [--skip steady,near,locks,memory,rebalance,recovery]
 *      [--jfr DIR] [--csv target/side-by-side.csv] [--logs DIR] [--cairn-jar examples/target/cairn-examples.jar]
 * </pre>
 */
final class SideBySide {
    private static final Duration STEP = Duration.ofSeconds(900);
    private static final Pattern GC_PAUSE = Pattern.compile("Pause (.*?) (\\d+\\.\\d+)ms\\s*$");
    private static final List<String> NODES = List.of("a", "b", "c");
    private static final List<String> SYSTEMS = List.of("cairn", "hazelcast", "infinispan");
    private static final List<String> COLUMNS = List.of("ops-per-s", "get-p50-us", "get-p99-us", "get-p999-us", "put-p50-us",
            "put-p99-us", "put-p999-us", "errors");
    private static final Set<String> STEPS = Set.of("steady", "near", "locks", "memory", "rebalance", "recovery");

    private SideBySide() {
    }

    /** One load: threads, read share, value size, key choice, and the map it runs on. */
    record Workload(String name, int threads, int read, int bytes, String keyChoice, String map) {
        static final Workload BASE = new Workload("base", 8, 90, 1024, "uniform", "bench");

        String label() {
            return String.format(Locale.ROOT, "%s (%d/%d %s %s %dt)", name, read, 100 - read, bytes >= 1024 ? bytes / 1024 + "KB"
                    : bytes + "B", keyChoice, threads);
        }

        String command(double seconds, int keys) {
            return String.format(Locale.ROOT, "bench %s %d %s %d %d %d %s", map, threads, num(seconds), keys, bytes, read, keyChoice);
        }
    }

    /** One (workload, system) figure, or why there is none ({@code note}). */
    record Row(Workload workload, String system, String product, Map<String, Double> m, String note) {
        double ops() {
            return m.getOrDefault("ops-per-s", Double.NaN);
        }
    }

    /** One figure of a beyond-steady-state step. */
    record Figure(String system, String step, String metric, double value, String unit, String note) {
    }

    /** Everything a run is set to do. */
    record Plan(boolean quick, List<String> systems, String design, List<Workload> workloads, double seconds, double warmup,
                int keys, String heap, String bigHeap, int entries, double lockSeconds, Set<String> skip, Path jfr, Path logs,
                Path benchJar, Path cairnJar) {
        boolean runs(String step) {
            return !skip.contains(step);
        }

        boolean oneCluster() {
            return heap.equals(bigHeap);
        }
    }

    static int run(String[] args) throws Exception {
        Map<String, String> o = Args.parse(args);
        boolean quick = o.containsKey("quick");
        List<String> systems = List.of(o.getOrDefault("systems", String.join(",", SYSTEMS)).split(","));
        for (String s : systems) {
            if (!SYSTEMS.contains(s)) {
                throw new IllegalArgumentException("--systems: unknown system '" + s + "'; known: " + SYSTEMS);
            }
        }
        String design = o.getOrDefault("design", "ofat");
        Set<String> skip = new LinkedHashSet<>();
        if (o.containsKey("skip")) {
            skip.addAll(List.of(o.get("skip").split(",")));
        }
        for (String s : skip) {
            if (!STEPS.contains(s)) {
                throw new IllegalArgumentException("--skip: unknown step '" + s + "'; steps: " + STEPS);
            }
        }
        double seconds = Double.parseDouble(o.getOrDefault("seconds", quick ? "6" : "12"));
        String heap = o.getOrDefault("heap", "1g");
        Path benchJar = ownJar();
        Path logs = Path.of(o.getOrDefault("logs", Files.createTempDirectory("cairn-side-by-side").toString()));
        Plan plan = new Plan(quick, systems, design, workloads(quick ? "quick" : design), seconds,
                Double.parseDouble(o.getOrDefault("warmup", quick ? "0" : "6")), Integer.parseInt(o.getOrDefault("keys", "100000")),
                heap, o.getOrDefault("big-heap", quick ? heap : "3g"), Integer.parseInt(o.getOrDefault("entries", quick ? "100000" : "2000000")),
                Double.parseDouble(o.getOrDefault("lock-seconds", quick ? "3" : "9")), skip,
                o.containsKey("jfr") ? Path.of(o.get("jfr")) : null, logs, benchJar,
                Path.of(o.getOrDefault("cairn-jar", defaultCairnJar(benchJar).toString())));
        Path csv = Path.of(o.getOrDefault("csv", benchJar.getParent().resolve("side-by-side.csv").toString()));

        String header = header(plan);
        System.out.println(header);
        long t0 = System.nanoTime();
        List<Row> rows = new ArrayList<>();
        List<Figure> figures = new ArrayList<>();
        runAll(plan, rows, figures);
        double wall = (System.nanoTime() - t0) / 1e9;
        System.out.println();
        System.out.println(header);
        printRows(rows, systems);
        printFigures(figures, systems);
        Path stepsCsv = csv.resolveSibling(csv.getFileName().toString().replaceFirst("\\.csv$", "") + "-steps.csv");
        writeCsv(csv, stepsCsv, plan, rows, figures);
        System.out.printf(Locale.ROOT, "CSV: %s and %s; whole run %.0f s (%.1f min)%n", csv, stepsCsv, wall, wall / 60);
        boolean failed = figures.stream().anyMatch(f -> f.step().equals("run"))
                || rows.stream().anyMatch(r -> r.note() != null && r.note().startsWith("FAILED"));
        return failed ? 1 : 0;
    }

    static List<Workload> workloads(String design) {
        Workload b = Workload.BASE;
        return switch (design) {
            case "quick" -> List.of(b);
            // one factor at a time around the base; the 1 KB runs first, then the map is refilled with 100 B values
            case "ofat" -> List.of(b, new Workload("50/50", 8, 50, 1024, "uniform", "bench"),
                    new Workload("zipfian", 8, 90, 1024, "zipfian", "bench"), new Workload("1 thread", 1, 90, 1024, "uniform", "bench"),
                    new Workload("32 threads", 32, 90, 1024, "uniform", "bench"), new Workload("100 B", 8, 90, 100, "uniform", "bench"));
            case "grid" -> {
                List<Workload> all = new ArrayList<>();
                for (int bytes : new int[] {1024, 100}) {
                    for (int read : new int[] {90, 50}) {
                        for (String keys : List.of("uniform", "zipfian")) {
                            for (int threads : new int[] {1, 8, 32}) {
                                all.add(new Workload("grid", threads, read, bytes, keys, "bench"));
                            }
                        }
                    }
                }
                yield all;
            }
            default -> throw new IllegalArgumentException("--design must be ofat or grid but was '" + design + "'");
        };
    }

    private static String header(Plan p) {
        String design = switch (p.quick() ? "quick" : p.design()) {
            case "quick" -> "--quick: the base workload only (90% get / 10% put, 1 KB, uniform keys, 8 threads)";
            case "ofat" -> "one factor at a time around the base (90% get / 10% put, 1 KB, uniform keys, 8 threads): base, 50/50, "
                    + "zipfian (YCSB constant 0.99, not scrambled), 1 thread, 32 threads, 100 B";
            default -> "full grid: {90/10, 50/50} x {1 KB, 100 B} x {uniform, zipfian 0.99} x {1, 8, 32 threads}";
        };
        return String.format(Locale.ROOT, "side-by-side %s, %s, %d cores%n"
                        + "  design: %s; %d keys; each run %s s measured after %s s warm-up%s%n"
                        + "  3 JVMs per system on 127.0.0.1, same flags for all (-Xmx%s, ParallelGC, -Xlog:gc), one backup copy / 2 owners, "
                        + "load from node a%n"
                        + "  then: locks (%s s), memory with %,d x 1 KB (-Xmx%s), rebalance (a 4th node joins), recovery (SIGKILL of node c)%s%n"
                        + "  logs in %s",
                p.systems(), LocalDate.now(), Runtime.getRuntime().availableProcessors(), design, p.keys(), num(p.seconds()),
                num(p.seconds() / 3), p.warmup() > 0 ? " (plus one discarded " + num(p.warmup()) + " s run on each fresh cluster)" : "",
                p.heap(), num(p.lockSeconds()), p.entries(), p.bigHeap(), p.skip().isEmpty() ? "" : "; skipped: " + p.skip(), p.logs());
    }

    /**
     * Steady state with every system's cluster up at once (the idle ones cost little), the systems' runs of each
     * workload back to back, so a burst of other work on the machine hits one workload's figures for all systems
     * rather than one system's figures for all workloads. Then the steps beyond steady state, one system at a time.
     */
    private static void runAll(Plan p, List<Row> rows, List<Figure> figures) {
        boolean steady = p.runs("steady") || p.runs("near");
        boolean big = p.runs("locks") || p.runs("memory") || p.runs("rebalance") || p.runs("recovery");
        Map<String, Cluster> clusters = new LinkedHashMap<>();
        Map<String, String> products = new LinkedHashMap<>();
        try {
            if (steady) {
                for (String system : p.systems()) {
                    try {
                        Cluster c = cluster(p, system, "steady", p.heap(), p.oneCluster() ? Math.max(p.keys(), p.entries()) : p.keys(),
                                p.oneCluster() && p.runs("locks"));
                        clusters.put(system, c);
                        products.put(system, startCluster(c, system));
                    } catch (RuntimeException e) {
                        failed(figures, system, e);
                    }
                }
                Map<String, Map<String, Long>> marks = new LinkedHashMap<>();
                clusters.forEach((system, c) -> marks.put(system, gcMark(c)));
                steadyState(p, clusters, products, rows);
                clusters.forEach((system, c) -> figures.add(gcFigure(c, system, "steady", "longest GC pause, fills and runs (-Xmx"
                        + p.heap() + ")", marks.get(system))));
                if (p.oneCluster() && big) {
                    for (Map.Entry<String, Cluster> e : clusters.entrySet()) {
                        try {
                            beyond(p, e.getValue(), e.getKey(), figures);
                        } catch (RuntimeException x) {
                            failed(figures, e.getKey(), x);
                        }
                    }
                }
            }
        } finally {
            clusters.values().forEach(Cluster::close);
        }
        if (big && !(steady && p.oneCluster())) {
            for (String system : p.systems()) {
                long s0 = System.nanoTime();
                try (Cluster cluster = cluster(p, system, "big", p.bigHeap(), Math.max(p.keys(), p.entries()), p.runs("locks"))) {
                    startCluster(cluster, system);
                    beyond(p, cluster, system, figures);
                } catch (RuntimeException e) {
                    failed(figures, system, e);
                }
                System.out.printf(Locale.ROOT, "%s: beyond steady state done in %.0f s%n", system, (System.nanoTime() - s0) / 1e9);
            }
        }
    }

    private static void failed(List<Figure> figures, String system, RuntimeException e) {
        figures.add(new Figure(system, "run", "failed", Double.NaN, "", String.valueOf(e.getMessage())));
        System.out.printf("%s FAILED: %s%n", system, e.getMessage());
    }

    private static String startCluster(Cluster cluster, String system) {
        long start = System.nanoTime();
        String product = cluster.start();
        System.out.printf(Locale.ROOT, "%s: %s, 3 members after %.1f s (%s)%n", system, product, (System.nanoTime() - start) / 1e9,
                cluster.logs());
        return product;
    }

    private static Cluster cluster(Plan p, String system, String phase, String heap, int entries, boolean lockGroup) {
        Path logs = p.logs().resolve(system + "-" + phase);
        try {
            Files.createDirectories(logs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The same flags for every system's JVMs. The cairn.map.* sizing hints only mean something to Cairn.
        List<String> flags = List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseParallelGC", "-Djava.net.preferIPv4Stack=true",
                "-Xlog:gc:file=" + logs.resolve("gc-%p.log"), "-Dchronicle.analytics.disable=true", "-Dcairn.map.entries=" + entries,
                "-Dcairn.map.key.bytes=16", "-Dcairn.map.value.bytes=1024");
        if (system.equals("cairn")) {
            List<String> args = new ArrayList<>();
            if (lockGroup) {
                args.addAll(List.of("--lock-group", String.join(",", NODES), "--lock-dir", logs.resolve("lock-data").toString()));
            }
            return new CairnCluster(p.cairnJar(), flags, logs, args);
        }
        return new PeerCluster(system, p.benchJar(), flags, logs);
    }

    // ---------------------------------------------------------------------------------------------------- steady state

    private static void steadyState(Plan p, Map<String, Cluster> clusters, Map<String, String> products, List<Row> rows) {
        if (p.runs("steady")) {
            boolean warmedUp = p.warmup() <= 0;
            int filled = -1;
            for (Workload w : p.workloads()) {
                if (w.bytes() != filled) {
                    clusters.forEach((system, c) -> fill(c.node("a"), system, w.map(), p.keys(), w.bytes()));
                    filled = w.bytes();
                }
                if (!warmedUp) {
                    // JIT and connections, discarded
                    clusters.forEach((system, c) -> c.node("a").ask(w.command(p.warmup(), p.keys()), "BENCH", STEP));
                    warmedUp = true;
                }
                clusters.forEach((system, c) -> rows.add(bench(p, c, system, products.get(system), w)));
            }
        }
        if (p.runs("near")) {
            Workload near = new Workload("base + near cache", 8, 90, 1024, "uniform", HazelcastStore.NEAR_MAP);
            clusters.forEach((system, c) -> {
                switch (system) {
                    case "hazelcast" -> {
                        fill(c.node("a"), system, near.map(), p.keys(), near.bytes());
                        rows.add(bench(p, c, system, products.get(system), near));
                    }
                    case "cairn" -> rows.add(new Row(near, system, products.get(system), Map.of(),
                            "not built yet (Cairn's near cache is a later issue)"));
                    default -> rows.add(new Row(near, system, products.get(system), Map.of(),
                            "not measured: embedded Infinispan has no near cache (its L1 is a different thing)"));
                }
            });
        }
    }

    private static void fill(NodeProcess a, String system, String map, int keys, int bytes) {
        double ms = fields(a.ask("fill " + map + " 0 " + keys + " " + bytes, "FILLED", STEP)).getOrDefault("in", Double.NaN);
        System.out.printf(Locale.ROOT, "%s: filled %s with %d keys of %d B in %.0f ms%n", system, map, keys, bytes, ms);
    }

    private static Row bench(Plan p, Cluster cluster, String system, String product, Workload w) {
        NodeProcess a = cluster.node("a");
        if (p.jfr() != null && w.equals(Workload.BASE)) {
            for (String n : List.of("a", "b")) {
                jfr(cluster.node(n), p.jfr().resolve(system + "-" + n + ".jfr"), p.seconds() / 3, p.seconds());
            }
        }
        try {
            String line = a.ask(w.command(p.seconds(), p.keys()), "BENCH", STEP);
            Map<String, Double> m = fields(line);
            m.put("load-1m", loadAverage()); // the machine's 1-minute load average as the run ends (2 cores: above 2 is contention)
            System.out.printf(Locale.ROOT, "%s %s: %s load=%.1f%n", system, w.label(), line, m.get("load-1m"));
            return new Row(w, system, product, m, null);
        } catch (IllegalStateException e) {
            System.out.printf("%s %s FAILED: %s%n", system, w.label(), e.getMessage());
            return new Row(w, system, product, Map.of(), "FAILED: " + e.getMessage());
        }
    }

    /** The 1-minute load average from /proc/loadavg, NaN where there is none. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** A JFR recording of the measured part of a run (after its warm-up), with the profiling settings. */
    private static void jfr(NodeProcess node, Path file, double delaySeconds, double seconds) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path jcmd = Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(node.pid()), "JFR.start", "name=side-by-side",
                    "settings=profile", "delay=" + Math.round(delaySeconds) + "s", "duration=" + Math.round(seconds) + "s",
                    "filename=" + file.toAbsolutePath()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                System.out.println("JFR: jcmd " + node.pid() + " JFR.start failed");
            }
        } catch (IOException e) {
            System.out.println("JFR: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------------------------------------- beyond steady state

    private static void beyond(Plan p, Cluster cluster, String system, List<Figure> figures) {
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
    private static Map<String, Long> gcMark(Cluster cluster) {
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
    private static Figure gcFigure(Cluster cluster, String system, String step, String metric, Map<String, Long> mark) {
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

    // ------------------------------------------------------------------------------------------------------- output

    static Map<String, Double> fields(String line) {
        Map<String, Double> out = new TreeMap<>(dev.cairn.examples.Load.fields(line));
        // "FILLED 100000 in 2345 ms", "CHECKED ... in 2345 ms"
        Matcher in = Pattern.compile("\\bin (\\d+) ms").matcher(line);
        if (in.find()) {
            out.put("in", Double.parseDouble(in.group(1)));
        }
        return out;
    }

    private static Row cairnRow(List<Row> rows, Workload w) {
        return rows.stream().filter(r -> r.system().equals("cairn") && r.workload().equals(w) && r.note() == null).findFirst()
                .orElse(null);
    }

    private static double ratio(double cairn, double other) {
        return other > 0 ? cairn / other : Double.NaN;
    }

    private static void printRows(List<Row> rows, List<String> systems) {
        if (rows.isEmpty()) {
            return;
        }
        System.out.println("Steady state: ops/s and latencies in microseconds (get and put p50 / p99 / p99.9); ops ratio = Cairn's ops/s "
                + "over the system's; p99 ratio = Cairn's get p99 over the system's (below 1: Cairn's is lower); load = the machine's "
                + "1-minute load average as the run ended (2 cores: above 2, something else was running too)");
        String fmt = "%-42s %-11s %9s %6s %6s %7s %6s %6s %7s %6s %9s %9s %5s%n";
        System.out.printf(Locale.ROOT, fmt, "workload", "system", "ops/s", "get50", "get99", "get99.9", "put50", "put99", "put99.9",
                "errors", "ops ratio", "p99 ratio", "load");
        for (Workload w : rows.stream().map(Row::workload).distinct().toList()) {
            Row cairn = cairnRow(rows, w);
            for (Row r : rows) {
                if (!r.workload().equals(w)) {
                    continue;
                }
                if (r.note() != null) {
                    System.out.printf(Locale.ROOT, "%-42s %-11s %s%n", w.label(), r.system(), r.note());
                    continue;
                }
                Map<String, Double> m = r.m();
                String opsRatio = cairn == null ? "" : String.format(Locale.ROOT, "%.2fx", ratio(cairn.ops(), r.ops()));
                String p99Ratio = cairn == null ? "" : String.format(Locale.ROOT, "%.2fx", ratio(cairn.m().get("get-p99-us"),
                        m.get("get-p99-us")));
                System.out.printf(Locale.ROOT, fmt, w.label(), r.system(), num(r.ops()), num(m.get("get-p50-us")), num(m.get("get-p99-us")),
                        num(m.get("get-p999-us")), num(m.get("put-p50-us")), num(m.get("put-p99-us")), num(m.get("put-p999-us")),
                        num(m.get("errors")), opsRatio, p99Ratio, String.format(Locale.ROOT, "%.1f", m.getOrDefault("load-1m", Double.NaN)));
            }
        }
        System.out.println();
        for (Workload w : rows.stream().map(Row::workload).distinct().toList()) {
            Row cairn = cairnRow(rows, w);
            if (cairn == null) {
                continue;
            }
            StringBuilder s = new StringBuilder("  " + w.label() + ": Cairn");
            Row best = null;
            for (Row r : rows) {
                if (r.workload().equals(w) && !r.system().equals("cairn") && r.note() == null) {
                    s.append(String.format(Locale.ROOT, " %.2fx %s", ratio(cairn.ops(), r.ops()), r.system()));
                    if (best == null || r.ops() > best.ops()) {
                        best = r;
                    }
                }
            }
            if (best != null) {
                s.append(String.format(Locale.ROOT, "; best peer %s: %.2fx its ops/s at %.2fx its get p99", best.system(),
                        ratio(cairn.ops(), best.ops()), ratio(cairn.m().get("get-p99-us"), best.m().get("get-p99-us"))));
            }
            System.out.println(s);
        }
    }

    private static void printFigures(List<Figure> figures, List<String> systems) {
        if (figures.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println("Beyond steady state:");
        String fmt = "%-10s %-11s %-44s %12s  %s%n";
        System.out.printf(Locale.ROOT, fmt, "step", "system", "figure", "value", "note");
        List<String> order = List.of("run", "steady", "locks", "memory", "rebalance", "recovery");
        for (String step : order) {
            for (String system : systems) {
                for (Figure f : figures) {
                    if (f.step().equals(step) && f.system().equals(system)) {
                        String v = Double.isNaN(f.value()) ? "-" : (f.unit().equals("s") ? String.format(Locale.ROOT, "%.1f", f.value())
                                : num(f.value())) + " " + f.unit();
                        System.out.printf(Locale.ROOT, fmt, f.step(), f.system(), f.metric(), v, f.note());
                    }
                }
            }
        }
    }

    private static void writeCsv(Path csv, Path stepsCsv, Plan p, List<Row> rows, List<Figure> figures) throws IOException {
        Files.createDirectories(csv.toAbsolutePath().getParent());
        String date = LocalDate.now().toString();
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
            w.println("date,design,workload,threads,read_percent,value_bytes,key_choice,map,keys,seconds,system,product,"
                    + String.join(",", COLUMNS).replace('-', '_') + ",cairn_ops_ratio,cairn_get_p99_ratio,load_1m,note");
            for (Row r : rows) {
                Workload wl = r.workload();
                Row cairn = cairnRow(rows, wl);
                List<String> cells = new ArrayList<>(List.of(date, p.quick() ? "quick" : p.design(), quote(wl.name()),
                        Integer.toString(wl.threads()), Integer.toString(wl.read()), Integer.toString(wl.bytes()), wl.keyChoice(), wl.map(),
                        Integer.toString(p.keys()), num(p.seconds()), r.system(), quote(r.product())));
                for (String c : COLUMNS) {
                    cells.add(num(r.m().getOrDefault(c, Double.NaN)));
                }
                cells.add(cairn == null || r.note() != null ? "" : String.format(Locale.ROOT, "%.3f", ratio(cairn.ops(), r.ops())));
                cells.add(cairn == null || r.note() != null ? "" : String.format(Locale.ROOT, "%.3f",
                        ratio(cairn.m().get("get-p99-us"), r.m().get("get-p99-us"))));
                double load = r.m().getOrDefault("load-1m", Double.NaN);
                cells.add(Double.isNaN(load) ? "" : String.format(Locale.ROOT, "%.2f", load));
                cells.add(r.note() == null ? "" : quote(r.note()));
                w.println(String.join(",", cells));
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(stepsCsv, StandardCharsets.UTF_8))) {
            w.println("date,system,step,figure,value,unit,note");
            for (Figure f : figures) {
                w.println(String.join(",", date, f.system(), f.step(), quote(f.metric()),
                        Double.isNaN(f.value()) ? "" : String.format(Locale.ROOT, "%.1f", f.value()), f.unit(), quote(f.note())));
            }
        }
    }

    private static String quote(String s) {
        return s == null ? "" : '"' + s.replace('"', '\'') + '"';
    }

    static String num(Double v) {
        return v == null || Double.isNaN(v) ? "" : v == Math.rint(v) || Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.1f", v);
    }

    // ----------------------------------------------------------------------------------------------------- clusters

    /** Three nodes of one system, a, b and c, each its own JVM, and any added later. */
    interface Cluster extends AutoCloseable {
        /** Starts a, b, c, waits until each sees all three and data placement has settled; returns the product. */
        String start();

        NodeProcess node(String name);

        /** Starts one more node that joins the others; returns without waiting. */
        NodeProcess add(String name);

        /** Where the nodes' output and GC logs go. */
        Path logs();

        @Override
        void close();
    }

    /** Cairn's own node, {@code java -jar cairn-examples.jar node}, through the examples' ProcessCluster. */
    static final class CairnCluster implements Cluster {
        private final ProcessCluster cluster;
        private final Path logs;

        CairnCluster(Path jar, List<String> flags, Path logs, List<String> nodeArgs) {
            this.logs = logs;
            cluster = ProcessCluster.builder().jar(jar).logs(logs).jvmFlags(flags).nodeArgs(nodeArgs.toArray(String[]::new)).build();
        }

        @Override
        public String start() {
            cluster.start(NODES.toArray(String[]::new));
            cluster.awaitView(Duration.ofSeconds(120), NODES.toArray(String[]::new));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            for (String n : NODES) {
                while (!cluster.node(n).ask("partitions", "PARTITIONS", STEP).contains("settled=true")) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("cairn: node " + n + " did not settle its partitions within 120 s");
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
            }
            Package p = ProcessCluster.class.getPackage();
            return "cairn " + (p.getImplementationVersion() != null ? p.getImplementationVersion() : "0.1.0-SNAPSHOT");
        }

        @Override
        public NodeProcess node(String name) {
            return cluster.node(name);
        }

        @Override
        public NodeProcess add(String name) {
            return cluster.startNode(name);
        }

        @Override
        public Path logs() {
            return logs;
        }

        @Override
        public void close() {
            quitAll(cluster.nodes());
            cluster.close();
        }
    }

    /**
     * A peer's nodes: {@code java -jar cairn-benchmarks.jar node --system S --name N --port P --members ...}, started
     * with NodeProcess (whose {@code node --name --port} arguments the peer main accepts as Cairn's does).
     */
    static final class PeerCluster implements Cluster {
        private final String system;
        private final Path jar;
        private final List<String> flags;
        private final Path logs;
        private final String clusterName;
        private final Map<String, Integer> ports = new LinkedHashMap<>();
        private final Map<String, NodeProcess> nodes = new LinkedHashMap<>();
        private final Thread reaper = new Thread(this::close, "peer-cluster-reaper");

        PeerCluster(String system, Path jar, List<String> flags, Path logs) {
            if (!system.equals("hazelcast") && !system.equals("infinispan")) {
                throw new IllegalArgumentException("unknown system '" + system + "': cairn, hazelcast or infinispan");
            }
            this.system = system;
            this.jar = jar;
            this.flags = flags;
            this.logs = logs;
            this.clusterName = system + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
            Runtime.getRuntime().addShutdownHook(reaper);
        }

        @Override
        public String start() {
            for (String n : NODES) {
                ports.put(n, ProcessCluster.freePort());
            }
            for (String n : NODES) {
                startNode(n);
            }
            String product = system;
            for (NodeProcess p : nodes.values()) {
                String ready = p.awaitLine(0, t -> t.startsWith("READY ") || t.startsWith("ERROR"), Duration.ofSeconds(180)).text();
                if (ready.startsWith("ERROR")) {
                    throw new IllegalStateException(p.name() + ": " + ready + "; log: " + p.log());
                }
                Matcher m = Pattern.compile("product=(\\S+)").matcher(ready);
                if (m.find()) {
                    product = m.group(1).replace('-', ' ');
                }
            }
            for (NodeProcess p : nodes.values()) {
                p.awaitLine(0, t -> t.startsWith("VIEW ") && t.split(" ", 3)[2].split(",").length == NODES.size(),
                        Duration.ofSeconds(180));
            }
            String settled = nodes.get("a").ask("settle 120", "SETTLED", STEP);
            if (!settled.equals("SETTLED true")) {
                throw new IllegalStateException(system + " did not settle: " + settled);
            }
            return product;
        }

        private NodeProcess startNode(String name) {
            String members = String.join(",", ports.values().stream().map(p -> "127.0.0.1:" + p).toList());
            NodeProcess p = NodeProcess.start(jar, flags, name, ports.get(name),
                    List.of("--system", system, "--members", members, "--cluster", clusterName), logs.resolve(name + ".log"));
            nodes.put(name, p);
            return p;
        }

        @Override
        public NodeProcess node(String name) {
            NodeProcess p = nodes.get(name);
            if (p == null) {
                throw new IllegalArgumentException("no node " + name + "; nodes: " + nodes.keySet());
            }
            return p;
        }

        @Override
        public NodeProcess add(String name) {
            ports.put(name, ProcessCluster.freePort());
            return startNode(name);
        }

        @Override
        public Path logs() {
            return logs;
        }

        @Override
        public void close() {
            quitAll(nodes.values());
            for (NodeProcess p : nodes.values()) {
                p.close();
            }
            if (Thread.currentThread() != reaper) {
                try {
                    Runtime.getRuntime().removeShutdownHook(reaper);
                } catch (IllegalStateException e) {
                    // shutting down already
                }
            }
        }
    }

    /** Asks every node to leave at once, then waits for each (at most 20 s in all) and kills what still runs. */
    static void quitAll(java.util.Collection<NodeProcess> nodes) {
        for (NodeProcess p : nodes) {
            if (p.isAlive()) {
                try {
                    p.send("quit");
                } catch (UncheckedIOException e) {
                    // its input is closed: close() below kills it
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (NodeProcess p : nodes) {
            while (p.isAlive() && System.nanoTime() < deadline) {
                p.awaitIdle(Duration.ofMillis(100));
            }
            p.close();
        }
    }

    private static Path ownJar() {
        try {
            return Path.of(SideBySide.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** benchmarks/target/cairn-benchmarks.jar to examples/target/cairn-examples.jar, else the working directory's. */
    private static Path defaultCairnJar(Path benchJar) {
        Path target = benchJar.getParent();
        if (target != null && target.getParent() != null && target.getParent().getParent() != null) {
            Path sibling = target.getParent().getParent().resolve("examples/target/cairn-examples.jar");
            if (Files.isRegularFile(sibling)) {
                return sibling;
            }
        }
        return Path.of("examples/target/cairn-examples.jar");
    }
}
