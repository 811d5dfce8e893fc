package dev.cairn.partition;

import dev.cairn.StoreSizing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What the partition stores of one map cost on this machine (DESIGN decisions 11 and 12): fills {@code partitions}
 * stores with {@code entries} entries of {@code keyBytes}-byte keys and {@code valueBytes}-byte values, routed by
 * {@link Partitioner}, and prints off-heap bytes, resident and virtual memory growth and heap per entry, and how long
 * the first and the later stores take to create.
 *
 * <p>Run with the JVM flags Chronicle needs ({@code cairn.jvm.flags} in the root pom):
 * <pre>
 * java $FLAGS -Xmx1g -cp grid-partition/target/test-classes:grid-partition/target/classes:$CLASSPATH \
 *     dev.cairn.partition.StoreFootprint [partitions=271] [entries=1000000] [keyBytes=16] [valueBytes=1024]
 * </pre>
 * Memory figures come from {@code /proc/self/status} (Linux); elsewhere they print as -1.
 */
final class StoreFootprint {
    private StoreFootprint() {
    }

    /** The measured figures; kilobytes where the name says so, as {@code /proc} reports them. */
    record Figures(int partitions, long entries, int keyBytes, int valueBytes, long storedEntries, long offHeapBytes,
                   long rssBeforeKb, long rssFirstKb, long rssCreatedKb, long rssFilledKb, long rssClosedKb,
                   long vmBeforeKb, long vmCreatedKb, long vmFilledKb,
                   long heapBeforeBytes, long heapFilledBytes, long heapCommittedBeforeBytes,
                   long heapCommittedFilledBytes,
                   long firstCreateNanos, long laterCreatesNanos, long fillNanos, boolean analyticsEnabled) {

        double offHeapBytesPerEntry() {
            return offHeapBytes / (double) entries;
        }

        double rssBytesPerEntry() {
            return (rssFilledKb - rssBeforeKb) * 1024.0 / entries;
        }

        double heapBytesPerEntry() {
            return (heapFilledBytes - heapBeforeBytes) / (double) entries;
        }

        String report() {
            StringBuilder out = new StringBuilder();
            line(out, "%d stores of one map, %,d entries of %d-byte keys and %d-byte values (%,d stored)",
                    partitions, entries, keyBytes, valueBytes, storedEntries);
            line(out, "off-heap bytes per entry      %10.1f   (sum of offHeapBytes %,d)", offHeapBytesPerEntry(),
                    offHeapBytes);
            line(out, "RSS growth per entry          %10.1f   (VmRSS %,d kB before, %,d kB with empty stores,"
                    + " %,d kB filled, %,d kB after close)", rssBytesPerEntry(), rssBeforeKb, rssCreatedKb,
                    rssFilledKb, rssClosedKb);
            line(out, "  (the JVM heap's committed size grew %,d kB meanwhile; pages of the heap first touched by the"
                    + " fill's garbage count too, unless run with -Xms = -Xmx and -XX:+AlwaysPreTouch)",
                    (heapCommittedFilledBytes - heapCommittedBeforeBytes) / 1024);
            line(out, "  (VmRSS was %,d kB after the first store, with Chronicle's start-up)", rssFirstKb);
            line(out, "heap used per entry after GC  %10.1f   (%,d bytes before, %,d filled)", heapBytesPerEntry(),
                    heapBeforeBytes, heapFilledBytes);
            line(out, "virtual memory reserved       %,d kB by the empty stores, %,d kB filled (VmSize growth)",
                    vmCreatedKb - vmBeforeKb, vmFilledKb - vmBeforeKb);
            line(out, "create: first store %.1f ms, later ones %.2f ms each on average",
                    firstCreateNanos / 1e6, partitions > 1 ? laterCreatesNanos / 1e6 / (partitions - 1) : 0.0);
            line(out, "fill: %.0f ns a put", fillNanos / (double) entries);
            line(out, "Chronicle analytics enabled: %s", analyticsEnabled);
            return out.toString();
        }

        private static void line(StringBuilder out, String format, Object... args) {
            out.append(String.format(Locale.ROOT, format, args)).append('\n');
        }
    }

    static Figures measure(int partitions, long entries, int keyBytes, int valueBytes) {
        if (keyBytes < Long.BYTES) {
            throw new IllegalArgumentException("keyBytes must be at least " + Long.BYTES + ", was " + keyBytes);
        }
        StoreSizing sizing = new StoreSizing(entries, keyBytes, valueBytes);
        Partitioner partitioner = new Partitioner(partitions);
        long heapBefore = heapUsedAfterGc();
        long heapCommittedBefore = Runtime.getRuntime().totalMemory();
        long rssBefore = procStatusKb("VmRSS");
        long vmBefore = procStatusKb("VmSize");

        List<PartitionStore> stores = new ArrayList<>(partitions);
        long t0 = System.nanoTime();
        stores.add(PartitionStore.create("footprint", 0, partitions, sizing));
        long t1 = System.nanoTime();
        long rssFirst = procStatusKb("VmRSS");
        for (int p = 1; p < partitions; p++) {
            stores.add(PartitionStore.create("footprint", p, partitions, sizing));
        }
        long t2 = System.nanoTime();
        long rssCreated = procStatusKb("VmRSS");
        long vmCreated = procStatusKb("VmSize");
        try {
            byte[] value = new byte[valueBytes];
            new SplittableRandom(1).nextBytes(value);
            long t3 = System.nanoTime();
            for (long i = 0; i < entries; i++) {
                byte[] key = key(i, keyBytes);
                stores.get(partitioner.partitionOf(key)).put(key, new StoredEntry(i, 0, i, value));
            }
            long fillNanos = System.nanoTime() - t3;

            long stored = 0;
            long offHeap = 0;
            for (PartitionStore store : stores) {
                stored += store.size();
                offHeap += store.offHeapBytes();
            }
            SplittableRandom random = new SplittableRandom(2);
            for (int n = 0; n < 1_000; n++) {
                long i = random.nextLong(entries);
                byte[] key = key(i, keyBytes);
                StoredEntry e = stores.get(partitioner.partitionOf(key)).get(key);
                if (e == null || e.version() != i || !Arrays.equals(e.value(), value)) {
                    throw new IllegalStateException("entry " + i + " did not read back: " + e);
                }
            }
            long heapFilled = heapUsedAfterGc();
            long heapCommittedFilled = Runtime.getRuntime().totalMemory();
            long rssFilled = procStatusKb("VmRSS");
            long vmFilled = procStatusKb("VmSize");
            boolean analytics = net.openhft.chronicle.core.analytics.AnalyticsFacade.isEnabled();
            stores.forEach(PartitionStore::close);
            stores.clear();
            long rssClosed = procStatusKb("VmRSS");
            return new Figures(partitions, entries, keyBytes, valueBytes, stored, offHeap,
                    rssBefore, rssFirst, rssCreated, rssFilled, rssClosed, vmBefore, vmCreated, vmFilled,
                    heapBefore, heapFilled, heapCommittedBefore, heapCommittedFilled,
                    t1 - t0, t2 - t1, fillNanos, analytics);
        } finally {
            stores.forEach(PartitionStore::close);
        }
    }

    /** {@code keyBytes} bytes: the index, then a mix of it, so keys are distinct and spread. */
    private static byte[] key(long i, int keyBytes) {
        ByteBuffer key = ByteBuffer.allocate(keyBytes);
        key.putLong(i);
        long mix = i * 0x9E3779B97F4A7C15L;
        while (key.remaining() >= Long.BYTES) {
            key.putLong(mix);
            mix = Long.rotateLeft(mix, 17) * 0xBF58476D1CE4E5B9L;
        }
        while (key.hasRemaining()) {
            key.put((byte) mix);
            mix >>>= 8;
        }
        return key.array();
    }

    private static long heapUsedAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /** A {@code kB} field of {@code /proc/self/status}, or -1 where there is none. */
    static long procStatusKb(String field) {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
                }
            }
            return -1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(String[] args) {
        int partitions = args.length > 0 ? Integer.parseInt(args[0]) : Partitioner.DEFAULT_PARTITION_COUNT;
        long entries = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000;
        int keyBytes = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int valueBytes = args.length > 3 ? Integer.parseInt(args[3]) : 1024;
        System.out.print(measure(partitions, entries, keyBytes, valueBytes).report());
    }
}
