package dev.cairn.partition;

import dev.cairn.StoreFullException;
import dev.cairn.StoreSizing;
import dev.cairn.GridClosedException;
import net.openhft.chronicle.hash.ChronicleHashClosedException;
import net.openhft.chronicle.hash.Data;
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
 * <p>A stored value is a {@value StoredLayout#HEADER_BYTES}-byte header (version, expiresAt, writtenAt, access: four longs in
 * native byte order) followed by the value bytes. {@link StoredLayout} is the only place that knows this layout; it is Chronicle's
 * value marshaller, so Chronicle hands it the stored bytes and it builds the {@link StoredEntry} in one copy, and a put
 * writes the header and value straight into the store (rather than a {@code byte[]} value copied once more to add or
 * strip the header; see {@link #get} for the figures). The layout never leaves the process: it is neither persisted
 * nor sent.
 *
 * <p><b>Sizing</b> (DESIGN decision 12; see {@link ChronicleSizing}). Chronicle reserves a store's main capacity when the store is created and later adds extra
 * tiers, each as large as one segment's main tier, up to a bound; past that bound an insert fails, and this class
 * answers with {@link StoreFullException} while everything stored stays readable, removable and overwritable. An entry
 * must fit in one segment tier: about {@code entries × average size / segments} bytes, at least 256 KB unless the
 * whole store is smaller. So values larger than {@link ChronicleSizing#inlineLimit} (64 KB, or a quarter of that where it is smaller)
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
        // and only PartitionStore (and the classes it calls: ChronicleSizing, StoredLayout, LargeValues) touches
        // Chronicle in this module. Chronicle-Core decides in
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
    /** The largest value kept in the Chronicle store itself ({@link ChronicleSizing#inlineLimit}). */
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
        this.map = ChronicleSizing.build(mapName, partition, entries, sizing);
        this.inlineLimit = ChronicleSizing.inlineLimit(map);
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
                ChronicleSizing.entriesPerPartition(sizing.expectedEntries(), partitionCount), growable);
        OPEN.incrementAndGet();
        return store;
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
        ChronicleMap<byte[], StoredEntry> grown = ChronicleSizing.build(mapName, partition, bigger, sizing);
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
        inlineLimit = ChronicleSizing.inlineLimit(grown);
        old.close();
    }

    /** Stores open in this JVM, on every node in it: a leak check for tests and operators. */
    static long openStores() {
        return OPEN.get();
    }

    /**
     * The entry stored under {@code key}, or {@code null} when there is none. Chronicle's {@code get} takes its
     * optimised lookup (no query context) and {@link StoredLayout} copies the value once: measured on this machine at 140 to
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
            out.writeLong(stored.offset() + StoredLayout.ACCESS_OFFSET, access); // in place: the entry's bytes stay where they are
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
            Data<StoredEntry> value = c.wrapValueAsData(entry); // written by StoredLayout straight into the store
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
                                in.readLong(at + StoredLayout.ACCESS_OFFSET),
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
}
