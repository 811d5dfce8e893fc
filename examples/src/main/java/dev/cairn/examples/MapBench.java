package dev.cairn.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * {@code bench-map}: the partitioned map on three JVMs on 127.0.0.1 (one synchronous backup), load driven from one
 * of them. Per round: single-thread latency of get and put, then 8 threads at 90% get / 10% put over 100,000 keys
 * with 1 KB values. With {@code --memory N}: N entries of 1 KB, then each JVM's heap and off-heap bytes per entry.
 */
final class MapBench {
    private static final Duration STEP = Duration.ofSeconds(600);

    private MapBench() {
    }

    static int run(String[] args) throws Exception {
        Options o = new Options(args, Set.of("rounds", "seconds", "keys", "bytes", "memory", "logs", "heap"));
        int rounds = o.getInt("rounds", 3);
        int seconds = o.getInt("seconds", 15);
        int keys = o.getInt("keys", 100_000);
        int bytes = o.getInt("bytes", 1024);
        int memoryEntries = o.getInt("memory", 0);
        String heap = o.get("heap", "1g");
        Path logs = Path.of(o.get("logs", Files.createTempDirectory("cairn-bench-map").toString()));
        List<String> flags = new ArrayList<>(List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseParallelGC",
                "-Djava.net.preferIPv4Stack=true", "-Dcairn.map.entries=" + Math.max(keys, memoryEntries),
                "-Dcairn.map.key.bytes=16", "-Dcairn.map.value.bytes=" + bytes));
        System.out.printf(Locale.ROOT, "bench-map: 3 JVMs on 127.0.0.1 (-Xmx%s), 1 sync backup, %d keys of %d bytes, "
                + "%d s per run (a third of it warm-up), %d rounds, %d cores%n", heap, keys, bytes, seconds, rounds,
                Runtime.getRuntime().availableProcessors());
        Figures figures = new Figures();
        for (int round = 1; round <= rounds; round++) {
            try (ProcessCluster cluster = ProcessCluster.builder().logs(logs.resolve("round-" + round)).jvmFlags(flags).build()) {
                cluster.start("a", "b", "c");
                cluster.awaitView(Duration.ofSeconds(60), "a", "b", "c");
                NodeProcess a = cluster.node("a");
                ask(a, "fill bench 0 " + keys + " " + bytes, "FILLED");
                Map<String, Double> one = Load.fields(ask(a, "bench bench 1 " + seconds + " " + keys + " " + bytes + " 50", "BENCH"));
                figures.add("1 thread 50/50: get p50 (us)", one.get("get-p50-us"));
                figures.add("1 thread 50/50: get p99 (us)", one.get("get-p99-us"));
                figures.add("1 thread 50/50: put p50 (us)", one.get("put-p50-us"));
                figures.add("1 thread 50/50: put p99 (us)", one.get("put-p99-us"));
                Map<String, Double> eight = Load.fields(ask(a, "bench bench 8 " + seconds + " " + keys + " " + bytes + " 90", "BENCH"));
                figures.add("8 threads 90/10: ops/s", eight.get("ops-per-s"));
                figures.add("8 threads 90/10: get p99 (us)", eight.get("get-p99-us"));
                figures.add("8 threads 90/10: put p99 (us)", eight.get("put-p99-us"));
                figures.add("8 threads 90/10: p50 get (us)", eight.get("get-p50-us"));
                if (memoryEntries > 0 && round == 1) {
                    memory(cluster, memoryEntries, bytes);
                }
            }
            System.out.printf("round %d done%n", round);
        }
        figures.print();
        return 0;
    }

    private static void memory(ProcessCluster cluster, int entries, int bytes) {
        List<Map<String, Double>> before = new ArrayList<>();
        for (String n : List.of("a", "b", "c")) {
            before.add(Load.fields(ask(cluster.node(n), "memory mem", "MEMORY")));
        }
        long t0 = System.nanoTime();
        ask(cluster.node("a"), "fill mem 0 " + entries + " " + bytes, "FILLED");
        System.out.printf(Locale.ROOT, "memory: %d entries of %d bytes written in %.1f s; per JVM (each holds ~2/3 of "
                + "the entries: primary + 1 backup over 3 nodes):%n", entries, bytes, (System.nanoTime() - t0) / 1e9);
        double copies = entries * 2.0 / 3;
        int i = 0;
        for (String n : List.of("a", "b", "c")) {
            Map<String, Double> after = Load.fields(ask(cluster.node(n), "memory mem", "MEMORY"));
            Map<String, Double> b = before.get(i++);
            System.out.printf(Locale.ROOT, "  %s: off-heap %.0f B/entry, heap %.0f B/entry, RSS %.0f B/entry (per copy held)%n", n,
                    after.get("offheap") / copies, (after.get("heap-used") - b.get("heap-used")) / copies,
                    (after.get("rss") - b.get("rss")) / copies);
        }
    }

    private static String ask(NodeProcess node, String command, String keyword) {
        return node.ask(command, keyword, STEP);
    }

}
