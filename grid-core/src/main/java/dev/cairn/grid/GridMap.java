package dev.cairn.grid;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.cairn.EntryOptions;
import dev.cairn.GridClosedException;
import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.MapStats;
import dev.cairn.partition.ByteMap;
import dev.cairn.Fence;

/**
 * A named map spread over the cluster: each key lives in one partition, on that partition's primary and its backups.
 * Obtained with {@link Grid#map(String)}.
 *
 * <p>It follows {@link java.util.concurrent.ConcurrentMap} where the two agree. Keys and values are turned into bytes by
 * the grid's codec, and every comparison ({@code replace(k, old, new)}, {@code remove(k, v)}, key equality) is of those
 * bytes, not of {@code equals}. Null keys and values are refused with a {@link NullPointerException} naming the argument
 * and the map. Each single-key and batch call has an {@code ...Async} twin returning a {@link CompletableFuture};
 * continuations on it may run on a network thread, so do not block in them.
 *
 * @param <K> key type, registered with the codec unless Kryo knows it already
 * @param <V> value type, likewise
 */
public final class GridMap<K, V> {
    private final ByteMap bytes;
    private final Codec codec;
    private final Duration timeout;
    private final Grid grid;

    GridMap(ByteMap bytes, Codec codec, Duration timeout, Grid grid) {
        this.bytes = bytes;
        this.codec = codec;
        this.timeout = timeout;
        this.grid = grid;
    }

    public String name() {
        return bytes.name();
    }

    /** The value for {@code key}, or null. */
    public V get(K key) {
        return await(getAsync(key));
    }

    public CompletableFuture<V> getAsync(K key) {
        return bytes.get(key(key)).thenApply(this::value);
    }

    public boolean containsKey(K key) {
        return await(containsKeyAsync(key));
    }

    public CompletableFuture<Boolean> containsKeyAsync(K key) {
        return bytes.containsKey(key(key));
    }

    /** Stores {@code value}; returns the previous value, or null. */
    public V put(K key, V value) {
        return await(putAsync(key, value));
    }

    public CompletableFuture<V> putAsync(K key, V value) {
        return bytes.put(key(key), val(value)).thenApply(this::value);
    }

    /** Stores {@code value} without fetching the previous one: cheaper than {@link #put}. */
    public void set(K key, V value) {
        await(setAsync(key, value));
    }

    public CompletableFuture<Void> setAsync(K key, V value) {
        return bytes.set(key(key), val(value));
    }

    /** Stores {@code value} if {@code key} is absent; returns the value already there, or null if this call stored it. */
    public V putIfAbsent(K key, V value) {
        return await(putIfAbsentAsync(key, value));
    }

    public CompletableFuture<V> putIfAbsentAsync(K key, V value) {
        return bytes.putIfAbsent(key(key), val(value)).thenApply(this::value);
    }

    /** Replaces the value if {@code key} is present; returns the previous value, or null (and stores nothing). */
    public V replace(K key, V value) {
        return await(replaceAsync(key, value));
    }

    public CompletableFuture<V> replaceAsync(K key, V value) {
        return bytes.replace(key(key), val(value)).thenApply(this::value);
    }

    /** Replaces the value if it is {@code oldValue} (compared as bytes); whether it did. */
    public boolean replace(K key, V oldValue, V newValue) {
        return await(replaceAsync(key, oldValue, newValue));
    }

    public CompletableFuture<Boolean> replaceAsync(K key, V oldValue, V newValue) {
        return bytes.replace(key(key), val(oldValue, "oldValue"), val(newValue, "newValue"));
    }

    /** Removes {@code key}; returns the previous value, or null. */
    public V remove(K key) {
        return await(removeAsync(key));
    }

    public CompletableFuture<V> removeAsync(K key) {
        return bytes.remove(key(key)).thenApply(this::value);
    }

    /** Removes {@code key} if its value is {@code value} (compared as bytes); whether it did. */
    public boolean remove(K key, V value) {
        return await(removeAsync(key, value));
    }

    public CompletableFuture<Boolean> removeAsync(K key, V value) {
        return bytes.remove(key(key), val(value));
    }

    /**
     * {@link #put} guarded by a lock's fence: the key's partition rejects it with
     * {@link dev.cairn.StaleFenceException} (writing nothing) if it has seen a higher fence for that lock, and
     * otherwise remembers this fence, on the primary and its backups, so that later writes with a lower one are
     * rejected even after a failover. Get the fence from {@code FencedLock.lockAndGetFence()}. Every write has a fenced
     * twin; a fenced write that changes nothing (say, a {@code putIfAbsent} that finds the key) still raises the fence.
     */
    public V put(K key, V value, Fence fence) {
        return await(putAsync(key, value, fence));
    }

    public CompletableFuture<V> putAsync(K key, V value, Fence fence) {
        return bytes.put(key(key), val(value), fence(fence)).thenApply(this::value);
    }

    /** {@link #set} guarded by a lock's fence, as {@link #put(Object, Object, Fence)}. */
    public void set(K key, V value, Fence fence) {
        await(setAsync(key, value, fence));
    }

    public CompletableFuture<Void> setAsync(K key, V value, Fence fence) {
        return bytes.set(key(key), val(value), fence(fence));
    }

    /** {@link #putIfAbsent} guarded by a lock's fence, as {@link #put(Object, Object, Fence)}. */
    public V putIfAbsent(K key, V value, Fence fence) {
        return await(putIfAbsentAsync(key, value, fence));
    }

    public CompletableFuture<V> putIfAbsentAsync(K key, V value, Fence fence) {
        return bytes.putIfAbsent(key(key), val(value), fence(fence)).thenApply(this::value);
    }

    /** {@link #replace(Object, Object)} guarded by a lock's fence, as {@link #put(Object, Object, Fence)}. */
    public V replace(K key, V value, Fence fence) {
        return await(replaceAsync(key, value, fence));
    }

    public CompletableFuture<V> replaceAsync(K key, V value, Fence fence) {
        return bytes.replace(key(key), val(value), fence(fence)).thenApply(this::value);
    }

    /** {@link #replace(Object, Object, Object)} guarded by a lock's fence, as {@link #put(Object, Object, Fence)}. */
    public boolean replace(K key, V oldValue, V newValue, Fence fence) {
        return await(replaceAsync(key, oldValue, newValue, fence));
    }

    public CompletableFuture<Boolean> replaceAsync(K key, V oldValue, V newValue, Fence fence) {
        return bytes.replace(key(key), val(oldValue, "oldValue"), val(newValue, "newValue"), fence(fence));
    }

    /** {@link #remove(Object)} guarded by a lock's fence, as {@link #put(Object, Object, Fence)}. */
    public V remove(K key, Fence fence) {
        return await(removeAsync(key, fence));
    }

    public CompletableFuture<V> removeAsync(K key, Fence fence) {
        return bytes.remove(key(key), fence(fence)).thenApply(this::value);
    }

    /** {@link #remove(Object, Object)} guarded by a lock's fence, as {@link #put(Object, Object, Fence)}. */
    public boolean remove(K key, V value, Fence fence) {
        return await(removeAsync(key, value, fence));
    }

    public CompletableFuture<Boolean> removeAsync(K key, V value, Fence fence) {
        return bytes.remove(key(key), val(value), fence(fence));
    }

    /** The present entries among {@code keys}, in the keys' order; one request per owning member. */
    public Map<K, V> getAll(Collection<? extends K> keys) {
        return await(getAllAsync(keys));
    }

    public CompletableFuture<Map<K, V>> getAllAsync(Collection<? extends K> keys) {
        List<K> ks = new ArrayList<>(keys);
        List<byte[]> encoded = ks.stream().map(this::key).toList();
        return bytes.getAll(encoded).thenApply(values -> {
            Map<K, V> out = new LinkedHashMap<>();
            for (int i = 0; i < ks.size(); i++) {
                if (values.get(i) != null) {
                    out.put(ks.get(i), value(values.get(i)));
                }
            }
            return out;
        });
    }

    /** Stores every entry; one request per owning member. */
    public void putAll(Map<? extends K, ? extends V> entries) {
        await(putAllAsync(entries));
    }

    public CompletableFuture<Void> putAllAsync(Map<? extends K, ? extends V> entries) {
        return setAll(entries, null);
    }

    /**
     * {@link #putAll} guarded by a lock's fence, checked by each key's partition: entries whose partition has seen a
     * higher fence are not written and the call fails with {@link dev.cairn.StaleFenceException}; the
     * other entries are written, since a batch spans partitions and is not atomic.
     */
    public void putAll(Map<? extends K, ? extends V> entries, Fence fence) {
        await(putAllAsync(entries, fence));
    }

    public CompletableFuture<Void> putAllAsync(Map<? extends K, ? extends V> entries, Fence fence) {
        return setAll(entries, fence(fence));
    }

    private CompletableFuture<Void> setAll(Map<? extends K, ? extends V> entries, Fence fence) {
        List<byte[]> keys = new ArrayList<>(entries.size());
        List<byte[]> values = new ArrayList<>(entries.size());
        entries.forEach((k, v) -> {
            keys.add(key(k));
            values.add(val(v));
        });
        return bytes.setAll(keys, values, fence);
    }

    /** Removes every key; returns how many were present. One request per owning member. */
    public int removeAll(Collection<? extends K> keys) {
        return await(removeAllAsync(keys));
    }

    public CompletableFuture<Integer> removeAllAsync(Collection<? extends K> keys) {
        return bytes.removeAll(keys.stream().map(this::key).toList());
    }

    /** {@link #removeAll} guarded by a lock's fence, checked per key as {@link #putAll(Map, Fence)}. */
    public int removeAll(Collection<? extends K> keys, Fence fence) {
        return await(removeAllAsync(keys, fence));
    }

    public CompletableFuture<Integer> removeAllAsync(Collection<? extends K> keys, Fence fence) {
        return bytes.removeAll(keys.stream().map(this::key).toList(), fence(fence));
    }

    /** Entries in the whole map; approximate while partitions move. */
    public long size() {
        return await(sizeAsync());
    }

    public CompletableFuture<Long> sizeAsync() {
        check();
        return bytes.size();
    }

    /** Removes every entry on every member; writes racing with it may survive. */
    public void clear() {
        await(clearAsync());
    }

    public CompletableFuture<Void> clearAsync() {
        check();
        return bytes.clear();
    }

    /**
     * Destroys the map on every member: every entry is removed and the map's off-heap stores and meters are freed on
     * every node. The handle stays usable: the next operation (on any member) makes the map anew, empty, as
     * Hazelcast's {@code IMap.destroy} does. Writes racing with it may survive, alike on every copy.
     */
    public void destroy() {
        await(destroyAsync());
    }

    public CompletableFuture<Void> destroyAsync() {
        check();
        return bytes.destroy();
    }

    // -- statistics (issue 15) -----------------------------------------------------------------------------------------

    /**
     * This node's statistics of the map: entries and off-heap bytes it holds, reads, hits and misses called here, hit
     * rate, writes, evictions and expirations it made as primary, hit and miss latency percentiles, compression. The
     * same figures are Micrometer meters in the grid's registry ({@code cairn.map.*}, tagged with the map).
     */
    public MapStats stats() {
        check();
        return bytes.stats();
    }

    /** Every member's statistics of the map, summed (latency percentiles of the merged distributions). */
    public MapStats clusterStats() {
        return await(clusterStatsAsync());
    }

    public CompletableFuture<MapStats> clusterStatsAsync() {
        check();
        return bytes.clusterStats();
    }

    /** Clears this node's counts and latencies of the map; the Micrometer meters run on. */
    public void resetStats() {
        check();
        bytes.resetStats();
    }

    // -- expiry (issue 15): a write's time to live and priority, and an entry's expiry afterwards --------------------

    /**
     * {@link #put} that makes the entry live {@code ttl} from now (then it is absent everywhere and reclaimed).
     *
     * @throws IllegalArgumentException for a time to live that is not positive (for never, use
     *                                  {@code EntryOptions.ttl(Duration.ZERO)} or {@link #persist})
     */
    public V put(K key, V value, Duration ttl) {
        return put(key, value, EntryOptions.ttl(positive(ttl)));
    }

    /** {@link #put} with the entry's time to live and priority ({@link EntryOptions}). */
    public V put(K key, V value, EntryOptions options) {
        return await(putAsync(key, value, options));
    }

    public CompletableFuture<V> putAsync(K key, V value, EntryOptions options) {
        return bytes.put(key(key), val(value), options(options)).thenApply(this::value);
    }

    /** {@link #set} for {@code ttl} from now (positive; see {@link #put(Object, Object, Duration)}). */
    public void set(K key, V value, Duration ttl) {
        set(key, value, EntryOptions.ttl(positive(ttl)));
    }

    public void set(K key, V value, EntryOptions options) {
        await(setAsync(key, value, options));
    }

    public CompletableFuture<Void> setAsync(K key, V value, EntryOptions options) {
        return bytes.set(key(key), val(value), options(options));
    }

    /**
     * {@link #putIfAbsent} whose entry, if it stores one, lives {@code ttl} from now: the SETNX-with-expiry idiom
     * (positive; see {@link #put(Object, Object, Duration)}).
     */
    public V putIfAbsent(K key, V value, Duration ttl) {
        return putIfAbsent(key, value, EntryOptions.ttl(positive(ttl)));
    }

    public V putIfAbsent(K key, V value, EntryOptions options) {
        return await(putIfAbsentAsync(key, value, options));
    }

    public CompletableFuture<V> putIfAbsentAsync(K key, V value, EntryOptions options) {
        return bytes.putIfAbsent(key(key), val(value), options(options)).thenApply(this::value);
    }

    /**
     * Makes the entry live {@code ttl} from now, whatever it had; whether the key was present.
     *
     * @throws IllegalArgumentException for a time to live that is not positive (use {@link #persist} for never)
     */
    public boolean expire(K key, Duration ttl) {
        return await(expireAsync(key, ttl));
    }

    public CompletableFuture<Boolean> expireAsync(K key, Duration ttl) {
        return bytes.expire(key(key), Math.max(1, positive(ttl).toMillis()));
    }

    /** The time the entry has left; empty when it has no time to live or is absent. */
    public java.util.Optional<Duration> ttl(K key) {
        return await(ttlAsync(key));
    }

    public CompletableFuture<java.util.Optional<Duration>> ttlAsync(K key) {
        return bytes.expiresAt(key(key)).thenApply(at -> at == null || at == 0 ? java.util.Optional.empty()
                : java.util.Optional.of(Duration.ofMillis(Math.max(0, at - grid.config().clock().epochMillis()))));
    }

    /** Makes the entry live for ever (drops its time to live); whether the key was present. */
    public boolean persist(K key) {
        return await(persistAsync(key));
    }

    public CompletableFuture<Boolean> persistAsync(K key) {
        return bytes.expire(key(key), 0);
    }

    private Duration positive(Duration ttl) {
        Objects.requireNonNull(ttl, () -> "ttl must not be null (map '" + name() + "')");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive (map '" + name() + "'), was " + ttl
                    + "; for an entry that never expires use persist, or EntryOptions.ttl(Duration.ZERO)");
        }
        return ttl;
    }

    private EntryOptions options(EntryOptions options) {
        return Objects.requireNonNull(options, () -> "options must not be null (map '" + name() + "')");
    }

    private byte[] key(K key) {
        check();
        return codec.encode(Objects.requireNonNull(key, () -> "key must not be null (map '" + name() + "')"));
    }

    private Fence fence(Fence fence) {
        return Objects.requireNonNull(fence, () -> "fence must not be null (map '" + name() + "'); use the unfenced call");
    }

    private byte[] val(V value) {
        return val(value, "value");
    }

    private byte[] val(V value, String argument) {
        return codec.encode(Objects.requireNonNull(value, () -> argument + " must not be null (map '" + name() + "')"));
    }

    @SuppressWarnings("unchecked")
    private V value(byte[] b) {
        return b == null ? null : (V) codec.decode(b);
    }

    private void check() {
        if (grid.isClosed()) {
            throw new GridClosedException("map '" + name() + "' belongs to node '" + grid.config().nodeName()
                    + "', which is closed");
        }
    }

    /** Waits a little longer than the request timeout: the operation itself gives up at that timeout. */
    private <T> T await(CompletableFuture<T> f) {
        return dev.cairn.membership.Futures.await(f, timeout.multipliedBy(2).plusSeconds(1), "map '" + name() + "'");
    }

    @Override
    public String toString() {
        return "GridMap[" + name() + "]";
    }
}
