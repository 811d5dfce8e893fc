package dev.cairn;

import java.util.Arrays;
import java.util.Locale;

/**
 * What a bounded map evicts when a write would take it past its bound ({@link Eviction}). Eviction is decided by a
 * partition's primary and replicated like a write, so its backups hold the same entries. Lower {@link Priority}
 * entries go first, whatever the policy; {@link Priority#CRITICAL} entries are never evicted.
 *
 * <p>The ranking is exact within a partition (every entry of it is ranked, none sampled), but each partition keeps its
 * own share of the node's bound and evicts down to 15/16 of it at once, so the map as a whole approximates the policy:
 * under a zipfian load of 1,000,000 keys from three nodes, bounded to 10,000 entries a node, {@link #LRU} hit 0.583 of
 * reads where an exact LRU cache holding as many distinct entries hits 0.601 (0.97 of it; {@code CacheIT}, 2026-12-07).
 */
public enum EvictionPolicy {
    /** The entry read or written longest ago. */
    LRU,
    /** The entry read least often, its count halved for every period it was not read, so old favourites fade. */
    LFU,
    /** As {@link #LRU}, among entries that have a time to live only (as Redis's volatile-lru). */
    VOLATILE_LRU,
    /** As {@link #LFU}, among entries that have a time to live only. */
    VOLATILE_LFU,
    /** Nothing: a write that would take the map past its bound fails with {@link MapFullException}. */
    NONE;

    /** Whether only entries with a time to live may be evicted. */
    public boolean volatileOnly() {
        return this == VOLATILE_LRU || this == VOLATILE_LFU;
    }

    /** Whether entries are ranked by how often they were read, rather than by when. */
    public boolean byFrequency() {
        return this == LFU || this == VOLATILE_LFU;
    }

    /**
     * The policy named {@code name}, case and {@code -}/{@code _} aside ({@code volatile-lru} is {@link #VOLATILE_LRU}).
     *
     * @throws IllegalArgumentException naming the value and the policies there are, for an unknown name
     */
    public static EvictionPolicy of(String name) {
        String normal = name == null ? "" : name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (EvictionPolicy p : values()) {
            if (p.name().equals(normal)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown eviction policy '" + name + "': use one of "
                + Arrays.toString(values()));
    }
}
