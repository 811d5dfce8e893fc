package dev.cairn.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;


/**
 * {@code node --system hazelcast|infinispan --name N --port P --members 127.0.0.1:p1,... [--cluster C]}: one embedded
 * peer node that speaks the same line console as Cairn's {@code node} (see dev.cairn.examples.MapCommands), so one
 * driver runs all three systems alike. Lines: {@code READY <name> <address> first-view-ms=<ms>},
 * {@code VIEW <n> a,b,c}; commands {@code fill}, {@code check}, {@code bench}, {@code memory}, {@code size},
 * {@code settle}, {@code balanced}, {@code lockbench}, {@code maplockbench}, {@code quit}. Keys are {@code k-<i>}, values byte[] filled exactly as Cairn's console fills them.
 */
final class PeerNode {
    private static final AtomicLong VIEWS = new AtomicLong();

    private PeerNode() {
    }

    static int run(String[] args) throws Exception {
        Map<String, String> o = Args.parse(args);
        String system = Args.need(o, "system");
        String name = o.getOrDefault("name", "n" + ProcessHandle.current().pid());
        int port = Integer.parseInt(Args.need(o, "port"));
        List<String> members = List.of(Args.need(o, "members").split(","));
        String cluster = o.getOrDefault("cluster", "bench-" + system);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        PeerStore store;
        try {
            store = switch (system) {
                case "hazelcast" -> new HazelcastStore(cluster, name, port, members, v -> view(out, v));
                case "infinispan" -> new InfinispanStore(cluster, name, port, members, List.of("bench", "mem"), v -> view(out, v));
                default -> throw new IllegalArgumentException("unknown system '" + system + "': hazelcast or infinispan");
            };
        } catch (RuntimeException e) {
            out.println("ERROR " + e);
            return 1;
        }
        try (store) {
            out.printf(Locale.ROOT, "READY %s %s first-view-ms=%.1f product=%s%n", name, store.address(), (System.nanoTime() - t0) / 1e6,
                    store.product().replace(' ', '-'));
            view(out, store.members());
            return console(store, out);
        }
    }

    private static synchronized void view(PrintStream out, List<String> members) {
        out.println("VIEW " + VIEWS.incrementAndGet() + " " + String.join(",", members));
    }

    private static int console(PeerStore store, PrintStream out) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (true) {
            String line = in.readLine();
            if (line == null) {
                return 0; // the launcher went away
            }
            String[] w = line.trim().split("\\s+");
            try {
                switch (w[0]) {
                    case "" -> { }
                    case "quit", "exit" -> {
                        out.println("BYE");
                        return 0;
                    }
                    case "members" -> out.println("MEMBERS " + String.join(",", store.members()));
                    case "size" -> out.println("SIZE " + store.map(arg(w, 1)).size());
                    case "settle" -> out.println("SETTLED " + store.awaitSettled(Duration.ofSeconds(Integer.parseInt(arg(w, 1)))));
                    case "fill" -> fill(store, out, arg(w, 1), Integer.parseInt(arg(w, 2)), Integer.parseInt(arg(w, 3)),
                            w.length > 4 ? Integer.parseInt(w[4]) : 100);
                    case "check" -> check(store, out, arg(w, 1), Integer.parseInt(arg(w, 2)), Integer.parseInt(arg(w, 3)),
                            w.length > 4 ? Integer.parseInt(w[4]) : 100);
                    case "bench" -> bench(store.map(arg(w, 1)), out, Integer.parseInt(arg(w, 2)), Double.parseDouble(arg(w, 3)),
                            Integer.parseInt(arg(w, 4)), Integer.parseInt(arg(w, 5)), Integer.parseInt(arg(w, 6)),
                            w.length > 7 ? w[7] : "uniform");
                    case "balanced" -> out.println(store.balanced());
                    // lockbench: the product's fenced lock (as Cairn's console command of that name);
                    // maplockbench: its other lock, where it has one (Hazelcast's IMap.lock)
                    case "lockbench" -> lockBench(out, w, store::fencedLock);
                    case "maplockbench" -> lockBench(out, w, store::otherLock);
                    case "memory" -> memory(store, out, arg(w, 1));
                    default -> out.println("ERROR unknown command '" + w[0] + "'");
                }
            } catch (RuntimeException e) {
                out.println("ERROR " + e);
            }
        }
    }

    private static String arg(String[] w, int i) {
        if (w.length <= i) {
            throw new IllegalArgumentException("missing argument " + i + " of " + w[0]);
        }
        return w[i];
    }

    /** The value for key index {@code i}, the same bytes Cairn's console writes. */
    static byte[] valueFor(int i, int size) {
        return dev.cairn.examples.Load.valueFor(i, size);
    }

    private static void fill(PeerStore store, PrintStream out, String map, int from, int count, int bytes) {
        dev.cairn.examples.Load.fill(store.map(map)::putAll, out, from, count, bytes);
    }

    private static void check(PeerStore store, PrintStream out, String map, int from, int count, int bytes) {
        dev.cairn.examples.Load.check(store.map(map)::getAll, out, from, count, bytes); // as Cairn's console checks
    }

    /** Cairn's own load, so every system is driven and measured by the same code. */
    static void bench(PeerStore.KeyValues m, PrintStream out, int threads, double seconds, int keys, int bytes, int readPercent,
                      String keyChoice) {
        dev.cairn.examples.Load.bench(dev.cairn.examples.Load.target(m::get, m::set), out, threads, seconds, keys, bytes, readPercent,
                keyChoice);
    }

    /** {@code lockbench <threads> <seconds>}: Cairn's lock loop (Load.lockBench), one lock per thread. */
    private static void lockBench(PrintStream out, String[] w, java.util.function.Function<String, dev.cairn.examples.Load.LockTarget> lockFor) {
        int threads = Integer.parseInt(arg(w, 1));
        double seconds = Double.parseDouble(arg(w, 2));
        List<dev.cairn.examples.Load.LockTarget> locks = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            locks.add(lockFor.apply("lockbench-" + t)); // throws here, with the product's message, if there is no such lock
        }
        dev.cairn.examples.Load.lockBench(locks::get, out, threads, seconds);
    }

    /** Heap after a GC, the map's off-heap bytes here, resident and virtual memory (as Cairn's {@code memory}). */
    private static void memory(PeerStore store, PrintStream out, String map) {
        dev.cairn.examples.Load.memory(out, store.offHeapBytes(map));
    }
}
