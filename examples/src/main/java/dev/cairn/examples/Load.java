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

    /** The value the bulk commands write for key index {@code i}: the index, repeated to the size. */
    public static byte[] valueFor(int i, int size) {
        byte[] v = new byte[size];
        byte[] digits = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
        for (int k = 0; k < size; k++) {
            v[k] = digits[k % digits.length];
        }
        return v;
    }

    /**
     * Writes keys {@code k-from..} with {@link #valueFor} values of {@code bytes}, in batches of 1,000 through
     * {@code putAll}, and prints one {@code FILLED <count> in <ms> ms} line.
     */
    public static void fill(java.util.function.Consumer<java.util.Map<String, byte[]>> putAll, PrintStream out, int from,
                            int count, int bytes) {
        long start = System.nanoTime();
        for (int base = from; base < from + count; base += 1000) {
            java.util.Map<String, byte[]> batch = new java.util.LinkedHashMap<>();
            for (int i = base; i < Math.min(from + count, base + 1000); i++) {
                batch.put("k-" + i, valueFor(i, bytes));
            }
            putAll.accept(batch);
        }
        out.printf(Locale.ROOT, "FILLED %d in %.0f ms%n", count, (System.nanoTime() - start) / 1e6);
    }

    /**
     * Closed-loop load: each thread picks a uniform random key {@code k-0..k-(keys-1)}, reads it ({@code readPercent}%)
     * or writes a value of {@code bytes}, and records the latency; a warm-up of a third of the time comes first. Prints
     * one {@code BENCH} line: ops, ops/s, get and put p50/p99/p99.9 in microseconds, errors.
     */
    public static void bench(Target m, PrintStream out, int threads, double seconds, int keys, int bytes, int readPercent) {
        byte[] value = valueFor(7, bytes);
        org.HdrHistogram.Recorder gets = new org.HdrHistogram.Recorder(3);
        org.HdrHistogram.Recorder puts = new org.HdrHistogram.Recorder(3);
        AtomicLong ops = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicBoolean measuring = new AtomicBoolean();
        long warmupNanos = (long) (seconds / 3 * 1e9);
        long runNanos = (long) (seconds * 1e9);
        long start = System.nanoTime();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom();
                while (System.nanoTime() - start < warmupNanos + runNanos) {
                    String key = "k-" + random.nextInt(keys);
                    boolean read = random.nextInt(100) < readPercent;
                    long t0 = System.nanoTime();
                    try {
                        if (read) {
                            m.get(key);
                        } else {
                            m.set(key, value);
                        }
                    } catch (RuntimeException e) {
                        errors.incrementAndGet();
                        continue;
                    }
                    long took = System.nanoTime() - t0;
                    if (measuring.get()) {
                        (read ? gets : puts).recordValue(took);
                        ops.incrementAndGet();
                    }
                }
            }, "bench-" + t);
            th.start();
            ts.add(th);
        }
        long measureStart = start + warmupNanos;
        while (System.nanoTime() < measureStart) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        gets.reset();
        puts.reset();
        measuring.set(true);
        long t0 = System.nanoTime();
        for (Thread th : ts) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        double took = (System.nanoTime() - t0) / 1e9;
        org.HdrHistogram.Histogram g = gets.getIntervalHistogram();
        org.HdrHistogram.Histogram p = puts.getIntervalHistogram();
        out.printf(Locale.ROOT, "BENCH ops=%d ops-per-s=%.0f get-p50-us=%.0f get-p99-us=%.0f get-p999-us=%.0f put-p50-us=%.0f "
                        + "put-p99-us=%.0f put-p999-us=%.0f errors=%d%n", ops.get(), ops.get() / took,
                g.getValueAtPercentile(50) / 1e3, g.getValueAtPercentile(99) / 1e3, g.getValueAtPercentile(99.9) / 1e3,
                p.getValueAtPercentile(50) / 1e3, p.getValueAtPercentile(99) / 1e3, p.getValueAtPercentile(99.9) / 1e3,
                errors.get());
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
