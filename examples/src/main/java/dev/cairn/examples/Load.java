package dev.cairn.examples;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load and the measurements every benchmark uses, Cairn's console and the peers' nodes alike, so that the
 * systems compared are driven and measured by the same code.
 */
public final class Load {
    private Load() {
    }

    /** A map as the load sees it. */
    public interface Target {
        byte[] get(String key);

        void set(String key, byte[] value);
    }

    /** A target from a map's get and set. */
    public static Target target(java.util.function.Function<String, byte[]> get, java.util.function.BiConsumer<String, byte[]> set) {
        return new Target() {
            @Override
            public byte[] get(String key) {
                return get.apply(key);
            }

            @Override
            public void set(String key, byte[] value) {
                set.accept(key, value);
            }
        };
    }

    private static final java.util.regex.Pattern FIELD = java.util.regex.Pattern.compile("([a-z0-9-]+)=([\\d.]+)");

    /** The {@code name=number} fields of a console answer (BENCH, LOCKBENCH, MEMORY, DEADLOCK ...), by name. */
    public static java.util.Map<String, Double> fields(String line) {
        java.util.Map<String, Double> out = new java.util.TreeMap<>();
        java.util.regex.Matcher m = FIELD.matcher(line);
        while (m.find()) {
            out.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }

    /** The value the bulk commands write for key index {@code i}: the index, repeated to the size. */
    public static byte[] valueFor(int i, int size) {
        byte[] v = new byte[size];
        byte[] digits = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
        for (int k = 0; k < size; k++) {
            v[k] = digits[k % digits.length];
        }
        return v;
    }

    /** Keys per batch of {@link #fill} and {@link #check}: 1,000, or fewer where that would pass 4 MB of values. */
    static int batchOf(int bytes) {
        return Math.max(1, Math.min(1000, (4 << 20) / Math.max(1, bytes)));
    }

    /**
     * Writes keys {@code k-from..} with {@link #valueFor} values of {@code bytes}, in batches of {@link #batchOf}
     * through {@code putAll}, and prints one {@code FILLED <count> in <ms> ms} line.
     */
    public static void fill(java.util.function.Consumer<java.util.Map<String, byte[]>> putAll, PrintStream out, int from,
                            int count, int bytes) {
        long start = System.nanoTime();
        int perBatch = batchOf(bytes);
        for (int base = from; base < from + count; base += perBatch) {
            java.util.Map<String, byte[]> batch = new java.util.LinkedHashMap<>();
            for (int i = base; i < Math.min(from + count, base + perBatch); i++) {
                batch.put("k-" + i, valueFor(i, bytes));
            }
            putAll.accept(batch);
        }
        out.printf(Locale.ROOT, "FILLED %d in %.0f ms%n", count, (System.nanoTime() - start) / 1e6);
    }

    /**
     * Reads keys {@code k-from..} back in batches of {@link #batchOf} through {@code getAll}, compares each with its
     * {@link #valueFor} value, and prints one {@code CHECKED ok=.. missing=.. wrong=.. in <ms> ms} line.
     */
    public static void check(java.util.function.Function<java.util.Set<String>, java.util.Map<String, byte[]>> getAll,
                             PrintStream out, int from, int count, int bytes) {
        long ok = 0;
        long missing = 0;
        long wrong = 0;
        long start = System.nanoTime();
        int perBatch = batchOf(bytes);
        for (int base = from; base < from + count; base += perBatch) {
            java.util.Set<String> keys = new java.util.LinkedHashSet<>();
            for (int i = base; i < Math.min(from + count, base + perBatch); i++) {
                keys.add("k-" + i);
            }
            java.util.Map<String, byte[]> got = getAll.apply(keys);
            for (String k : keys) {
                byte[] v = got.get(k);
                if (v == null) {
                    missing++;
                } else if (java.util.Arrays.equals(v, valueFor(Integer.parseInt(k.substring(2)), bytes))) {
                    ok++;
                } else {
                    wrong++;
                }
            }
        }
        out.printf(Locale.ROOT, "CHECKED ok=%d missing=%d wrong=%d in %.0f ms%n", ok, missing, wrong,
                (System.nanoTime() - start) / 1e6);
    }

    /** {@link #bench(Target, PrintStream, int, double, int, int, int, String)} with uniform key choice. */
    public static void bench(Target m, PrintStream out, int threads, double seconds, int keys, int bytes, int readPercent) {
        bench(m, out, threads, seconds, keys, bytes, readPercent, "uniform");
    }

    /**
     * Closed-loop load: each thread picks a key {@code k-0..k-(keys-1)} ({@code uniform}, or {@code zipfian}: see
     * {@link Zipfian}), reads it ({@code readPercent}%) or writes a value of {@code bytes}, and records the latency; a
     * warm-up of a third of the time comes first. Prints one {@code BENCH} line: ops, ops/s, get and put p50/p99/p99.9
     * in microseconds, errors.
     */
    public static void bench(Target m, PrintStream out, int threads, double seconds, int keys, int bytes, int readPercent,
                             String keyChoice) {
        Zipfian zipfian = switch (keyChoice) {
            case "uniform" -> null;
            case "zipfian" -> new Zipfian(keys, Zipfian.YCSB_CONSTANT);
            default -> throw new IllegalArgumentException("key choice must be uniform or zipfian but was '" + keyChoice + "'");
        };
        byte[] value = valueFor(7, bytes);
        org.HdrHistogram.Recorder gets = new org.HdrHistogram.Recorder(3);
        org.HdrHistogram.Recorder puts = new org.HdrHistogram.Recorder(3);
        Run run = closedLoop("bench", threads, seconds, t -> random -> {
            String key = "k-" + (zipfian == null ? random.nextInt(keys) : zipfian.next(random));
            if (random.nextInt(100) < readPercent) {
                m.get(key);
                return gets;
            }
            m.set(key, value);
            return puts;
        }, gets, puts);
        org.HdrHistogram.Histogram g = gets.getIntervalHistogram();
        org.HdrHistogram.Histogram p = puts.getIntervalHistogram();
        out.printf(Locale.ROOT, "BENCH ops=%d ops-per-s=%.0f get-p50-us=%.0f get-p99-us=%.0f get-p999-us=%.0f put-p50-us=%.0f "
                        + "put-p99-us=%.0f put-p999-us=%.0f errors=%d%n", run.ops(), run.ops() / run.seconds(),
                g.getValueAtPercentile(50) / 1e3, g.getValueAtPercentile(99) / 1e3, g.getValueAtPercentile(99.9) / 1e3,
                p.getValueAtPercentile(50) / 1e3, p.getValueAtPercentile(99) / 1e3, p.getValueAtPercentile(99.9) / 1e3,
                run.errors());
    }

    /** A lock as the lock benchmark sees it. */
    public interface LockTarget {
        void lock();

        void unlock();
    }

    /** A lock target from a lock's lock and unlock. */
    public static LockTarget lockTarget(Runnable lock, Runnable unlock) {
        return new LockTarget() {
            @Override
            public void lock() {
                lock.run();
            }

            @Override
            public void unlock() {
                unlock.run();
            }
        };
    }

    /**
     * Uncontended lock throughput: each of {@code threads} threads takes its own lock ({@code lockFor.apply(thread)},
     * so no two threads share one) and releases it at once, in a closed loop, recording each lock+unlock pair; a warm-up
     * of a third of the time comes first. Prints one line:
     * {@code LOCKBENCH ops=<n> ops-per-s=<x> p50-us=<x> p99-us=<x> p999-us=<x> errors=<n>}.
     */
    public static void lockBench(java.util.function.IntFunction<LockTarget> lockFor, PrintStream out, int threads, double seconds) {
        org.HdrHistogram.Recorder pairs = new org.HdrHistogram.Recorder(3);
        Run run = closedLoop("lockbench", threads, seconds, t -> {
            LockTarget lock = lockFor.apply(t);
            return random -> {
                lock.lock();
                lock.unlock();
                return pairs;
            };
        }, pairs);
        org.HdrHistogram.Histogram h = pairs.getIntervalHistogram();
        out.printf(Locale.ROOT, "LOCKBENCH ops=%d ops-per-s=%.0f p50-us=%.0f p99-us=%.0f p999-us=%.0f errors=%d%n", run.ops(),
                run.ops() / run.seconds(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, run.errors());
    }

    /** One operation of a load thread: does it, and names the recorder its latency goes to. */
    private interface Step {
        org.HdrHistogram.Recorder perform(java.util.SplittableRandom random);
    }

    /** Operations measured and failed, and the seconds measured. */
    private record Run(long ops, long errors, double seconds) {
    }

    /**
     * Runs {@code threads} threads, each repeating its step ({@code stepFor.apply(thread)}) back to back: a warm-up of a
     * third of {@code seconds} (recorders reset after it), then {@code seconds} measured. A step that throws counts
     * as an error and is not recorded.
     */
    private static Run closedLoop(String name, int threads, double seconds, java.util.function.IntFunction<Step> stepFor,
                                  org.HdrHistogram.Recorder... recorders) {
        AtomicLong ops = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicBoolean measuring = new AtomicBoolean();
        long warmupNanos = (long) (seconds / 3 * 1e9);
        long runNanos = (long) (seconds * 1e9);
        long start = System.nanoTime();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Step step = stepFor.apply(t);
            Thread th = new Thread(() -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom();
                while (System.nanoTime() - start < warmupNanos + runNanos) {
                    long t0 = System.nanoTime();
                    org.HdrHistogram.Recorder into;
                    try {
                        into = step.perform(random);
                    } catch (RuntimeException e) {
                        errors.incrementAndGet();
                        continue;
                    }
                    if (measuring.get()) {
                        into.recordValue(System.nanoTime() - t0);
                        ops.incrementAndGet();
                    }
                }
            }, name + "-" + t);
            th.start();
            ts.add(th);
        }
        while (System.nanoTime() < start + warmupNanos) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        for (org.HdrHistogram.Recorder r : recorders) {
            r.reset();
        }
        measuring.set(true);
        long t0 = System.nanoTime();
        for (Thread th : ts) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return new Run(ops.get(), errors.get(), (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Zipfian ranks {@code 0..n-1} as YCSB draws them (Gray et al., "Quickly generating billion-record synthetic
     * databases", SIGMOD 1994): rank 0 is the most popular, and rank r is drawn with probability proportional to
     * {@code 1/(r+1)^theta}. With YCSB's constant 0.99 over 100,000 keys the hottest key takes about 8% of the draws and
     * the hottest 1% of keys about 60%; ranks 0 and 1 are drawn exactly,
     * the rest by Gray's closed-form approximation (as YCSB does), which favours the next few ranks slightly. Not scrambled: rank r is key {@code k-r}. Every system here hashes the key's bytes
     * to pick its partition, so the hot keys land on owners as random as any others; YCSB scrambles only because some
     * stores it drives keep keys in order. Immutable after construction; each thread passes its own random source.
     */
    public static final class Zipfian {
        /** YCSB's default zipfian constant. */
        public static final double YCSB_CONSTANT = 0.99;
        private final int n;
        private final double theta;
        private final double alpha;
        private final double zetaN;
        private final double eta;
        private final double halfPowTheta;

        public Zipfian(int n, double theta) {
            if (n < 2 || !(theta > 0 && theta < 1)) {
                throw new IllegalArgumentException("zipfian needs n >= 2 and 0 < theta < 1 but got n=" + n + " theta=" + theta);
            }
            this.n = n;
            this.theta = theta;
            this.alpha = 1 / (1 - theta);
            this.zetaN = zeta(n, theta);
            double zeta2 = zeta(2, theta);
            this.eta = (1 - Math.pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetaN);
            this.halfPowTheta = Math.pow(0.5, theta);
        }

        private static double zeta(int n, double theta) {
            double sum = 0;
            for (int i = 1; i <= n; i++) {
                sum += 1 / Math.pow(i, theta);
            }
            return sum;
        }

        /** The next rank, 0 (most popular) to n-1. */
        public int next(java.util.SplittableRandom random) {
            double u = random.nextDouble();
            double uz = u * zetaN;
            if (uz < 1) {
                return 0;
            }
            if (uz < 1 + halfPowTheta) {
                return 1;
            }
            int rank = (int) (n * Math.pow(eta * u - eta + 1, alpha));
            return Math.min(rank, n - 1);
        }

        /** The probability of rank {@code r}, for checks. */
        public double probability(int r) {
            return 1 / Math.pow(r + 1, theta) / zetaN;
        }
    }

    /** Prints one {@code MEMORY} line: heap after a GC, the given off-heap bytes, resident and virtual memory. */
    public static void memory(PrintStream out, double offHeapBytes) {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long heap = rt.totalMemory() - rt.freeMemory();
        out.printf(Locale.ROOT, "MEMORY heap-used=%d offheap=%.0f rss=%d vsz=%d%n", heap, offHeapBytes,
                procStatus("VmRSS"), procStatus("VmSize"));
    }

    private static long procStatus(String field) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
