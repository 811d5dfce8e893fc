package dev.cairn.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Cairn, Hazelcast and Infinispan side by side (issue 5, first cut): for each system in turn, three JVMs on 127.0.0.1
 * with the same heap and flags, 100,000 keys filled from node a, then closed-loop load from node a (8 threads, 90% get
 * / 10% put, 1 KB values, uniform keys by default), each run warming up for a third of its time first. Prints a
 * table with the ratio of Cairn's throughput to each peer's and writes the same rows as CSV.
 *
 * <pre>
 * java -jar benchmarks/target/cairn-benchmarks.jar side-by-side [--quick] [--systems cairn,hazelcast,infinispan]
 *      [--rounds 3] [--seconds 30] [--threads 8] [--bytes 1024] [--read 90] [--keys 100000] [--heap 1g]
 *      [--csv target/side-by-side.csv] [--logs DIR] [--cairn-jar examples/target/cairn-examples.jar]
 * </pre>
 */
final class SideBySide {
    private static final Duration STEP = Duration.ofSeconds(600);
    private static final Pattern FIELD = Pattern.compile("([a-z0-9-]+)=([\\d.]+)");
    private static final List<String> NODES = List.of("a", "b", "c");
    private static final List<String> COLUMNS = List.of("ops-per-s", "get-p50-us", "get-p99-us", "get-p999-us", "put-p50-us",
            "put-p99-us", "put-p999-us", "errors");

    private SideBySide() {
    }

    /** One system's figures: the median over rounds of each BENCH field. */
    record Result(String system, String product, double fillMs, Map<String, Double> median, String failure) {
    }

    static int run(String[] args) throws Exception {
        Map<String, String> o = Args.parse(args);
        boolean quick = o.containsKey("quick");
        List<String> systems = List.of(o.getOrDefault("systems", "cairn,hazelcast,infinispan").split(","));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", quick ? "1" : "3"));
        int seconds = Integer.parseInt(o.getOrDefault("seconds", quick ? "12" : "30"));
        int threads = Integer.parseInt(o.getOrDefault("threads", "8"));
        int bytes = Integer.parseInt(o.getOrDefault("bytes", "1024"));
        int read = Integer.parseInt(o.getOrDefault("read", "90"));
        int keys = Integer.parseInt(o.getOrDefault("keys", "100000"));
        String heap = o.getOrDefault("heap", "1g");
        Path benchJar = ownJar();
        Path cairnJar = Path.of(o.getOrDefault("cairn-jar", defaultCairnJar(benchJar).toString()));
        Path csv = Path.of(o.getOrDefault("csv", benchJar.getParent().resolve("side-by-side.csv").toString()));
        Path logs = Path.of(o.getOrDefault("logs", Files.createTempDirectory("cairn-side-by-side").toString()));
        // The same flags for every system's JVMs. The cairn.map.* sizing hints only mean something to Cairn.
        List<String> flags = List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseParallelGC", "-Djava.net.preferIPv4Stack=true",
                "-Dchronicle.analytics.disable=true", "-Dcairn.map.entries=" + keys, "-Dcairn.map.key.bytes=16",
                "-Dcairn.map.value.bytes=" + bytes);
        String workload = String.format(Locale.ROOT, "%d threads, %d%% get / %d%% put, %d B values, %d uniform keys", threads,
                read, 100 - read, bytes, keys);
        System.out.printf(Locale.ROOT, "side-by-side%s: %s; 3 JVMs per system on 127.0.0.1 (-Xmx%s, ParallelGC), one backup "
                        + "copy each, load from node a; %d s per run after %d s warm-up, %d round(s); %d cores; logs in %s%n",
                quick ? " --quick" : "", workload, heap, seconds, seconds / 3, rounds, Runtime.getRuntime().availableProcessors(), logs);

        long t0 = System.nanoTime();
        List<Result> results = new ArrayList<>();
        for (String system : systems) {
            long s0 = System.nanoTime();
            Result r;
            try {
                r = runSystem(system, benchJar, cairnJar, flags, logs.resolve(system), keys, bytes, threads, seconds, read, rounds, !quick);
            } catch (RuntimeException e) {
                r = new Result(system, system, 0, Map.of(), e.getMessage());
                System.out.printf("%s FAILED: %s%n", system, e.getMessage());
            }
            results.add(r);
            System.out.printf(Locale.ROOT, "%s done in %.0f s%n", system, (System.nanoTime() - s0) / 1e9);
        }
        print(results, workload);
        writeCsv(csv, results, workload, threads, read, bytes, keys, seconds, rounds);
        System.out.printf(Locale.ROOT, "CSV: %s; whole run %.0f s%n", csv, (System.nanoTime() - t0) / 1e9);
        return results.stream().anyMatch(r -> r.failure() != null) ? 1 : 0;
    }

    private static Result runSystem(String system, Path benchJar, Path cairnJar, List<String> flags, Path logs, int keys, int bytes,
                                    int threads, int seconds, int read, int rounds, boolean warmupRun) {
        try (Cluster cluster = system.equals("cairn") ? new CairnCluster(cairnJar, flags, logs) : new PeerCluster(system, benchJar, flags, logs)) {
            long start = System.nanoTime();
            String product = cluster.start();
            NodeProcess a = cluster.node("a");
            System.out.printf(Locale.ROOT, "%s: %s, 3 members after %.1f s%n", system, product, (System.nanoTime() - start) / 1e9);
            double fillMs = fields(a.ask("fill bench 0 " + keys + " " + bytes, "FILLED", STEP)).getOrDefault("in", Double.NaN);
            System.out.printf(Locale.ROOT, "%s: filled %d keys of %d B in %.0f ms%n", system, keys, bytes, fillMs);
            String bench = "bench bench " + threads + " " + seconds + " " + keys + " " + bytes + " " + read;
            if (warmupRun) {
                a.ask(bench, "BENCH", STEP); // a whole run to warm up JIT and connections, discarded
            }
            Map<String, List<Double>> all = new TreeMap<>();
            for (int round = 1; round <= rounds; round++) {
                String line = a.ask(bench, "BENCH", STEP);
                System.out.printf("%s round %d: %s%n", system, round, line);
                fields(line).forEach((k, v) -> all.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            }
            Map<String, Double> median = new LinkedHashMap<>();
            all.forEach((k, vs) -> median.put(k, median(vs)));
            return new Result(system, product, fillMs, median, null);
        }
    }

    private static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static Map<String, Double> fields(String line) {
        Map<String, Double> out = new TreeMap<>();
        Matcher m = FIELD.matcher(line);
        while (m.find()) {
            out.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        // "FILLED 100000 in 2345 ms"
        Matcher in = Pattern.compile("\\bin (\\d+)").matcher(line);
        if (in.find()) {
            out.put("in", Double.parseDouble(in.group(1)));
        }
        return out;
    }

    private static double cairnOps(List<Result> results) {
        return results.stream().filter(r -> r.system().equals("cairn") && r.failure() == null)
                .mapToDouble(r -> r.median().getOrDefault("ops-per-s", Double.NaN)).findFirst().orElse(Double.NaN);
    }

    private static void print(List<Result> results, String workload) {
        double cairn = cairnOps(results);
        System.out.println();
        System.out.println("Workload: " + workload + "; latencies in microseconds, medians over rounds");
        System.out.printf(Locale.ROOT, "%-12s %-26s %9s %8s %8s %9s %8s %8s %9s %6s %12s%n", "system", "product", "ops/s", "get p50",
                "get p99", "get p99.9", "put p50", "put p99", "put p99.9", "errors", "cairn/system");
        for (Result r : results) {
            if (r.failure() != null) {
                System.out.printf(Locale.ROOT, "%-12s FAILED: %s%n", r.system(), r.failure());
                continue;
            }
            Map<String, Double> m = r.median();
            System.out.printf(Locale.ROOT, "%-12s %-26s %9.0f %8.0f %8.0f %9.0f %8.0f %8.0f %9.0f %6.0f %11.2fx%n", r.system(), r.product(),
                    m.get("ops-per-s"), m.get("get-p50-us"), m.get("get-p99-us"), m.get("get-p999-us"), m.get("put-p50-us"),
                    m.get("put-p99-us"), m.get("put-p999-us"), m.get("errors"), cairn / m.get("ops-per-s"));
        }
    }

    private static void writeCsv(Path csv, List<Result> results, String workload, int threads, int read, int bytes, int keys,
                                 int seconds, int rounds) throws IOException {
        double cairn = cairnOps(results);
        Files.createDirectories(csv.toAbsolutePath().getParent());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
            w.println("date,system,product,threads,read_percent,value_bytes,keys,seconds,rounds,fill_ms,"
                    + String.join(",", COLUMNS).replace('-', '_') + ",cairn_ops_ratio,failure");
            for (Result r : results) {
                StringBuilder line = new StringBuilder();
                line.append(LocalDate.now()).append(',').append(r.system()).append(',').append(r.product()).append(',')
                        .append(threads).append(',').append(read).append(',').append(bytes).append(',').append(keys).append(',')
                        .append(seconds).append(',').append(rounds).append(',').append(num(r.fillMs()));
                for (String c : COLUMNS) {
                    line.append(',').append(num(r.median().getOrDefault(c, Double.NaN)));
                }
                double ratio = cairn / r.median().getOrDefault("ops-per-s", Double.NaN);
                line.append(',').append(Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.3f", ratio));
                line.append(',').append(r.failure() == null ? "" : '"' + r.failure().replace('"', '\'') + '"');
                w.println(line);
            }
        }
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.0f", v);
    }

    /** Three nodes of one system, a, b and c, each its own JVM. */
    interface Cluster extends AutoCloseable {
        /** Starts all three, waits until each sees all three and data placement has settled; returns the product. */
        String start();

        NodeProcess node(String name);

        @Override
        void close();
    }

    /** Cairn's own node, {@code java -jar cairn-examples.jar node}, through the examples' ProcessCluster. */
    static final class CairnCluster implements Cluster {
        private final ProcessCluster cluster;

        CairnCluster(Path jar, List<String> flags, Path logs) {
            cluster = ProcessCluster.builder().jar(jar).logs(logs).jvmFlags(flags).build();
        }

        @Override
        public String start() {
            cluster.start(NODES.toArray(String[]::new));
            cluster.awaitView(Duration.ofSeconds(120), NODES.toArray(String[]::new));
            Package p = ProcessCluster.class.getPackage();
            return "cairn " + (p.getImplementationVersion() != null ? p.getImplementationVersion() : "0.1.0-SNAPSHOT");
        }

        @Override
        public NodeProcess node(String name) {
            return cluster.node(name);
        }

        @Override
        public void close() {
            for (NodeProcess p : cluster.nodes()) {
                p.quit(Duration.ofSeconds(20));
            }
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
            Runtime.getRuntime().addShutdownHook(reaper);
        }

        @Override
        public String start() {
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (String n : NODES) {
                ports.put(n, ProcessCluster.freePort());
            }
            String members = String.join(",", ports.values().stream().map(p -> "127.0.0.1:" + p).toList());
            String cluster = system + "-" + ProcessHandle.current().pid();
            for (String n : NODES) {
                nodes.put(n, NodeProcess.start(jar, flags, n, ports.get(n),
                        List.of("--system", system, "--members", members, "--cluster", cluster), logs.resolve(n + ".log")));
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

        @Override
        public NodeProcess node(String name) {
            return nodes.get(name);
        }

        @Override
        public void close() {
            for (NodeProcess p : nodes.values()) {
                p.quit(Duration.ofSeconds(20));
            }
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
