package dev.cairn.partition;

import dev.cairn.Clock;
import dev.cairn.MapOptions;
import dev.cairn.MergePolicy;

/**
 * One named map on this node: its options, the replica group of its backup count, and its store in each partition.
 * A store is read and replaced with its replica's monitor held (a push may swap or close it).
 */
final class MapStores {
    final String name;
    final MapOptions options;
    final ReplicaGroup group;
    final PartitionStore[] stores;
    final PartitionMetrics.MapMetrics metrics;
    /**
     * Whether reads and writes keep each entry's {@link Access} times and hits: for a merge policy that may weigh hits
     * ({@code HIGHER_HITS}, or a user's own), max idle, and LRU or LFU eviction. A read then writes the record in place,
     * which costs a query context.
     */
    final boolean tracksAccess;
    /** Max idle in milliseconds, 0 for none. */
    final long maxIdleMillis;
    /**
     * Whether an entry of this map may expire: it has a default time to live or max idle, or an entry with an expiry was
     * stored here. The sweep ({@link Expirer}) looks only at such maps.
     */
    volatile boolean expiring;
    /** When the sweep last read each partition's store, for a max-idle map (epoch milliseconds; its own thread's). */
    final long[] sweptAt;
    /** How values are packed on the calling node, or null when the map does not compress. */
    final Compression compression;
    private final int partitionCount;
    /**
     * Set when the map is destroyed on this node and this object retired (see {@link Engine#retire}): whoever finds it
     * set under a replica's monitor looks the map up again by name.
     */
    volatile boolean destroyed;

    private final Clock clock;

    MapStores(String name, MapOptions options, ReplicaGroup group, int partitionCount, PartitionMetrics metrics,
              Clock clock) {
        this.name = name;
        this.clock = clock;
        this.options = options;
        this.group = group;
        this.partitionCount = partitionCount;
        this.stores = new PartitionStore[partitionCount];
        this.sweptAt = new long[partitionCount];
        this.metrics = metrics.forMap(name);
        MergePolicy policy = options.mergePolicy();
        this.maxIdleMillis = options.expiry().maxIdle().toMillis();
        this.tracksAccess = (policy != MergePolicy.LATEST_UPDATE && policy != MergePolicy.PUT_IF_ABSENT
                && policy != MergePolicy.PASS_THROUGH && policy != MergePolicy.DISCARD) || maxIdleMillis > 0
                || (options.eviction().bounded() && options.eviction().policy() != dev.cairn.EvictionPolicy.NONE);
        this.expiring = !options.expiry().timeToLive().isZero() || maxIdleMillis > 0;
        this.compression = options.compressAbove() > 0 ? new Compression(options.compressAbove(), this.metrics) : null;
    }

    /**
     * The entry under {@code key} in {@code store} as a read finds it: null when absent or expired; the read counted
     * where the map tracks access.
     */
    StoredEntry read(PartitionStore store, byte[] key) {
        long now = clock.epochMillis();
        StoredEntry e = tracksAccess ? store.getTouched(key, now, maxIdleMillis) : store.get(key);
        return live(e, now);
    }

    /** {@code e}, or null when it is absent or has expired at {@code now}. */
    StoredEntry live(StoredEntry e, long now) {
        return e == null || Expiration.expired(e, now, maxIdleMillis) ? null : e;
    }

    /**
     * The access record of a key written at {@code epochMillis} over {@code previous} (null when absent) with
     * {@code priority} (null: the previous entry's, or normal).
     */
    long accessAfterWrite(StoredEntry previous, long epochMillis, dev.cairn.Priority priority) {
        long before = previous == null ? 0 : previous.access();
        long access = tracksAccess ? Access.touched(before, epochMillis, false) : Access.withPriority(0, Access.priority(before));
        return priority == null ? access : Access.withPriority(access, priority);
    }

    /** Notes that an entry with an expiry is stored here: the sweep must look at this map from now on. */
    void stored(StoredEntry e) {
        if (e != null && e.expiresAt() != 0 && !expiring) {
            expiring = true;
        }
    }

    /** The live store of a partition, created on first write. Call with the partition's monitor held. */
    PartitionStore store(int p) {
        if (destroyed) {
            throw new IllegalStateException("map '" + name + "' was destroyed on this node: look it up again");
        }
        if (stores[p] == null) {
            stores[p] = newStore(p);
        }
        return stores[p];
    }

    /** A new, empty store for partition {@code p} of this map (a snapshot being received fills one). */
    PartitionStore newStore(int p) {
        return PartitionStore.create(name, p, partitionCount, options.sizing(), options.eviction().bounded());
    }

    /** Serves a read from this node's copy, if it holds the partition complete; else asks the caller to retry. */
    Reply readLocal(Topology t, Op op, int p, byte[] key) {
        Replica r = group.replica(p);
        synchronized (r) {
            if (r.state != Replica.State.COMPLETE || destroyed || !r.installed(t)) {
                return Reply.RETRY;
            }
            PartitionStore store = stores[p];
            return Reply.ok(op.decide(r.unacknowledged.visibleOr(name, key, store == null ? null : read(store, key))));
        }
    }

    /** Closes the store of {@code p}, if any. Call with the partition's monitor held. */
    void closeStore(int p) {
        if (stores[p] != null) {
            stores[p].close();
            stores[p] = null;
        }
    }
}
