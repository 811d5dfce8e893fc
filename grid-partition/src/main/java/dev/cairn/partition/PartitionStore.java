package dev.cairn.partition;

import dev.cairn.StoreFullException;
import dev.cairn.StoreSizing;
import dev.cairn.GridClosedException;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.ChronicleHashClosedException;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import net.openhft.chronicle.map.MapSegmentContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The entries of one named map in one partition, held off-heap in an in-memory (not persisted) Chronicle Map keyed
 * by the serialized key bytes.
 *
 * <p>A stored value is a {@value #HEADER_BYTES}-byte header (version, expiresAt, writtenAt, access: four longs in
 * native byte order) followed by the value bytes. {@link Codec} is the only place that knows this layout; it is Chronicle's
 * value marshaller, so Chronicle hands it the stored bytes and it builds the {@link StoredEntry} in one copy, and a put
 * writes the header and value straight into the store (rather than a {@code byte[]} value copied once more to add or
 * strip the header; see {@link #get} for the figures). The layout never leaves the process: it is neither persisted
 * nor sent.
 *
 * <p><b>Sizing</b> (DESIGN decision 12; see {@link #entriesPerPartition}, {@link #segmentsFor} and
 * {@link #MAX_BLOAT_FACTOR}). Chronicle reserves a store's main capacity when the store is created and later adds extra
 * tiers, each as large as one segment's main tier, up to a bound; past that bound an insert fails, and this class
 * answers with {@link StoreFullException} while everything stored stays readable, removable and overwritable. An entry
 * must fit in one segment tier: about {@code entries × average size / segments} bytes, at least 256 KB unless the
 * whole store is smaller. So values larger than {@link #inlineLimit} (64 KB, or a quarter of that where it is smaller)
 * are kept out of line ({@link LargeValues}, issue 22) and the sizing never decides whether a value fits; only a key
 * too large for a tier is refused, with {@link IllegalArgumentException}.
 *
 * <p><b>Threads.</b> Every method may be called from any thread. Chronicle locks per segment: reads share a read
 * lock, writes take the update lock. {@link #forEach} is weakly consistent. {@link #close()} may race with other calls:
 * Chronicle waits for a call in progress and fails later ones, which this class reports as
 * {@link GridClosedException}.
 */
final class PartitionStore implements AutoCloseable {
    /** The system property Chronicle-Core reads to mute usage analytics. */
    static final String ANALYTICS_DISABLE_PROPERTY = "chronicle.analytics.disable";

    static {
        // DESIGN decision 8, before any Chronicle class is initialised: this runs when PartitionStore is initialised,
        // and only PartitionStore touches Chronicle in this module. Chronicle-Core decides in
        // AnalyticsFacade.isEnabled():
        //   ReflectionUtil.analyticsPresent() && !Jvm.getBoolean("chronicle.analytics.disable")
        // (OpenHFT/Chronicle-Core, src/main/java/net/openhft/chronicle/core/analytics/AnalyticsFacade.java; the same
        // string is in the bytecode of chronicle-core 2.27ea10, which Chronicle Map 3.27ea2 resolves to, and
        // chronicle-analytics is on the classpath, so only the property stops it). Chronicle Map's AnalyticsHolder
        // builds its facade once, when the first map is created, and every VanillaChronicleMap then sends "started";
        // with the property set the builder is the no-op MuteBuilder. StoreFootprint prints isEnabled() to check.
        System.setProperty(ANALYTICS_DISABLE_PROPERTY, "true");
    }

    /** Stores open in this JVM (created and not yet closed), on every node in it. */
    private static final java.util.concurrent.atomic.AtomicLong OPEN = new java.util.concurrent.atomic.AtomicLong();

    /** Bytes of the header in front of every stored value: version, expiresAt, writtenAt, access. */
    static final int HEADER_BYTES = 4 * Long.BYTES;
    /** Where the access record ({@link Access}) sits in the header, the one field a read may write in place. */
    private static final int ACCESS_OFFSET = 3 * Long.BYTES;

    /**
     * Headroom over a partition's even share of the map's expected entries. Chronicle advises configuring
     * {@code entries} without margin, and adds its own margin for segments that fill unevenly; but nothing covers the
     * spread of keys over partitions (three standard deviations are 5% at 3,700 entries a partition, 16% at 370) or an
     * {@code expectedEntries} that was only an estimate. A store that outgrows its main tiers adds a tier per segment
     * that overflows, and every lookup in that segment (every miss, too) walks the chain, so twice the share keeps a
     * correctly sized map in its main tiers. It costs address space more than memory: Chronicle writes no entry space
     * before an entry is stored; what it touches up front is each tier's hash lookup and free list (see
     * {@code StoreFootprint} for the figures).
     */
    static final int HEADROOM = 2;

    /**
     * Values larger than this many bytes are kept out of line ({@link LargeValues}); smaller ones take the store's own
     * path, as before there were large values. 64 KB: a value this large costs its copies more than its lookups.
     */
    static final int INLINE_MAX = 64 * 1024;

    /** No partition store is smaller than this many entries, so tiny maps are not full after a handful of puts. */
    static final long MIN_ENTRIES_PER_PARTITION = 128;

    /**
     * Chronicle's {@code maxBloatFactor}: how many extra tiers, as a multiple of the main ones, a store may add before
     * it is full. Chronicle allows {@code maxBloatFactor × segments} extra tiers, so a store holds about
     * {@code (1 + MAX_BLOAT_FACTOR) × entries} entries of the configured average size before
     * {@link StoreFullException}: with {@link #HEADROOM} that is 22 times a partition's share. Extra tiers cost nothing
     * until they are needed, so the bound is there to stop a runaway writer, not to save memory; 10 is the most
     * Chronicle advises (beyond it a lookup walks too many tiers), and it is also what absorbs an underestimated
     * {@code averageValueBytes}, which fills the store by bytes before it fills it by count.
     */
    static final double MAX_BLOAT_FACTOR = 10.0;

    /** A segment holds at least this many entries (unless the whole store holds fewer). */
    static final long MIN_ENTRIES_PER_SEGMENT = 1_024;

    /** A segment tier holds at least this many bytes of entries (unless the whole store holds fewer). */
    static final long MIN_SEGMENT_TIER_BYTES = 256 * 1024;

    private final String mapName;
    private final int partition;
    /** The Chronicle store; replaced by a larger one when a growable store fills ({@link #grow}). */
    private volatile ChronicleMap<byte[], StoredEntry> map;
    private volatile boolean closed;
    /** Its sizing, and how many entries its Chronicle store is sized for now. */
    private final StoreSizing sizing;
    private long entries;
    /** Whether a full store grows rather than refuse: a bounded map's, which its bound keeps in check (issue 15). */
    private final boolean growable;
    /** Values larger than {@link #inlineLimit} bytes, kept out of line (issue 22). */
    private final LargeValues large = new LargeValues();
    /** The largest value kept in the Chronicle store itself: {@link #INLINE_MAX}, or less where its tiers are small. */
    private volatile int inlineLimit;
    /**
     * Bytes of the entries stored (keys, headers and values), kept as entries are stored and removed: what a map's byte
     * bound counts. Written under each segment's update lock, which different segments do not share, so atomic.
     */
    private final java.util.concurrent.atomic.AtomicLong entryBytes = new java.util.concurrent.atomic.AtomicLong();
    /**
     * No entry here expires before this (epoch milliseconds; {@link Long#MAX_VALUE} for none known): lowered by every
     * put of an entry with an expiry, raised by the sweep once it has read the store, so that the sweep reads only
     * stores where something may have expired (issue 15: reading every store in turn cost a tenth of the base load).
     */
    private final java.util.concurrent.atomic.AtomicLong earliestExpiry = new java.util.concurrent.atomic.AtomicLong(
            Long.MAX_VALUE);
    /** Puts of entries with an expiry so far: a sweep that raced one keeps the earliest expiry as it is. */
    private final java.util.concurrent.atomic.AtomicLong expiringWrites = new java.util.concurrent.atomic.AtomicLong();

    private PartitionStore(String mapName, int partition, StoreSizing sizing, long entries, boolean growable) {
        this.mapName = mapName;
        this.partition = partition;
        this.sizing = sizing;
        this.entries = entries;
        this.growable = growable;
        this.map = build(mapName, partition, entries, sizing);
        this.inlineLimit = inlineLimit(map);
    }

    /**
     * The largest value a Chronicle store keeps in line: {@link #INLINE_MAX}, or a quarter of the largest entry its
     * tiers can hold where that is less (the rest is left for the key), so that no sizing ever refuses a value.
     */
    static int inlineLimit(ChronicleMap<byte[], StoredEntry> m) {
        var hash = (net.openhft.chronicle.hash.impl.VanillaChronicleHash<?, ?, ?, ?>) m;
        return (int) Math.min(INLINE_MAX, hash.chunkSize * hash.maxChunksPerEntry / 4);
    }

    /**
     * Creates the store of {@code mapName} in {@code partition}, sized for its share of {@code sizing}.
     *
     * @throws IllegalArgumentException if {@code partition} is not in {@code 0..partitionCount-1} or
     *                                  {@code partitionCount} is less than 1
     */
    static PartitionStore create(String mapName, int partition, int partitionCount, StoreSizing sizing) {
        return create(mapName, partition, partitionCount, sizing, false);
    }

    /** {@link #create(String, int, int, StoreSizing)}, growing when full if {@code growable}. */
    static PartitionStore create(String mapName, int partition, int partitionCount, StoreSizing sizing,
                                 boolean growable) {
        Objects.requireNonNull(mapName, "mapName");
        Objects.requireNonNull(sizing, "sizing");
        if (partitionCount < 1) {
            throw new IllegalArgumentException("partitionCount must be at least 1, was " + partitionCount);
        }
        if (partition < 0 || partition >= partitionCount) {
            throw new IllegalArgumentException(
                    "partition must be in 0.." + (partitionCount - 1) + ", was " + partition);
        }
        PartitionStore store = new PartitionStore(mapName, partition, sizing,
                entriesPerPartition(sizing.expectedEntries(), partitionCount), growable);
        OPEN.incrementAndGet();
        return store;
    }

    private static ChronicleMap<byte[], StoredEntry> build(String mapName, int partition, long entries,
                                                           StoreSizing sizing) {
        double averageValueBytes = HEADER_BYTES + (double) sizing.averageValueBytes();
        return ChronicleMap.of(byte[].class, StoredEntry.class)
                .name(mapName + "#" + partition)
                .entries(entries)
                .averageKeySize(sizing.averageKeyBytes())
                .averageValueSize(averageValueBytes)
                .valueMarshallers(Codec.INSTANCE, Codec.INSTANCE)
                .actualSegments(segmentsFor(entries, sizing.averageKeyBytes() + averageValueBytes))
                .maxBloatFactor(MAX_BLOAT_FACTOR)
                .create();
    }

    /**
     * Moves every entry into a Chronicle store sized for twice as many, and frees the old one (issue 15: a bounded
     * map's store that fills grows rather than refuse while the map is within its bound). Called by a writer, which
     * holds the partition's monitor as every writer does; a reader without it (the sweep) that meets the old store
     * closed skips it.
     */
    private synchronized void grow() {
        ChronicleMap<byte[], StoredEntry> old = map;
        long bigger = entries * 2;
        ChronicleMap<byte[], StoredEntry> grown = build(mapName, partition, bigger, sizing);
        try {
            for (int s = 0, n = old.segments(); s < n; s++) {
                try (MapSegmentContext<byte[], StoredEntry, ?> c = old.segmentContext(s)) {
                    c.forEachSegmentEntry(e -> grown.put(e.key().getUsing(null), e.value().getUsing(null)));
                }
            }
        } catch (RuntimeException e) {
            grown.close();
            throw e;
        }
        entries = bigger;
        map = grown;
        inlineLimit = inlineLimit(grown);
        old.close();
    }

    /** Stores open in this JVM, on every node in it: a leak check for tests and operators. */
    static long openStores() {
        return OPEN.get();
    }

    /** A partition's capacity in entries before extra tiers: {@link #HEADROOM} times its share, at least 128. */
    static long entriesPerPartition(long expectedEntries, int partitionCount) {
        long share = (expectedEntries + partitionCount - 1) / partitionCount;
        return Math.max(MIN_ENTRIES_PER_PARTITION, share * HEADROOM);
    }

    /**
     * How many segments (a power of two) a store of {@code entries} entries of {@code averageEntryBytes} is cut into:
     * as many as leave each segment at least {@link #MIN_ENTRIES_PER_SEGMENT} entries and
     * {@link #MIN_SEGMENT_TIER_BYTES} bytes. Chronicle's default would cut a partition of a few thousand entries into
     * hundreds of segments of a few dozen entries, and two things argue against that here:
     * <ul>
     *   <li>An entry must fit in one segment tier. With the defaults (740 entries of ~330 bytes a partition) Chronicle
     *       would choose 32 segments and refuse values over ~10 KB; with one segment the limit is ~270 KB.</li>
     *   <li>The map is already cut into partitions that spread writers, and more segments buy less than they cost in
     *       tier size: on this machine 8 threads putting and getting in one store took 25 to 29 us a put and get with
     *       1 segment, 6 to 13 us with 16 or 64 (2 CPUs, locks that spin).</li>
     * </ul>
     * Nor should segments grow without bound: Chronicle's segment locks spin rather than park, and {@link #forEach}
     * copies a whole segment under its update lock while that segment's writers spin.
     */
    static int segmentsFor(long entries, double averageEntryBytes) {
        long perSegment = Math.max(MIN_ENTRIES_PER_SEGMENT,
                (long) Math.ceil(MIN_SEGMENT_TIER_BYTES / averageEntryBytes));
        long fit = entries / perSegment;
        int segments = 1;
        while (segments <= fit / 2 && segments < 1 << 20) {
            segments <<= 1;
        }
        return segments;
    }

    /**
     * The entry stored under {@code key}, or {@code null} when there is none. Chronicle's {@code get} takes its
     * optimised lookup (no query context) and {@link Codec} copies the value once: measured on this machine at 140 to
     * 190 ns for values up to 1 KB, against 350 to 390 ns through a query context and, for 16 KB values, 2.5 us against
     * 4.2 us for {@code byte[]} values copied again to strip the header.
     */
    StoredEntry get(byte[] key) {
        Objects.requireNonNull(key, "key");
        try {
            while (true) {
                StoredEntry stored = open().get(key);
                if (!LargeValues.isReference(stored)) {
                    return stored;
                }
                StoredEntry whole = large.resolve(stored);
                if (whole != null) {
                    return whole;
                }
                // its value was replaced or removed between the lookup and the copy: read the key again
            }
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * The entry stored under {@code key} as a read at {@code epochMillis} leaves it: one more hit and that access time,
     * written in place into its header (the value is not touched), unless it has expired (returned as it is); or
     * {@code null} when there is none. Slower than
     * {@link #get} (a query context and the segment's update lock), so only maps that track access read this way.
     */
    StoredEntry getTouched(byte[] key, long epochMillis, long maxIdleMillis) {
        Objects.requireNonNull(key, "key");
        try (ExternalMapQueryContext<byte[], StoredEntry, ?> c = open().queryContext(key)) {
            c.updateLock().lock();
            MapEntry<byte[], StoredEntry> present = c.entry();
            if (present == null) {
                return null;
            }
            Data<StoredEntry> stored = present.value();
            StoredEntry entry = stored.getUsing(null);
            if (Expiration.expired(entry, epochMillis, maxIdleMillis)) {
                return large.resolve(entry); // expired: not read, so not touched (the caller sees it absent)
            }
            long access = Access.touched(entry.access(), epochMillis, true);
            writeAccess(c, present, entry, access);
            return large.resolve(entry.withAccess(access)); // (a writer frees a block under this same lock)
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * Merges the access record {@code access} (its primary's, sent to this backup copy) into the entry under
     * {@code key}, if there is one: the later access time and the larger count of hits, the entry's own priority.
     */
    void touch(byte[] key, long access) {
        Objects.requireNonNull(key, "key");
        try (ExternalMapQueryContext<byte[], StoredEntry, ?> c = open().queryContext(key)) {
            c.updateLock().lock();
            MapEntry<byte[], StoredEntry> present = c.entry();
            if (present == null) {
                return;
            }
            StoredEntry entry = present.value().getUsing(null);
            long own = entry.access();
            long merged = Access.of(Math.max(Access.hits(own), Access.hits(access)),
                    Math.max(Access.accessedAt(own), Access.accessedAt(access)), Access.priority(own));
            if (merged != own) {
                writeAccess(c, present, entry, merged);
            }
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** Writes {@code access} into the header of {@code present} ({@code entry}), in place where the bytes allow. */
    private static void writeAccess(ExternalMapQueryContext<byte[], StoredEntry, ?> c,
                                    MapEntry<byte[], StoredEntry> present, StoredEntry entry, long access) {
        Data<StoredEntry> stored = present.value();
        if (stored.bytes() instanceof net.openhft.chronicle.bytes.RandomDataOutput<?> out) {
            out.writeLong(stored.offset() + ACCESS_OFFSET, access); // in place: the entry's bytes stay where they are
        } else {
            c.replaceValue(present, c.wrapValueAsData(entry.withAccess(access)));
        }
    }

    /**
     * Stores {@code entry} under {@code key}, replacing any entry there.
     *
     * @throws StoreFullException       if the store has no room for it; what was stored before stays as it was
     * @throws IllegalArgumentException if the key is larger than one segment tier can ever hold
     */
    void put(byte[] key, StoredEntry entry) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(entry, "entry");
        if (entry.version() < 0) { // (its sign bit says a value is out of line: LargeValues.OUT_OF_LINE)
            throw new IllegalArgumentException("A stored entry's version must not be negative, was " + entry.version());
        }
        StoredEntry stored = entry.value().length > inlineLimit ? large.store(entry) : entry;
        try {
            try {
                putOnce(key, stored);
            } catch (StoreFullException full) {
                if (!growable || closed) {
                    throw full;
                }
                grow();
                putOnce(key, stored);
            }
        } catch (RuntimeException failed) {
            large.free(stored); // (nothing, for a value in line)
            throw failed;
        }
    }

    private void putOnce(byte[] key, StoredEntry entry) {
        if (entry.expiresAt() != 0) {
            expiringWrites.incrementAndGet();
            earliestExpiry.accumulateAndGet(entry.expiresAt(), Math::min);
        }
        try (ExternalMapQueryContext<byte[], StoredEntry, ?> c = open().queryContext(key)) {
            c.updateLock().lock();
            MapEntry<byte[], StoredEntry> present = c.entry();
            Data<StoredEntry> value = c.wrapValueAsData(entry); // written by Codec straight into the store
            long size = value.size() + LargeValues.outOfLineBytes(entry);
            if (present == null) {
                c.insert(c.absentEntry(), value); // fails before it changes anything
                entryBytes.addAndGet(key.length + size);
                return;
            }
            Data<StoredEntry> was = present.value();
            long outOfLine = LargeValues.outOfLineBytes(was.bytes(), was.offset());
            StoredEntry replaced = outOfLine > 0 ? was.getUsing(null) : null;
            long before = was.size() + outOfLine;
            if (value.size() <= was.size()) {
                c.replaceValue(present, value); // in place: allocates nothing
            } else {
                grow(c, present, value);
            }
            large.free(replaced); // under the segment's lock, which a reader resolving it here holds too
            entryBytes.addAndGet(size - before);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * Replaces an entry with a larger one. Chronicle's own replaceValue, when the entry must move, frees the old chunks
     * before it looks for room and does not take them back if it finds none (QueryAlloc.alloc): the key would stay
     * indexed over chunks the next insert may overwrite. So the entry is removed and the new one inserted, and if that
     * fails the old one is inserted again. The segment's update lock is held throughout, so nobody can take the freed
     * chunks, and the old entry fits where it was.
     */
    private static void grow(ExternalMapQueryContext<byte[], StoredEntry, ?> c, MapEntry<byte[], StoredEntry> present,
                             Data<StoredEntry> value) {
        StoredEntry old = present.value().getUsing(null);
        c.remove(present);
        try {
            c.insert(c.absentEntry(), value);
        } catch (RuntimeException failed) {
            try {
                c.insert(c.absentEntry(), c.wrapValueAsData(old));
            } catch (RuntimeException restoreFailed) {
                failed.addSuppressed(restoreFailed);
            }
            throw failed;
        }
    }

    /** Removes the entry under {@code key}; returns it, or {@code null} when there was none. */
    StoredEntry remove(byte[] key) {
        Objects.requireNonNull(key, "key");
        try (ExternalMapQueryContext<byte[], StoredEntry, ?> c = open().queryContext(key)) {
            c.updateLock().lock();
            MapEntry<byte[], StoredEntry> e = c.entry();
            if (e == null) {
                return null;
            }
            StoredEntry removed = e.value().getUsing(null);
            long bytes = key.length + e.value().size() + LargeValues.outOfLineBytes(removed);
            StoredEntry whole = large.resolve(removed);
            c.remove(e);
            large.free(removed);
            entryBytes.addAndGet(-bytes);
            return whole;
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    boolean containsKey(byte[] key) {
        Objects.requireNonNull(key, "key");
        try {
            return open().containsKey(key);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    long size() {
        try {
            return open().longSize();
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** Off-heap bytes Chronicle has allocated for this store: address space reserved, not all of it resident. */
    long offHeapBytes() {
        try {
            return open().offHeapMemoryUsed() + large.bytes();
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * Calls {@code action} with a copy of every key and its entry. Weakly consistent: each segment is copied under its
     * update lock (writers to that segment wait, readers do not), then {@code action} runs with no lock held, so it
     * may write to this store and may be slow. An entry written during the call may or may not be seen; none is seen
     * twice.
     */
    void forEach(BiConsumer<byte[], StoredEntry> action) {
        Objects.requireNonNull(action, "action");
        List<byte[]> keys = new ArrayList<>();
        List<StoredEntry> entries = new ArrayList<>();
        try {
            ChronicleMap<byte[], StoredEntry> m = open();
            for (int s = 0, n = m.segments(); s < n; s++) {
                try (MapSegmentContext<byte[], StoredEntry, ?> c = m.segmentContext(s)) {
                    c.forEachSegmentEntry(e -> {
                        StoredEntry whole = large.resolve(e.value().getUsing(null));
                        if (whole != null) { // (null: cleared meanwhile)
                            keys.add(e.key().getUsing(null));
                            entries.add(whole);
                        }
                    });
                }
                for (int i = 0; i < keys.size(); i++) {
                    action.accept(keys.get(i), entries.get(i));
                }
                keys.clear();
                entries.clear();
            }
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** Removes every entry. The store keeps its reserved capacity. */
    void clear() {
        try {
            open().clear();
            large.clear(); // (writers, this one too, hold the partition's monitor: no value is stored meanwhile)
            entryBytes.set(0);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** Bytes of the entries stored: keys, headers and values (what a byte bound counts), not Chronicle's reservation. */
    long entryBytes() {
        return entryBytes.get();
    }

    /** No entry here expires before this (epoch milliseconds); {@link Long#MAX_VALUE} when none has an expiry. */
    long earliestExpiry() {
        return earliestExpiry.get();
    }

    /** Puts of entries with an expiry so far (see {@link #sweptTo}). */
    long expiringWrites() {
        return expiringWrites.get();
    }

    /**
     * The sweep read this store whole, having seen {@code earliestExpiry()} at {@code seen} and
     * {@code expiringWrites()} at {@code writes} before it began: the earliest expiry of the entries it left is
     * {@code next}. Left as it is when an entry with an expiry was put meanwhile (the sweep may have missed it).
     */
    void sweptTo(long seen, long writes, long next) {
        if (expiringWrites.get() == writes) {
            earliestExpiry.compareAndSet(seen, next);
        }
    }

    /** What {@link #forEachHeader} hands over of one entry: its key, header fields and size, not its value. */
    interface HeaderVisitor {
        void visit(byte[] key, long expiresAt, long writtenAt, long access, int bytes);
    }

    /**
     * Calls {@code visitor} with every entry's key and header, reading the header in place and never copying the value:
     * the sweep and the eviction rank a partition this way. Weakly consistent, as {@link #forEach}; each segment is read
     * under its update lock and the visitor runs with it held, so it must be quick and must not touch this store.
     */
    void forEachHeader(HeaderVisitor visitor) {
        Objects.requireNonNull(visitor, "visitor");
        try {
            ChronicleMap<byte[], StoredEntry> m = open();
            for (int s = 0, n = m.segments(); s < n; s++) {
                try (MapSegmentContext<byte[], StoredEntry, ?> c = m.segmentContext(s)) {
                    c.forEachSegmentEntry(e -> {
                        Data<StoredEntry> v = e.value();
                        net.openhft.chronicle.bytes.RandomDataInput in = v.bytes();
                        long at = v.offset();
                        byte[] key = e.key().getUsing(null);
                        visitor.visit(key, in.readLong(at + Long.BYTES), in.readLong(at + 2 * Long.BYTES),
                                in.readLong(at + ACCESS_OFFSET),
                                (int) (key.length + v.size() + LargeValues.outOfLineBytes(in, at)));
                    });
                }
            }
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /** Frees the off-heap memory. Idempotent; any later call but this one throws {@link GridClosedException}. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        OPEN.decrementAndGet();
        synchronized (this) { // (not while it grows)
            map.close();
            large.close();
        }
    }

    @Override
    public String toString() {
        return "PartitionStore[" + mapName + " partition " + partition + (closed ? ", closed]" : "]");
    }

    private ChronicleMap<byte[], StoredEntry> open() {
        if (closed) {
            throw closedException();
        }
        return map;
    }

    private GridClosedException closedException() {
        return new GridClosedException("The store of map '" + mapName + "' in partition " + partition + " is closed");
    }

    /**
     * Turns Chronicle's failures into Cairn's: a store closed under the call, and a store with no tier left. A
     * too-large entry becomes an IllegalArgumentException with the sizes. Anything else is a bug and passes through.
     */
    private RuntimeException translate(RuntimeException e) {
        if (e instanceof ChronicleHashClosedException) {
            GridClosedException closedException = closedException();
            closedException.initCause(e);
            return closedException;
        }
        String message = e.getMessage();
        if (e instanceof IllegalStateException && message != null
                && message.contains("Attempt to allocate #") && message.contains("extra segment tier")) {
            long entries = -1;
            long bytes = -1;
            try {
                entries = map.longSize();
                bytes = map.offHeapMemoryUsed();
            } catch (RuntimeException closedMeanwhile) {
                e.addSuppressed(closedMeanwhile);
            }
            return new StoreFullException("The store of map '" + mapName + "' in partition " + partition
                    + " is full: it holds " + entries + " entries in " + bytes + " off-heap bytes and cannot add"
                    + " another segment tier. Raise expectedEntries (or averageValueBytes) in the map's StoreSizing.",
                    e);
        }
        if (e instanceof IllegalArgumentException && message != null && message.contains("Entry is too large")) {
            // (values above the inline limit are out of line, so only a key this large gets here)
            return new IllegalArgumentException("A key is larger than the store of map '" + mapName
                    + "' in partition " + partition + " can hold in one segment tier (" + message.trim()
                    + "). Raise averageKeyBytes in the map's StoreSizing, or use a smaller key.", e);
        }
        return e;
    }

    /**
     * The stored layout, and the only code that knows it (with {@link #ACCESS_OFFSET}): {@value #HEADER_BYTES} bytes of
     * header (version, expiresAt, writtenAt, access as longs in Chronicle's native byte order) followed by the value
     * bytes. As Chronicle's value marshaller
     * it writes an entry straight into the store and reads one straight out of it, so the value is copied once each
     * way (DESIGN decision 11). Stateless; Chronicle wants marshallers emulating enums as a final class with one
     * instance and {@code readResolve}, not Java enums.
     */
    static final class Codec implements SizedReader<StoredEntry>, SizedWriter<StoredEntry>, EnumMarshallable<Codec> {
        static final Codec INSTANCE = new Codec();

        private Codec() {
        }

        @Override
        public long size(StoredEntry entry) {
            return HEADER_BYTES + (long) entry.value().length;
        }

        @Override
        public void write(Bytes<?> out, long size, StoredEntry entry) {
            out.writeLong(entry.version());
            out.writeLong(entry.expiresAt());
            out.writeLong(entry.writtenAt());
            out.writeLong(entry.access());
            out.write(entry.value());
        }

        /** Ignores {@code using}: entries are immutable, each read returns a new one. */
        @Override
        public StoredEntry read(Bytes<?> in, long size, StoredEntry using) {
            if (size < HEADER_BYTES || size - HEADER_BYTES > Integer.MAX_VALUE) {
                throw new IllegalStateException("A stored value must be " + HEADER_BYTES + " to "
                        + (HEADER_BYTES + (long) Integer.MAX_VALUE) + " bytes, was " + size);
            }
            long version = in.readLong();
            long expiresAt = in.readLong();
            long writtenAt = in.readLong();
            long access = in.readLong();
            byte[] value = new byte[(int) (size - HEADER_BYTES)];
            in.read(value);
            return new StoredEntry(version, expiresAt, writtenAt, access, value);
        }

        @Override
        public Codec readResolve() {
            return INSTANCE;
        }
    }
}
