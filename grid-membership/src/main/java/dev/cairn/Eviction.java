package dev.cairn;

import java.util.Objects;

/**
 * A map's bound on each node, and what it evicts to stay within it. The bound counts every copy a node holds, primary
 * and backup, so that it bounds the node's memory: each partition's primary keeps its partition within the partition's
 * share of the bound (the bound over the most partitions any member holds in the view) and evicts before a write that
 * would exceed it. Lower {@link Priority} entries go first; {@link Priority#CRITICAL} ones never. With
 * {@link EvictionPolicy#NONE}, or nothing the policy may take, the write fails with {@link MapFullException} and nothing
 * stored is lost.
 *
 * <p>Within a partition the choice is exact, not sampled: the primary ranks the whole partition (expired entries first,
 * then by priority, then by the policy) and evicts the lowest sixteenth of its share at once, so the ranking is paid for
 * once per sixteenth. Measured against exact LRU over the whole map on a zipfian load, see the README.
 *
 * @param maxEntries entries the map may hold on a node, primary and backup copies together; 0 for no bound
 * @param maxBytes   off-heap bytes of entries (keys, values and their headers) the map may hold on a node; 0 for no
 *                   bound
 * @param policy     what is evicted
 */
public record Eviction(long maxEntries, long maxBytes, EvictionPolicy policy) {
    /** No bound. */
    public static final Eviction NONE = new Eviction(0, 0, EvictionPolicy.LRU);

    /** @throws IllegalArgumentException naming the component and the value when one is out of range */
    public Eviction {
        Objects.requireNonNull(policy, "policy");
        if (maxEntries < 0) {
            throw new IllegalArgumentException("maxEntries must be positive (or 0 for no bound), was " + maxEntries);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be positive (or 0 for no bound), was " + maxBytes);
        }
    }

    /** Whether the map has a bound. */
    public boolean bounded() {
        return maxEntries > 0 || maxBytes > 0;
    }

    /**
     * At most {@code maxEntries} entries on a node.
     *
     * @throws IllegalArgumentException for a bound below 1
     */
    public Eviction withMaxEntries(long v) {
        if (v < 1) {
            throw new IllegalArgumentException("a bound of " + v + " entries: maxEntries must be at least 1");
        }
        return new Eviction(v, maxBytes, policy);
    }

    /**
     * At most {@code maxBytes} off-heap bytes of entries on a node.
     *
     * @throws IllegalArgumentException for a bound below 1
     */
    public Eviction withMaxBytes(long v) {
        if (v < 1) {
            throw new IllegalArgumentException("a bound of " + v + " bytes: maxBytes must be at least 1");
        }
        return new Eviction(maxEntries, v, policy);
    }

    public Eviction withPolicy(EvictionPolicy v) {
        return new Eviction(maxEntries, maxBytes, v);
    }
}
