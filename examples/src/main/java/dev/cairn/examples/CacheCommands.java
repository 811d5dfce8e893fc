package dev.cairn.examples;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

import dev.cairn.EntryOptions;
import dev.cairn.MapStats;
import dev.cairn.Priority;
import dev.cairn.grid.Grid;
import dev.cairn.grid.GridMap;

/**
 * The node console's cache commands (issue 15): writes with a time to live or a priority, a key's time left, expire
 * and persist, and a map's statistics on this node or summed over the cluster. Values are strings; answers are lines
 * that start with a keyword.
 */
final class CacheCommands {
    private final Grid grid;
    private final PrintStream out;

    CacheCommands(Grid grid, PrintStream out) {
        this.grid = grid;
        this.out = out;
    }

    static String help() {
        return """
                  putx <map> <key> <value> <ttl|-> [LOW|NORMAL|HIGH|CRITICAL]   a write with a time to live (30s, 5m,
                                              or - for the map's default) and a priority: PREVIOUS <value>
                  ttl <map> <key>             TTL <duration> (or none)     expire <map> <key> <ttl>: EXPIRED true|false
                  persist <map> <key>         PERSISTED true|false (the entry no longer expires)
                  stats <map> [cluster]       STATS entries= hits= misses= hit-rate= evictions= expirations= ...
                  cacheload <map> <threads> <seconds> <keys> <bytes>   cache-aside load over zipfian keys k-0..: a
                                              read, and on a miss a write, in the background (CACHELOADING); at its
                                              end: CACHELOAD ops= hits= misses= hit-rate= errors=""";
    }

    /** Runs a command if it is a cache command; false if not. */
    boolean run(String[] w) {
        switch (w[0]) {
            case "putx" -> {
                need(w, 5, "putx <map> <key> <value> <ttl|-> [priority]");
                EntryOptions options = w[4].equals("-") ? EntryOptions.DEFAULT : EntryOptions.ttl(duration(w[4]));
                if (w.length > 5) {
                    options = options.withPriority(priority(w[5]));
                }
                out.println("PREVIOUS " + text(map(w[1]).put(w[2], bytes(w[3]), options)));
            }
            case "ttl" -> {
                need(w, 3, "ttl <map> <key>");
                out.println("TTL " + map(w[1]).ttl(w[2]).map(d -> d.toMillis() + "ms").orElse("none"));
            }
            case "expire" -> {
                need(w, 4, "expire <map> <key> <ttl>");
                out.println("EXPIRED " + map(w[1]).expire(w[2], duration(w[3])));
            }
            case "persist" -> {
                need(w, 3, "persist <map> <key>");
                out.println("PERSISTED " + map(w[1]).persist(w[2]));
            }
            case "stats" -> {
                need(w, 2, "stats <map> [cluster]");
                boolean cluster = w.length > 2 && w[2].equals("cluster");
                out.println("STATS " + line(cluster ? map(w[1]).clusterStats() : map(w[1]).stats()));
            }
            case "cacheload" -> {
                need(w, 6, "cacheload <map> <threads> <seconds> <keys> <bytes>");
                GridMap<String, byte[]> m = map(w[1]);
                int threads = Integer.parseInt(w[2]);
                double seconds = Double.parseDouble(w[3]);
                int keys = Integer.parseInt(w[4]);
                int bytes = Integer.parseInt(w[5]);
                Thread load = new Thread(() -> cacheLoad(m, threads, seconds, keys, bytes), "cacheload");
                load.setDaemon(true);
                load.start(); // the console keeps answering (stats, memory) while it runs
                out.println("CACHELOADING " + w[1]);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * The load a cache in front of a slower store sees: each thread draws a key from a zipfian over {@code keys} (YCSB's
     * constant), reads it, and on a miss writes a value of {@code bytes}, as a caller that had to load it would.
     */
    private void cacheLoad(GridMap<String, byte[]> m, int threads, double seconds, int keys, int bytes) {
        Load.Zipfian zipfian = new Load.Zipfian(keys, Load.Zipfian.YCSB_CONSTANT);
        byte[] value = Load.valueFor(1, bytes);
        java.util.concurrent.atomic.LongAdder hits = new java.util.concurrent.atomic.LongAdder();
        java.util.concurrent.atomic.LongAdder misses = new java.util.concurrent.atomic.LongAdder();
        java.util.concurrent.atomic.LongAdder errors = new java.util.concurrent.atomic.LongAdder();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        java.util.List<Thread> all = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            java.util.SplittableRandom random = new java.util.SplittableRandom(System.nanoTime() + t);
            Thread th = new Thread(() -> {
                while (System.nanoTime() < end) {
                    String key = "k-" + zipfian.next(random);
                    try {
                        if (m.get(key) != null) {
                            hits.increment();
                        } else {
                            misses.increment();
                            m.set(key, value);
                        }
                    } catch (RuntimeException e) {
                        errors.increment();
                    }
                }
            }, "cacheload-" + t);
            th.start();
            all.add(th);
        }
        for (Thread th : all) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        long h = hits.sum();
        long n = h + misses.sum();
        synchronized (out) {
            out.printf(Locale.ROOT, "CACHELOAD ops=%d hits=%d misses=%d hit-rate=%.4f errors=%d%n", n, h, misses.sum(),
                    n == 0 ? 0.0 : (double) h / n, errors.sum());
        }
    }

    /** A map's statistics on one line of key=value pairs. */
    static String line(MapStats s) {
        return String.format(Locale.ROOT, "entries=%d backup-entries=%d offheap-bytes=%d gets=%d hits=%d misses=%d"
                        + " hit-rate=%.3f puts=%d removes=%d evictions=%d expirations=%d hit-p50-us=%d hit-p99-us=%d"
                        + " miss-p50-us=%d miss-p99-us=%d compressed=%d compression-ratio=%.2f", s.entries(),
                s.backupEntries(), s.offHeapBytes(), s.gets(), s.hits(), s.misses(), s.hitRate(), s.puts(),
                s.removes(), s.evictions(), s.expirations(), s.hitLatency().p50Micros(), s.hitLatency().p99Micros(),
                s.missLatency().p50Micros(), s.missLatency().p99Micros(), s.compressedValues(), s.compressionRatio());
    }

    private GridMap<String, byte[]> map(String name) {
        return grid.map(name);
    }

    /** A duration as the configuration takes it: 500ms, 30s, 5m, or a number of milliseconds. */
    static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            return Duration.ofMillis(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (500ms, 30s, 5m, 1h or milliseconds)");
        }
    }

    private static Priority priority(String name) {
        try {
            return Priority.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown priority '" + name + "': use LOW, NORMAL, HIGH or CRITICAL");
        }
    }

    private static void need(String[] w, int n, String usage) {
        if (w.length < n) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] v) {
        return v == null ? "null" : new String(v, StandardCharsets.UTF_8);
    }
}
