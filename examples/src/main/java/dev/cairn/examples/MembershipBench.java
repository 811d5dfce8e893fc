package dev.cairn.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * {@code bench-membership}: the figures issue 2 asks for, each the median of several rounds with real JVMs on
 * 127.0.0.1. Per round: three node JVMs start (time from Grid.start to first view, for the founder and the joiners),
 * one is killed with SIGKILL (time until a survivor declares it crashed), one is paused with SIGSTOP (time until it is
 * declared crashed though its sockets stay open), and 1 KB requests go back and forth between two JVMs (p50, p99).
 */
final class MembershipBench {
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final Pattern PING = Pattern.compile("PING .* mode=(\\w+) p50-us=([\\d.]+) p99-us=([\\d.]+) p999-us=([\\d.]+) .*ops-per-s=(\\d+)");

    private MembershipBench() {
    }

    static int run(String[] args) throws Exception {
        Options o = new Options(args, Set.of("rounds", "pings", "bytes", "logs"));
        int rounds = o.getInt("rounds", 5);
        int pings = o.getInt("pings", 20_000);
        int bytes = o.getInt("bytes", 1024);
        Path logs = Path.of(o.get("logs", Files.createTempDirectory("cairn-bench").toString()));
        Figures figures = new Figures();
        System.out.printf(Locale.ROOT, "bench-membership: %d rounds, %d pings of %d bytes per round, JVMs on 127.0.0.1, %d cores%n",
                rounds, pings, bytes, Runtime.getRuntime().availableProcessors());
        for (int round = 1; round <= rounds; round++) {
            try (ProcessCluster cluster = ProcessCluster.builder().logs(logs.resolve("round-" + round)).build()) {
                List<NodeProcess> nodes = new ArrayList<>();
                nodes.add(cluster.start("a").get(0));
                figures.add("first view, founder (ms)", nodes.get(0).awaitReady(STEP));
                nodes.addAll(cluster.start("b", "c"));
                figures.add("first view, joiner (ms)", nodes.get(1).awaitReady(STEP));
                figures.add("first view, joiner (ms)", nodes.get(2).awaitReady(STEP));
                cluster.awaitView(STEP, "a", "b", "c");

                for (String mode : List.of("worker", "inline")) {
                    NodeProcess a = cluster.node("a");
                    int mark = a.mark();
                    String line = a.ask("ping b " + pings + " " + bytes + (mode.equals("inline") ? " inline" : ""), "PING",
                            STEP.multipliedBy(5));
                    Matcher m = PING.matcher(line);
                    if (!m.matches()) {
                        throw new IllegalStateException("unexpected ping answer: " + line);
                    }
                    figures.add("1KB round trip p50, " + mode + " (us)", Double.parseDouble(m.group(2)));
                    figures.add("1KB round trip p99, " + mode + " (us)", Double.parseDouble(m.group(3)));
                    figures.add("1KB round trips/s one thread, " + mode, Double.parseDouble(m.group(5)));
                }

                int mark = cluster.node("a").mark();
                long killed = System.nanoTime();
                cluster.node("c").kill();
                NodeProcess.Line crashed = cluster.node("a").awaitLine(mark, t -> t.equals("CRASHED c"), STEP);
                figures.add("crash detected after SIGKILL (ms)", (crashed.nanos() - killed) / 1e6);
                cluster.awaitView(STEP, "a", "b");

                mark = cluster.node("a").mark();
                long paused = System.nanoTime();
                cluster.node("b").pause();
                NodeProcess.Line hung = cluster.node("a").awaitLine(mark, t -> t.equals("CRASHED b"), STEP);
                figures.add("hang detected after SIGSTOP (ms)", (hung.nanos() - paused) / 1e6);
                cluster.node("b").resume();
            }
            System.out.printf("round %d done%n", round);
        }
        figures.print();
        return 0;
    }
}
