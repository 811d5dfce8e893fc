package dev.cairn.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import dev.cairn.GridException;
import dev.cairn.MapOptions;
import dev.cairn.MergePolicy;
import dev.cairn.Quorum;
import dev.cairn.grid.Grid;
import dev.cairn.grid.GridConfig;
import dev.cairn.membership.ClusterView;
import dev.cairn.membership.Member;
import dev.cairn.membership.MembershipListener;

/**
 * {@code node}: one Cairn node with a console. Events and answers are printed as lines that start with a keyword
 * (READY, VIEW, JOINED, LEFT, CRASHED, MERGED, MEMBERS, PING, ERROR) so that both people and the launcher can read them.
 * Settings not given as options come from {@code -Dcairn.*} system properties, then from the defaults.
 */
final class NodeCommand {
    private static final Map<String, String> PROPERTIES = Map.of("name", "cairn.node.name", "port", "cairn.port",
            "seeds", "cairn.seeds", "cluster", "cairn.cluster.name", "bind", "cairn.bind.address",
            "failure-timeout", "cairn.failure.timeout", "expected", "cairn.cluster.size", "lock-group", "cairn.lock.group",
            "lock-dir", "cairn.lock.dir", "session-timeout", "cairn.lock.session.timeout");
    private static final Set<String> OPTIONS = Set.of("name", "port", "seeds", "cluster", "bind", "failure-timeout",
            "expected", "lock-group", "lock-dir", "session-timeout", "map-quorum", "map-merge", "map-ttl", "map-idle",
            "map-bound", "map-compress", "prometheus", "no-console", "help");

    private NodeCommand() {
    }

    static int run(String[] args) throws IOException, InterruptedException {
        Options o;
        try {
            o = new Options(args, OPTIONS);
        } catch (IllegalArgumentException e) {
            System.err.println("ERROR " + e.getMessage());
            return 2;
        }
        if (o.has("help")) {
            System.out.println("""
                    usage: node [--name N] [--port P] [--seeds host:port,...] [--cluster C] [--bind ADDR]
                                [--failure-timeout 8s] [--expected SIZE] [--lock-group a,b,c] [--lock-dir DIR]
                                [--session-timeout 10s] [--map-quorum map=MODE,...] [--map-merge map=POLICY,...]
                                [--map-ttl map=30s,...] [--map-idle map=10m,...] [--map-bound map=ENTRIES[/POLICY],...]
                                [--map-compress map=BYTES,...] [--prometheus PORT] [--no-console]
                    --map-quorum sets maps' quorum: MODE is one of NONE, WRITES, READS_AND_WRITES, DEFAULT
                    --map-merge sets maps' merge policy after a split heals (for maps with --map-quorum map=NONE):
                      POLICY is one of LATEST_UPDATE (the default), PUT_IF_ABSENT, PASS_THROUGH, DISCARD, HIGHER_HITS
                    --map-ttl, --map-idle: a map's default time to live and max idle (expiry)
                    --map-bound: at most ENTRIES of the map on each node, evicting by POLICY: LRU (the default), LFU,
                      VOLATILE_LRU, VOLATILE_LFU or NONE (refuse writes past it)
                    --map-compress: values above BYTES serialized are stored and sent LZ4-compressed
                    --prometheus PORT: serve the node's metrics for Prometheus at http://<bind>:PORT/metrics
                    console commands: members, ping <member> [count] [bytes], help, quit, and the map commands
                    (put, get, remove, size, partitions, fill, check, writers; type help in the console)
                    With --no-console the node runs until it is killed; otherwise it also quits when its input ends.""");
            return 0;
        }
        PrintStream out = System.out;
        GridConfig config;
        Prometheus prometheus = null;
        try {
            // Options are the cairn.* properties by shorter names, so GridConfig parses and checks them all alike.
            Properties props = new Properties();
            props.putAll(System.getProperties());
            PROPERTIES.forEach((option, property) -> {
                if (o.has(option)) {
                    props.setProperty(property, o.get(option, ""));
                }
            });
            GridConfig base = GridConfig.builder(props).build();
            GridConfig.Builder builder = GridConfig.builder(props);
            Map<String, Quorum> quorums = mapQuorums(o.get("map-quorum", ""));
            Map<String, MergePolicy> merges = mapMergePolicies(o.get("map-merge", ""));
            MapSettings cache = MapSettings.parse(o.get("map-ttl", ""), o.get("map-idle", ""), o.get("map-bound", ""),
                    o.get("map-compress", ""));
            Set<String> maps = new java.util.TreeSet<>(quorums.keySet());
            maps.addAll(merges.keySet());
            maps.addAll(cache.maps());
            for (String map : maps) {
                MapOptions options = base.mapOptions(map);
                options = quorums.containsKey(map) ? options.withQuorum(quorums.get(map)) : options;
                options = merges.containsKey(map) ? options.withMergePolicy(merges.get(map)) : options;
                builder.map(map, cache.apply(map, options));
            }
            if (o.has("prometheus")) {
                prometheus = new Prometheus(Integer.parseInt(o.get("prometheus", "")));
                builder.meterRegistry(prometheus.registry());
            }
            config = builder.build();
        } catch (RuntimeException e) {
            out.println("ERROR " + e.getMessage());
            return 2;
        }
        Grid grid;
        try {
            grid = Grid.start(config);
        } catch (GridException e) {
            out.println("ERROR " + e.getMessage());
            return 1;
        }
        try (grid; Prometheus scrape = prometheus) {
            if (scrape != null) {
                out.println("PROMETHEUS " + scrape.start(config.bindAddress()));
            }
            Printer printer = new Printer(out);
            grid.addMembershipListener(printer);
            out.printf(Locale.ROOT, "READY %s %s first-view-ms=%.1f%n", grid.localMember().name(),
                    grid.localMember().physicalAddress(), grid.nanosToFirstView() / 1e6);
            printer.viewChanged(grid.view()); // the view as of now, unless the listener already printed a newer one
            if (o.has("no-console")) {
                new CountDownLatch(1).await(); // until killed
                return 0;
            }
            return console(grid, out);
        }
    }

    /** The built-in merge policies by name, as {@code --map-merge} takes them. */
    static final Map<String, MergePolicy> MERGE_POLICIES = Map.of("LATEST_UPDATE", MergePolicy.LATEST_UPDATE,
            "PUT_IF_ABSENT", MergePolicy.PUT_IF_ABSENT, "PASS_THROUGH", MergePolicy.PASS_THROUGH,
            "DISCARD", MergePolicy.DISCARD, "HIGHER_HITS", MergePolicy.HIGHER_HITS);

    /**
     * {@code --map-quorum hist=READS_AND_WRITES,other=WRITES}: each named map's {@link Quorum}.
     *
     * @throws IllegalArgumentException naming the entry and the modes there are, for a bad one
     */
    static Map<String, Quorum> mapQuorums(String spec) {
        Map<String, Quorum> modes = new java.util.TreeMap<>();
        for (Quorum q : Quorum.values()) {
            modes.put(q.name(), q);
        }
        return perMap("map-quorum", spec, modes);
    }

    /**
     * {@code --map-merge hist=LATEST_UPDATE,other=PUT_IF_ABSENT}: each named map's {@link MergePolicy}.
     *
     * @throws IllegalArgumentException naming the entry and the policies there are, for a bad one
     */
    static Map<String, MergePolicy> mapMergePolicies(String spec) {
        return perMap("map-merge", spec, new java.util.TreeMap<>(MERGE_POLICIES));
    }

    /** {@code map=CHOICE,...} with each choice one of {@code choices} (by name, any case), in the order given. */
    private static <T> Map<String, T> perMap(String option, String spec, Map<String, T> choices) {
        Map<String, T> out = new java.util.LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            int eq = entry.indexOf('=');
            String name = eq < 0 ? "" : entry.substring(eq + 1).trim().toUpperCase(Locale.ROOT);
            T choice = choices.get(name);
            if (eq <= 0 || choice == null) {
                throw new IllegalArgumentException("--" + option + " entries look like map=MODE with MODE one of "
                        + choices.keySet() + ", but one was '" + entry + "'");
            }
            out.put(entry.substring(0, eq).trim(), choice);
        }
        return out;
    }

    private static int console(Grid grid, PrintStream out) throws IOException {
        MapCommands maps = new MapCommands(grid, out);
        LockCommands locks = new LockCommands(grid, out);
        HistoryCommands history = new HistoryCommands(grid, out);
        CacheCommands cache = new CacheCommands(grid, out);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean interactive = System.console() != null;
        if (interactive) {
            out.println("Type help for commands.");
        }
        while (true) {
            if (interactive) {
                out.print(grid.localMember().name() + "> ");
                out.flush();
            }
            String line = in.readLine();
            if (line == null) {
                return 0; // input closed: the launcher went away, so leave rather than linger
            }
            String[] words = line.trim().split("\\s+");
            try {
                switch (words[0]) {
                    case "" -> { }
                    case "members" -> members(grid, out);
                    case "ping" -> ping(grid, out, words);
                    case "help" -> out.println("commands: members, ping <member> [count] [bytes] [inline], help, quit\n"
                            + MapCommands.help() + "\n" + CacheCommands.help() + "\n" + HistoryCommands.help() + "\n"
                            + LockCommands.help());
                    case "quit", "exit" -> {
                        out.println("BYE");
                        return 0;
                    }
                    default -> {
                        if (!maps.run(words) && !cache.run(words) && !history.run(words) && !locks.run(words)) {
                            out.println("ERROR unknown command '" + words[0] + "'; type help");
                        }
                    }
                }
            } catch (GridException | IllegalArgumentException | NullPointerException e) {
                out.println("ERROR " + e.getMessage());
            }
        }
    }

    private static void members(Grid grid, PrintStream out) {
        ClusterView view = grid.view();
        out.println("MEMBERS " + String.join(",", view.names()));
        for (Member m : view.members()) {
            String notes = (m.equals(view.coordinator()) ? " coordinator" : "") + (m.equals(grid.localMember()) ? " (this node)" : "");
            out.printf("  %-12s %-22s%s%n", m.name(), m.physicalAddress(), notes);
        }
        out.println("  quorum: " + (grid.hasQuorum() ? "yes" : "NO"));
    }

    /** {@code ping <member> [count] [bytes] [inline]}: round trips of a request, after a warm-up of the same count. */
    private static void ping(Grid grid, PrintStream out, String[] words) {
        if (words.length < 2) {
            throw new IllegalArgumentException("usage: ping <member> [count] [bytes] [inline]");
        }
        Member to = grid.diagnostics().member(words[1]);
        int count = words.length > 2 ? Integer.parseInt(words[2]) : 1000;
        int size = words.length > 3 ? Integer.parseInt(words[3]) : 1024;
        boolean inline = words.length > 4 && words[4].equals("inline");
        if (count < 1 || size < 0) {
            throw new IllegalArgumentException("count must be at least 1 and bytes at least 0");
        }
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) i;
        }
        Duration timeout = Duration.ofSeconds(5);
        for (int i = 0; i < count; i++) {
            grid.diagnostics().ping(to, payload, inline, timeout);
        }
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            h.recordValue(grid.diagnostics().ping(to, payload, inline, timeout));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "PING to=%s count=%d bytes=%d mode=%s p50-us=%.1f p99-us=%.1f p999-us=%.1f max-us=%.1f ops-per-s=%.0f%n",
                to.name(), count, size, inline ? "inline" : "worker", h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, count / seconds);
    }

    static String viewLine(ClusterView view) {
        return "VIEW " + view.id() + " " + String.join(",", view.names());
    }

    /** Prints membership events as lines; each view once, in increasing id, whoever prints it. */
    private static final class Printer implements MembershipListener {
        private final PrintStream out;
        private long lastViewId = -1;

        Printer(PrintStream out) {
            this.out = out;
        }

        @Override
        public void memberJoined(Member member, ClusterView view) {
            out.println("JOINED " + member.name());
        }

        @Override
        public void memberLeft(Member member, ClusterView view) {
            out.println("LEFT " + member.name());
        }

        @Override
        public void memberCrashed(Member member, ClusterView view) {
            out.println("CRASHED " + member.name());
        }

        @Override
        public void merged(ClusterView view, List<ClusterView> subgroups) {
            out.println("MERGED " + subgroups.size());
        }

        @Override
        public synchronized void viewChanged(ClusterView view) {
            if (view.id() > lastViewId) {
                lastViewId = view.id();
                out.println(viewLine(view));
            }
        }
    }
}
