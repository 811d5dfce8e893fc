package dev.cairn.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/** The partition engine's meters on one node: removed when the node closes, a map's when the map is destroyed. */
final class PartitionMetrics {
    private final MeterRegistry registry;
    private final String node;
    private final List<Meter> meters = new ArrayList<>();
    private final ToDoubleFunction<String> primaryEntries;
    private final ToDoubleFunction<String> offHeapBytes;
    final Counter partitionsMoved;
    final Counter bytesMoved;
    final Timer moveTime;
    /** Retried writes answered from a recorded outcome instead of being applied again. */
    final Counter retriesDeduplicated;

    /**
     * @param primaryEntries entries of a map in the partitions this node is primary for
     * @param offHeapBytes   off-heap bytes of a map's stores on this node
     */
    PartitionMetrics(MeterRegistry registry, String node, ToDoubleFunction<String> primaryEntries,
                     ToDoubleFunction<String> offHeapBytes) {
        this.registry = registry;
        this.node = node;
        this.primaryEntries = primaryEntries;
        this.offHeapBytes = offHeapBytes;
        Tags tags = Tags.of("node", node);
        partitionsMoved = counter("cairn.partitions.moved", tags);
        bytesMoved = counter("cairn.partitions.moved.bytes", tags);
        retriesDeduplicated = counter("cairn.map.retries.deduplicated", tags);
        moveTime = add(Timer.builder("cairn.partitions.move.time").tags(tags).register(registry));
    }

    /** Gauges of how many partitions this node owns, as primary and as backup. */
    void ownership(java.util.function.Supplier<Number> primaries, java.util.function.Supplier<Number> backups) {
        Tags tags = Tags.of("node", node);
        add(Gauge.builder("cairn.partitions.primary", primaries).tags(tags).register(registry));
        add(Gauge.builder("cairn.partitions.backup", backups).tags(tags).register(registry));
    }

    MapMetrics forMap(String map) {
        return new MapMetrics(map);
    }

    void close() {
        synchronized (meters) {
            meters.forEach(registry::remove);
        }
    }

    private Counter counter(String name, Tags tags) {
        return add(Counter.builder(name).tags(tags).register(registry));
    }

    private <M extends Meter> M add(M meter) {
        synchronized (meters) {
            meters.add(meter);
        }
        return meter;
    }

    /** Per-map meters: operations, hits and misses, latency, entries and off-heap bytes held here. */
    final class MapMetrics {
        private final List<Meter> own = new ArrayList<>();
        private final Counter gets;
        private final Counter puts;
        private final Counter removes;
        private final Counter hits;
        private final Counter misses;
        private final Counter expirations;
        private final Counter evictions;
        private final Timer latency;
        /** Keys merged after a split healed, by what was kept: existing, merging, new, removed, failed. */
        private final java.util.Map<String, Counter> merges = new java.util.HashMap<>();

        /**
         * What {@code stats()} reports (issue 15): counts that {@link #reset} clears (the Micrometer meters above run on
         * from the start, as scrapers expect), and the hit and miss latencies, mergeable across members.
         */
        private final java.util.concurrent.atomic.LongAdder statGets = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder statHits = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder statPuts = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder statRemoves = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder statEvictions = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder statExpirations = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder compressed = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder bytesBefore = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder bytesAfter = new java.util.concurrent.atomic.LongAdder();
        /** Microseconds, up to an hour, 2 significant digits: about 10 KB each. */
        private final org.HdrHistogram.ConcurrentHistogram hitMicros = new org.HdrHistogram.ConcurrentHistogram(
                TimeUnit.HOURS.toMicros(1), 2);
        private final org.HdrHistogram.ConcurrentHistogram missMicros = new org.HdrHistogram.ConcurrentHistogram(
                TimeUnit.HOURS.toMicros(1), 2);

        private MapMetrics(String map) {
            Tags tags = Tags.of("node", node, "map", map);
            gets = own(counter("cairn.map.gets", tags));
            puts = own(counter("cairn.map.puts", tags));
            removes = own(counter("cairn.map.removes", tags));
            hits = own(counter("cairn.map.hits", tags));
            misses = own(counter("cairn.map.misses", tags));
            expirations = own(counter("cairn.map.expirations", tags));
            evictions = own(counter("cairn.map.evictions", tags));
            for (String outcome : List.of("existing", "merging", "new", "removed", "failed")) {
                merges.put(outcome, own(add(Counter.builder("cairn.map.merges").tags(tags.and("outcome", outcome))
                        .description("Keys both sides of a healed split held differently, by what the merge kept")
                        .register(registry))));
            }
            latency = own(add(Timer.builder("cairn.map.latency").tags(tags).description("Operation latency seen by callers")
                    .publishPercentiles(0.5, 0.99).register(registry)));
            own(add(Gauge.builder("cairn.map.entries", () -> primaryEntries.applyAsDouble(map)).tags(tags)
                    .description("Entries in partitions this node is primary for").register(registry)));
            own(add(Gauge.builder("cairn.map.offheap.bytes", () -> offHeapBytes.applyAsDouble(map)).tags(tags)
                    .baseUnit("bytes").description("Off-heap bytes of this map's stores on this node").register(registry)));
        }

        private <M extends Meter> M own(M meter) {
            own.add(meter);
            return meter;
        }

        /** Removes this map's meters (the map was destroyed here). */
        void close() {
            synchronized (meters) {
                meters.removeAll(own);
            }
            own.forEach(registry::remove);
        }

        /** An expired entry reclaimed by this node's sweep, as its primary. */
        void expired() {
            expirations.increment();
            statExpirations.increment();
        }

        /** Entries this node evicted, as their primary, to keep the map within its bound. */
        void evicted(int n) {
            if (n > 0) {
                evictions.increment(n);
                statEvictions.add(n);
            }
        }

        /** A value compressed before it was sent: its bytes before and after. */
        void compressed(int before, int after) {
            compressed.increment();
            bytesBefore.add(before);
            bytesAfter.add(after);
        }

        /** Clears the counts and latencies {@link #stats} reports. */
        void reset() {
            for (java.util.concurrent.atomic.LongAdder a : List.of(statGets, statHits, statPuts, statRemoves,
                    statEvictions, statExpirations, compressed, bytesBefore, bytesAfter)) {
                a.reset();
            }
            hitMicros.reset();
            missMicros.reset();
        }

        /**
         * This node's counts and latencies, on the wire: what {@code clusterStats()} sums over the members (entries and
         * bytes come with them).
         */
        void writeStats(dev.cairn.membership.Wire.Out out) {
            long gets = statGets.sum();
            long hits = statHits.sum();
            out.i64(gets).i64(hits).i64(gets - hits).i64(statPuts.sum()).i64(statRemoves.sum())
                    .i64(statEvictions.sum()).i64(statExpirations.sum()).i64(compressed.sum()).i64(bytesBefore.sum())
                    .i64(bytesAfter.sum());
            for (org.HdrHistogram.Histogram h : List.of(hitMicros, missMicros)) {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(h.getNeededByteBufferCapacity());
                int n = h.encodeIntoCompressedByteBuffer(buf);
                out.bytes(java.util.Arrays.copyOf(buf.array(), n));
            }
        }

        /** A key merged after a split healed, by what was kept (see {@link #merges}). */
        void merged(String outcome) {
            merges.get(outcome).increment();
        }

        void record(Op op, long nanos, boolean flag) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
            if (op.isRead()) {
                gets.increment();
                statGets.increment();
                (flag ? hits : misses).increment();
                if (flag) {
                    statHits.increment();
                }
                (flag ? hitMicros : missMicros).recordValue(Math.min(TimeUnit.HOURS.toMicros(1), nanos / 1_000));
            } else if (op instanceof Op.Remove || op instanceof Op.RemoveIfEquals) {
                removes.increment();
                statRemoves.increment();
            } else if (!(op instanceof Op.Expire)) {
                puts.increment();
                statPuts.increment();
            }
        }
    }
}
