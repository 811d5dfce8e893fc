package dev.cairn.examples;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.cairn.Fence;
import dev.cairn.GridException;
import dev.cairn.NoQuorumException;
import dev.cairn.StaleFenceException;
import dev.cairn.grid.Grid;
import dev.cairn.grid.GridMap;

/**
 * The node console's history commands: threads that run plain, conditional and fenced writes and reads on a shared
 * set of keys and print every operation as it starts and as it ends, so that a checker in another JVM can judge the
 * whole history (nothing here checks anything), plus a dump of every copy this node holds.
 *
 * <p>Lines: {@code HST <map> <id> <op> <key> <arg> <t0>} when an operation starts, and
 * {@code HOP <map> <id> <op> <key> <arg> <t0> <t1> <outcome> <returned> <primary>} when it ends, where {@code id} is unique per
 * operation and is also the value a write writes, {@code op} is {@code set}, {@code pia} (putIfAbsent), {@code cas}
 * (replace if equal to {@code arg}), {@code del} (remove), {@code get} or {@code fset} (set with the fence {@code arg}
 * of lock {@code fence-<key>}), times are {@link System#nanoTime()} (one clock for every JVM of a Linux host),
 * {@code outcome} is {@code ok}, {@code stale} (fence refused, nothing written), {@code refused} (no quorum on this
 * node's side, {@code NoQuorumException}: nothing written, nothing read) or {@code unknown} (failed, may have taken
 * effect), {@code returned} is the value returned ({@code -} for none, {@code null} for absent) or
 * {@code true}/{@code false}, and {@code primary} is the member this node's table named as the key's primary when the
 * operation ended ({@code -} before it had one): where the operation was last routed. Several maps may each have a
 * history at once. For every key of such a map that the merge of a healed split decides on this node, it prints
 * {@code HMG <map> <key> <existing> <kept> <merging> <outcome>}: the larger side's value ({@code removed} for a
 * tombstone, {@code null} for none), the value kept ({@code null}: removed), the other side's value ({@code removed}
 * where it removed the key) and the policy's outcome, so that a checker can tell a write the policy discarded from one
 * that was lost.
 */
final class HistoryCommands {
    private final Grid grid;
    private final PrintStream out;
    private final Map<String, History> histories = new HashMap<>();

    HistoryCommands(Grid grid, PrintStream out) {
        this.grid = grid;
        this.out = out;
    }

    static String help() {
        return """
                  history start <map> <threads> <keys> <fenced-keys> <ops/s per thread> | history stop
                                              writers printing every operation (HST, HOP lines) for a checker
                  history read <map> <keys> <fenced-keys>   FINAL <key> <value> for every key, then READ
                  dump <map>                  COPY <key> <value> for every copy this node holds, then DUMPED""";
    }

    boolean run(String[] w) {
        switch (w[0]) {
            case "history" -> {
                if (w.length < 2) {
                    throw new IllegalArgumentException("usage: " + help());
                }
                switch (w[1]) {
                    case "start" -> start(w);
                    case "stop" -> {
                        long ops = 0;
                        for (History h : histories.values()) {
                            ops += h.stop();
                        }
                        histories.clear();
                        out.println("HISTORY stopped ops=" + ops);
                    }
                    case "read" -> read(w);
                    default -> throw new IllegalArgumentException("usage: " + help());
                }
            }
            case "dump" -> {
                if (w.length < 2) {
                    throw new IllegalArgumentException("usage: dump <map>");
                }
                long[] n = {0};
                grid.diagnostics().forEachLocalCopy(w[1], (k, v) -> {
                    synchronized (out) {
                        out.println("COPY " + k + " " + v);
                    }
                    n[0]++;
                });
                out.println("DUMPED " + n[0]);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void start(String[] w) {
        if (w.length < 7) {
            throw new IllegalArgumentException("usage: history start <map> <threads> <keys> <fenced-keys> <ops/s>");
        }
        History before = histories.remove(w[2]);
        if (before != null) {
            before.stop();
        }
        histories.put(w[2], new History(grid.map(w[2]), Integer.parseInt(w[3]), Integer.parseInt(w[4]),
                Integer.parseInt(w[5]), Integer.parseInt(w[6])));
        out.println("HISTORY started");
    }

    private void read(String[] w) {
        if (w.length < 5) {
            throw new IllegalArgumentException("usage: history read <map> <keys> <fenced-keys>");
        }
        GridMap<String, String> m = grid.map(w[2]);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < Integer.parseInt(w[3]); i++) {
            keys.add("h-" + i);
        }
        for (int i = 0; i < Integer.parseInt(w[4]); i++) {
            keys.add("f-" + i);
        }
        Map<String, String> values = m.getAll(keys);
        for (String k : keys) {
            out.println("FINAL " + k + " " + values.get(k));
        }
        out.println("READ " + keys.size());
    }

    /** The running threads. Each paces itself to a rate so that a run's history stays a size a checker reads fast. */
    private final class History {
        private final AtomicBoolean stopping = new AtomicBoolean();
        private final AtomicLong ops = new AtomicLong();
        private final List<Thread> threads = new ArrayList<>();
        private final AutoCloseable merges;

        History(GridMap<String, String> map, int threadCount, int keys, int fencedKeys, int rate) {
            String prefix = grid.localMember().name() + "." + ProcessHandle.current().pid() + "." + map.name();
            merges = grid.diagnostics().onMerge(map.name(), e -> print("HMG " + e.map() + " " + e.key() + " "
                    + (e.existingRemoved() ? "removed" : e.existing()) + " " + e.kept() + " "
                    + (e.merging() == null ? "removed" : e.merging()) + " " + e.outcome()));
            for (int t = 0; t < threadCount; t++) {
                String thread = prefix + "." + t;
                SplittableRandom random = new SplittableRandom(thread.hashCode());
                Thread th = new Thread(() -> loop(map, thread, random, keys, fencedKeys, rate), "history-" + t);
                th.setDaemon(true);
                th.start();
                threads.add(th);
            }
        }

        private void loop(GridMap<String, String> map, String thread, SplittableRandom random, int keys,
                          int fencedKeys, int rate) {
            Map<String, String> seen = new HashMap<>(); // the last value this thread saw per key, for compare-and-set
            long period = TimeUnit.SECONDS.toNanos(1) / Math.max(1, rate);
            int backups = grid.config().mapOptions(map.name()).backupCount();
            long next = System.nanoTime();
            for (long seq = 0; !stopping.get(); seq++) {
                String id = thread + "." + seq;
                int dice = random.nextInt(100);
                boolean fenced = fencedKeys > 0 && dice >= 90;
                String key = fenced ? "f-" + random.nextInt(fencedKeys) : "h-" + random.nextInt(keys);
                String op = fenced ? "fset" : dice < 30 ? "set" : dice < 45 ? "pia" : dice < 60 ? "cas" : dice < 70 ? "del" : "get";
                String arg = "-";
                if (op.equals("cas")) {
                    arg = seen.get(key);
                    if (arg == null) {
                        op = "get";
                        arg = "-";
                    }
                }
                long token = 0;
                if (fenced) {
                    // mostly the current time in microseconds; one in five from up to 2 s ago, which must be refused
                    // where a write with a newer token was acknowledged before this one began
                    long ago = random.nextInt(5) == 0 ? random.nextLong(2_000_000) : 0;
                    token = System.nanoTime() / 1000 - ago;
                    arg = Long.toString(token);
                }
                long t0 = System.nanoTime();
                print("HST " + map.name() + " " + id + " " + op + " " + key + " " + arg + " " + t0);
                String outcome = "ok";
                String returned = "-";
                try {
                    switch (op) {
                        case "set" -> map.set(key, id);
                        case "pia" -> returned = String.valueOf(map.putIfAbsent(key, id));
                        case "cas" -> returned = Boolean.toString(map.replace(key, arg, id));
                        case "del" -> returned = String.valueOf(map.remove(key));
                        case "get" -> returned = String.valueOf(map.get(key));
                        case "fset" -> map.set(key, id, new Fence("fence-" + key, token));
                        default -> throw new IllegalStateException(op);
                    }
                } catch (StaleFenceException e) {
                    outcome = "stale";
                } catch (NoQuorumException e) {
                    outcome = "refused";
                } catch (GridException e) {
                    outcome = "unknown";
                }
                long t1 = System.nanoTime();
                print("HOP " + map.name() + " " + id + " " + op + " " + key + " " + arg + " " + t0 + " " + t1 + " " + outcome + " " + returned
                        + " " + grid.diagnostics().primaryOf(key, backups));
                ops.incrementAndGet();
                if (outcome.equals("ok")) {
                    switch (op) {
                        case "set", "fset" -> seen.put(key, id);
                        case "pia" -> seen.put(key, returned.equals("null") ? id : returned);
                        case "cas" -> {
                            if (returned.equals("true")) {
                                seen.put(key, id);
                            } else {
                                seen.remove(key);
                            }
                        }
                        case "del" -> seen.remove(key);
                        case "get" -> {
                            if (returned.equals("null")) {
                                seen.remove(key);
                            } else {
                                seen.put(key, returned);
                            }
                        }
                        default -> { }
                    }
                } else {
                    seen.remove(key);
                }
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else {
                    next = System.nanoTime(); // behind: no burst to catch up
                }
            }
        }

        private void print(String line) {
            synchronized (out) {
                out.println(line);
            }
        }

        long stop() {
            stopping.set(true);
            try {
                merges.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            for (Thread t : threads) {
                try {
                    t.join(TimeUnit.SECONDS.toMillis(60));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ops.get();
        }
    }
}
