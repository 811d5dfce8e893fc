package dev.cairn.examples;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

import dev.cairn.grid.Grid;
import dev.cairn.grid.GridMap;
import dev.cairn.membership.Member;
import dev.cairn.partition.PartitionTable;

/**
 * The node console's map commands. Keys are strings {@code k-<i>}; bulk values are deterministic bytes of the key's
 * index, so that any node can check what any other wrote. Answers are lines that start with a keyword.
 */
final class MapCommands {
    private final Grid grid;
    private final PrintStream out;

    MapCommands(Grid grid, PrintStream out) {
        this.grid = grid;
        this.out = out;
    }

    static String help() {
        return """
                  put <map> <key> <value>     get <map> <key>     remove <map> <key>     size <map>
                  clear <map>                 destroy <map> (every node frees it)     stores <map> (open here)
                  partitions                  this node's share of primaries and backups, and every member's
                  owners <map> <key>          the members holding the key's partition, its primary first
                  fill <map> <from> <count> [bytes]    write keys k-<from>.. with values of that many bytes
                  check <map> <from> <count> [bytes]   read them back: CHECKED ok= missing= wrong=
                  bench <map> <threads> <seconds> <keys> <bytes> <read%>   load over keys k-0.. filled before
                  memory <map>                heap after GC, off-heap bytes and resident memory of this JVM
                  putbig <map> <key> <bytes> <seed>   a random value of that many bytes serialized: PUTBIG <sha-256>
                  digest <map> <key>          the value's serialized size and SHA-256: DIGEST <bytes> <sha-256>""";
    }

    /** Runs a command if it is a map command; false if not. */
    boolean run(String[] w) {
        switch (w[0]) {
            case "put" -> {
                need(w, 4, "put <map> <key> <value>");
                out.println("PREVIOUS " + text(strings(w[1]).put(w[2], w[3].getBytes(StandardCharsets.UTF_8))));
            }
            case "get" -> {
                need(w, 3, "get <map> <key>");
                out.println("VALUE " + text(strings(w[1]).get(w[2])));
            }
            case "remove" -> {
                need(w, 3, "remove <map> <key>");
                out.println("REMOVED " + text(strings(w[1]).remove(w[2])));
            }
            case "size" -> {
                need(w, 2, "size <map>");
                out.println("SIZE " + strings(w[1]).size());
            }
            case "clear" -> {
                need(w, 2, "clear <map>");
                strings(w[1]).clear();
                out.println("CLEARED " + w[1]);
            }
            case "destroy" -> {
                need(w, 2, "destroy <map>");
                strings(w[1]).destroy();
                out.println("DESTROYED " + w[1]);
            }
            case "stores" -> {
                need(w, 2, "stores <map>");
                out.println("STORES " + grid.diagnostics().storesHeld(w[1]));
            }
            case "partitions" -> partitions();
            case "owners" -> {
                need(w, 3, "owners <map> <key>");
                out.println("OWNERS " + String.join(",",
                        grid.diagnostics().ownersOf(w[2], grid.config().mapOptions(w[1]).backupCount())));
            }
            case "fill" -> {
                need(w, 4, "fill <map> <from> <count> [bytes]");
                fill(w[1], Integer.parseInt(w[2]), Integer.parseInt(w[3]), w.length > 4 ? Integer.parseInt(w[4]) : 100);
            }
            case "check" -> {
                need(w, 4, "check <map> <from> <count> [bytes]");
                check(w[1], Integer.parseInt(w[2]), Integer.parseInt(w[3]), w.length > 4 ? Integer.parseInt(w[4]) : 100);
            }
            case "bench" -> {
                need(w, 7, "bench <map> <threads> <seconds> <keys> <bytes> <read-percent> [uniform|zipfian]");
                bench(w[1], Integer.parseInt(w[2]), Double.parseDouble(w[3]), Integer.parseInt(w[4]), Integer.parseInt(w[5]),
                        Integer.parseInt(w[6]), w.length > 7 ? w[7] : "uniform");
            }
            case "memory" -> {
                need(w, 2, "memory <map>");
                memory(w[1]);
            }
            case "putbig" -> {
                need(w, 5, "putbig <map> <key> <bytes> <seed>");
                putBig(w[1], w[2], Integer.parseInt(w[3]), Long.parseLong(w[4]));
            }
            case "digest" -> {
                need(w, 3, "digest <map> <key>");
                byte[] v = strings(w[1]).get(w[2]);
                out.println("DIGEST " + (v == null ? "null" : grid.codec().encode(v).length + " " + sha256(v)));
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private GridMap<String, byte[]> strings(String name) {
        return grid.map(name);
    }

    private static void need(String[] w, int n, String usage) {
        if (w.length < n) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    private static String text(byte[] v) {
        return v == null ? "null" : new String(v, StandardCharsets.UTF_8);
    }

    static byte[] valueFor(int i, int size) {
        return Load.valueFor(i, size);
    }

    private void partitions() {
        PartitionTable t = grid.partitionTable();
        String self = grid.localMember().name();
        out.printf(Locale.ROOT, "PARTITIONS primary=%d backup=%d of=%d settled=%s%n", t.partitionsOwnedBy(self).size(),
                t.backupsHeldBy(self).size(), t.partitionCount(), grid.partitionsSettled());
        for (Member m : grid.members()) {
            out.printf(Locale.ROOT, "  %-12s primary %4d  backup %4d%n", m.name(), t.partitionsOwnedBy(m.name()).size(),
                    t.backupsHeldBy(m.name()).size());
        }
    }

    private void fill(String map, int from, int count, int bytes) {
        Load.fill(strings(map)::putAll, out, from, count, bytes);
    }

    private void check(String map, int from, int count, int bytes) {
        Load.check(strings(map)::getAll, out, from, count, bytes);
    }

    private void bench(String map, int threads, double seconds, int keys, int bytes, int readPercent, String keyChoice) {
        GridMap<String, byte[]> m = strings(map);
        Load.bench(Load.target(m::get, m::set), out, threads, seconds, keys, bytes, readPercent, keyChoice);
    }

    /**
     * Writes random bytes (from {@code seed}) that serialize to exactly {@code bytes} (issue 22: values up to the map's
     * limit, which counts the serialized form), and prints their SHA-256 for any node to compare with {@code digest}.
     */
    private void putBig(String map, String key, int bytes, long seed) {
        int overhead = grid.codec().encode(new byte[bytes]).length - bytes; // the codec's type and length prefix
        byte[] value = new byte[bytes - overhead];
        new java.util.SplittableRandom(seed).nextBytes(value);
        strings(map).set(key, value);
        out.println("PUTBIG " + grid.codec().encode(value).length + " " + sha256(value));
    }

    private static String sha256(byte[] v) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(v));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** What this JVM holds: heap after a GC, the map's off-heap bytes here, resident and virtual memory. */
    private void memory(String map) {
        Load.memory(out, grid.config().meterRegistry().find("cairn.map.offheap.bytes").tag("map", map).gauges().stream()
                .mapToDouble(io.micrometer.core.instrument.Gauge::value).sum());
    }
}
