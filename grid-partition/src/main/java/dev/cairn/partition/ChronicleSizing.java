package dev.cairn.partition;

import dev.cairn.StoreFullException;
import dev.cairn.StoreSizing;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * How a partition store's Chronicle Map is shaped (DESIGN decision 12): how many entries it is created for, how many
 * segments they are cut into, how far it may add tiers, and the largest value it keeps in line (issue 22). Only
 * {@link PartitionStore} builds stores, so its static set-up (analytics off) runs before Chronicle's classes load.
 */
final class ChronicleSizing {
    private ChronicleSizing() {
    }

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

    /**
     * The largest value a Chronicle store keeps in line: {@link #INLINE_MAX}, or a quarter of the largest entry its
     * tiers can hold where that is less (the rest is left for the key), so that no sizing ever refuses a value.
     */
    static int inlineLimit(ChronicleMap<byte[], StoredEntry> m) {
        var hash = (net.openhft.chronicle.hash.impl.VanillaChronicleHash<?, ?, ?, ?>) m;
        return (int) Math.min(INLINE_MAX, hash.chunkSize * hash.maxChunksPerEntry / 4);
    }

    static ChronicleMap<byte[], StoredEntry> build(String mapName, int partition, long entries,
                                                           StoreSizing sizing) {
        double averageValueBytes = StoredLayout.HEADER_BYTES + (double) sizing.averageValueBytes();
        return ChronicleMap.of(byte[].class, StoredEntry.class)
                .name(mapName + "#" + partition)
                .entries(entries)
                .averageKeySize(sizing.averageKeyBytes())
                .averageValueSize(averageValueBytes)
                .valueMarshallers(StoredLayout.INSTANCE, StoredLayout.INSTANCE)
                .actualSegments(segmentsFor(entries, sizing.averageKeyBytes() + averageValueBytes))
                .maxBloatFactor(MAX_BLOAT_FACTOR)
                .create();
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
     * Nor should segments grow without bound: Chronicle's segment locks spin rather than park, and {@link PartitionStore#forEach}
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
}
