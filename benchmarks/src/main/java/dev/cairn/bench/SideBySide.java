package dev.cairn.bench;

import static dev.cairn.bench.BenchClusters.NODES;
import static dev.cairn.bench.BeyondSteadyState.beyond;
import static dev.cairn.bench.BeyondSteadyState.gcFigure;
import static dev.cairn.bench.BeyondSteadyState.gcMark;
import static dev.cairn.bench.Report.fields;
import static dev.cairn.bench.Report.num;
import static dev.cairn.bench.Report.printFigures;
import static dev.cairn.bench.Report.printRows;
import static dev.cairn.bench.Report.writeCsv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
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
import java.util.concurrent.TimeUnit;

import dev.cairn.bench.BenchClusters.CairnCluster;
import dev.cairn.bench.BenchClusters.Cluster;
import dev.cairn.bench.BenchClusters.PeerCluster;
import dev.cairn.examples.launch.NodeProcess;

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
 *      [--design ofat|grid|large] [--seconds 12] [--warmup 6] [--keys 100000] [--heap 1g] [--big-heap 3g]
 *      [--entries 2000000] [--lock-seconds 10] [--skip steady,near,locks,memory,rebalance,recovery]
 *      [--jfr DIR] [--csv target/side-by-side.csv] [--logs DIR] [--cairn-jar examples/target/cairn-examples.jar]
 * </pre>
 */
final class SideBySide {
    static final Duration STEP = Duration.ofSeconds(900);
    private static final List<String> SYSTEMS = List.of("cairn", "hazelcast", "infinispan");
    private static final Set<String> STEPS = Set.of("steady", "near", "locks", "memory", "rebalance", "recovery");

    private SideBySide() {
    }

    /**
     * One load: threads, read share, value size, key choice, the map it runs on, and how many keys (0: the plan's
     * {@code --keys}; large values run over fewer keys, so that every system holds them in its heap).
     */
    record Workload(String name, int threads, int read, int bytes, String keyChoice, String map, int keys) {
        static final Workload BASE = new Workload("base", 8, 90, 1024, "uniform", "bench");

        Workload(String name, int threads, int read, int bytes, String keyChoice, String map) {
            this(name, threads, read, bytes, keyChoice, map, 0);
        }

        String label() {
            String size = bytes >= 1 << 20 ? bytes / (1 << 20) + "MB" : bytes >= 1024 ? bytes / 1024 + "KB" : bytes + "B";
            return String.format(Locale.ROOT, "%s (%d/%d %s %s %dt)", name, read, 100 - read, size, keyChoice, threads);
        }

        int keys(Plan p) {
            return keys > 0 ? keys : p.keys();
        }

        String command(double seconds, Plan p) {
            return String.format(Locale.ROOT, "bench %s %d %s %d %d %d %s", map, threads, num(seconds), keys(p), bytes, read,
                    keyChoice);
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
                Path benchJar, Path cairnJar, List<String> cairnArgs) {
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
                Path.of(o.getOrDefault("cairn-jar", defaultCairnJar(benchJar).toString())),
                o.containsKey("cairn-args") ? List.of(o.get("cairn-args").trim().split("\\s+")) : List.of());
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
            // issue 22: the base, then values of 100 KB (over 1,000 keys) and 1 MB (over 200 keys)
            case "large" -> List.of(b, new Workload("100 KB", 8, 90, 100 * 1024, "uniform", "bench", 1000),
                    new Workload("1 MB", 8, 90, 1 << 20, "uniform", "bench", 200));
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
            default -> throw new IllegalArgumentException("--design must be ofat, grid or large but was '" + design + "'");
        };
    }

    private static String header(Plan p) {
        String design = switch (p.quick() ? "quick" : p.design()) {
            case "quick" -> "--quick: the base workload only (90% get / 10% put, 1 KB, uniform keys, 8 threads)";
            case "ofat" -> "one factor at a time around the base (90% get / 10% put, 1 KB, uniform keys, 8 threads): base, 50/50, "
                    + "zipfian (YCSB constant 0.99, not scrambled), 1 thread, 32 threads, 100 B";
            case "large" -> "large values (issue 22): the base, then 90/10 with 100 KB values over 1,000 keys and 1 MB over 200"
                    + " (uniform, 8 threads)";
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
            List<String> args = new ArrayList<>(p.cairnArgs()); // e.g. --map-ttl bench=1h: the base row with expiry on
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
                    clusters.forEach((system, c) -> fill(c.node("a"), system, w.map(), w.keys(p), w.bytes()));
                    filled = w.bytes();
                }
                if (!warmedUp) {
                    // JIT and connections, discarded
                    clusters.forEach((system, c) -> c.node("a").ask(w.command(p.warmup(), p), "BENCH", STEP));
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
            String line = a.ask(w.command(p.seconds(), p), "BENCH", STEP);
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
