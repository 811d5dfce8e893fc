package dev.cairn.partition;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import dev.cairn.EntryOptions;
import dev.cairn.Fence;
import dev.cairn.MapOptions;
import dev.cairn.StaleFenceException;
import dev.cairn.ValueTooLargeException;

/**
 * One named map at the byte level, as grid-core's typed map uses it. Keys and values are serialized bytes; every
 * comparison is byte for byte. Every call returns at once with a future; see {@link PartitionService} for how the
 * operation reaches the key's primary and its backups.
 */
public final class ByteMap {
    private final Router router;
    private final WholeMap wholeMap;
    private final MapStores state;

    ByteMap(Router router, WholeMap wholeMap, MapStores state) {
        this.router = router;
        this.wholeMap = wholeMap;
        this.state = state;
    }

    public String name() {
        return state.name;
    }

    public MapOptions options() {
        return state.options;
    }

    /** The value, or null when absent. */
    public CompletableFuture<byte[]> get(byte[] key) {
        return op(Op.Get.INSTANCE, key, null).thenApply(this::returned);
    }

    public CompletableFuture<Boolean> containsKey(byte[] key) {
        return op(Op.Contains.INSTANCE, key, null).thenApply(Op.Decision::flag);
    }

    /** Stores the value; the previous value, or null. */
    public CompletableFuture<byte[]> put(byte[] key, byte[] value) {
        return op(new Op.Put(value(value)), key, null).thenApply(this::returned);
    }

    /** Stores the value without returning the previous one. */
    public CompletableFuture<Void> set(byte[] key, byte[] value) {
        return op(new Op.Set(value(value)), key, null).thenApply(d -> null);
    }

    /** Stores the value if the key is absent; the value already there, or null when this call stored it. */
    public CompletableFuture<byte[]> putIfAbsent(byte[] key, byte[] value) {
        return op(new Op.PutIfAbsent(value(value)), key, null).thenApply(this::returned);
    }

    /** {@link #put(byte[], byte[])} with the entry's time to live and priority. */
    public CompletableFuture<byte[]> put(byte[] key, byte[] value, EntryOptions options) {
        return op(new Op.Put(value(value), Objects.requireNonNull(options, "options")), key, null)
                .thenApply(this::returned);
    }

    /** {@link #set(byte[], byte[])} with the entry's time to live and priority. */
    public CompletableFuture<Void> set(byte[] key, byte[] value, EntryOptions options) {
        return op(new Op.Set(value(value), Objects.requireNonNull(options, "options")), key, null).thenApply(d -> null);
    }

    /** {@link #putIfAbsent(byte[], byte[])} with the time to live and priority of the entry it stores. */
    public CompletableFuture<byte[]> putIfAbsent(byte[] key, byte[] value, EntryOptions options) {
        return op(new Op.PutIfAbsent(value(value), Objects.requireNonNull(options, "options")), key, null)
                .thenApply(this::returned);
    }

    /**
     * Makes the entry live {@code ttlMillis} from now (more than 0), or for ever (0); whether the key was present.
     *
     * @throws IllegalArgumentException for a negative time
     */
    public CompletableFuture<Boolean> expire(byte[] key, long ttlMillis) {
        if (ttlMillis < 0) {
            throw new IllegalArgumentException("map '" + state.name + "': a time to live must be 0 (for ever) or"
                    + " positive, was " + ttlMillis + " ms");
        }
        return op(new Op.Expire(ttlMillis), key, null).thenApply(Op.Decision::flag);
    }

    /** When the entry expires, in the clock's epoch milliseconds: 0 for never, null when absent. */
    public CompletableFuture<Long> expiresAt(byte[] key) {
        return op(Op.ExpiresAt.INSTANCE, key, null)
                .thenApply(d -> d.returned() == null ? null : java.nio.ByteBuffer.wrap(d.returned()).getLong());
    }

    /** Replaces the value if the key is present; the previous value, or null when absent (nothing stored). */
    public CompletableFuture<byte[]> replace(byte[] key, byte[] value) {
        return op(new Op.Replace(value(value)), key, null).thenApply(this::returned);
    }

    /** Replaces the value if it equals {@code expected} byte for byte; whether it did. */
    public CompletableFuture<Boolean> replace(byte[] key, byte[] expected, byte[] value) {
        Objects.requireNonNull(expected, "expected");
        return op(new Op.ReplaceIfEquals(value(expected), value(value)), key, null).thenApply(Op.Decision::flag);
    }

    /** Removes the key; the previous value, or null. */
    public CompletableFuture<byte[]> remove(byte[] key) {
        return op(Op.Remove.INSTANCE, key, null).thenApply(this::returned);
    }

    /** Removes the key if its value equals {@code expected} byte for byte; whether it did. */
    public CompletableFuture<Boolean> remove(byte[] key, byte[] expected) {
        Objects.requireNonNull(expected, "expected");
        return op(new Op.RemoveIfEquals(value(expected)), key, null).thenApply(Op.Decision::flag);
    }

    /** {@link #put} that carries a lock's fence; fails with {@link StaleFenceException} if a higher one was seen. */
    public CompletableFuture<byte[]> put(byte[] key, byte[] value, Fence fence) {
        return fenced(new Op.Put(value(value)), key, fence).thenApply(this::returned);
    }

    /** {@link #set} that carries a lock's fence. */
    public CompletableFuture<Void> set(byte[] key, byte[] value, Fence fence) {
        return fenced(new Op.Set(value(value)), key, fence).thenApply(d -> null);
    }

    /** {@link #putIfAbsent} that carries a lock's fence (raised even when the key was present). */
    public CompletableFuture<byte[]> putIfAbsent(byte[] key, byte[] value, Fence fence) {
        return fenced(new Op.PutIfAbsent(value(value)), key, fence).thenApply(this::returned);
    }

    /** {@link #replace(byte[], byte[])} that carries a lock's fence. */
    public CompletableFuture<byte[]> replace(byte[] key, byte[] value, Fence fence) {
        return fenced(new Op.Replace(value(value)), key, fence).thenApply(this::returned);
    }

    /** {@link #replace(byte[], byte[], byte[])} that carries a lock's fence. */
    public CompletableFuture<Boolean> replace(byte[] key, byte[] expected, byte[] value, Fence fence) {
        Objects.requireNonNull(expected, "expected");
        return fenced(new Op.ReplaceIfEquals(value(expected), value(value)), key, fence).thenApply(Op.Decision::flag);
    }

    /** {@link #remove(byte[])} that carries a lock's fence. */
    public CompletableFuture<byte[]> remove(byte[] key, Fence fence) {
        return fenced(Op.Remove.INSTANCE, key, fence).thenApply(this::returned);
    }

    /** {@link #remove(byte[], byte[])} that carries a lock's fence. */
    public CompletableFuture<Boolean> remove(byte[] key, byte[] expected, Fence fence) {
        Objects.requireNonNull(expected, "expected");
        return fenced(new Op.RemoveIfEquals(value(expected)), key, fence).thenApply(Op.Decision::flag);
    }

    private CompletableFuture<Op.Decision> fenced(Op op, byte[] key, Fence fence) {
        return op(op, key, Objects.requireNonNull(fence, "fence"));
    }

    /** The values of many keys, in key order (null where absent), one request per primary. */
    public CompletableFuture<List<byte[]>> getAll(List<byte[]> keys) {
        keys.forEach(k -> Objects.requireNonNull(k, "key"));
        return router.invokeAll(state, keys, java.util.Collections.nCopies(keys.size(), Op.Get.INSTANCE), null)
                .thenApply(ds -> ds.stream().map(this::returned).toList());
    }

    /** Stores many entries, one request per primary. */
    public CompletableFuture<Void> setAll(List<byte[]> keys, List<byte[]> values) {
        return setAll(keys, values, null);
    }

    /**
     * {@link #setAll(List, List)} carrying a lock's fence (null for none). Each key's partition checks it: entries whose
     * partition has seen a higher fence are not written and the call fails with {@link StaleFenceException}; the
     * others are written (a batch spans partitions and is not atomic).
     */
    public CompletableFuture<Void> setAll(List<byte[]> keys, List<byte[]> values, Fence fence) {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException("keys and values must pair up but there are " + keys.size() + " keys and "
                    + values.size() + " values");
        }
        keys.forEach(k -> Objects.requireNonNull(k, "key"));
        List<Op> ops = values.stream().<Op>map(v -> new Op.Set(value(v))).toList();
        return router.invokeAll(state, keys, ops, fence).thenApply(ds -> null);
    }

    /** Removes many keys, one request per primary; how many were present. */
    public CompletableFuture<Integer> removeAll(List<byte[]> keys) {
        return removeAll(keys, null);
    }

    /** {@link #removeAll(List)} carrying a lock's fence (null for none), checked per key as {@link #setAll}. */
    public CompletableFuture<Integer> removeAll(List<byte[]> keys, Fence fence) {
        keys.forEach(k -> Objects.requireNonNull(k, "key"));
        return router.invokeAll(state, keys, java.util.Collections.nCopies(keys.size(), Op.Remove.INSTANCE), fence)
                .thenApply(ds -> (int) ds.stream().filter(Op.Decision::flag).count());
    }

    /** This node's statistics of the map (issue 15). */
    public dev.cairn.MapStats stats() {
        return wholeMap.localStats(state);
    }

    /** Every member's statistics of the map, summed; latencies merged. */
    public CompletableFuture<dev.cairn.MapStats> clusterStats() {
        return wholeMap.clusterStats(state);
    }

    /** Clears this node's counts and latencies of the map (entries and bytes are as they stand). */
    public void resetStats() {
        state.metrics.reset();
    }

    /** Entries in the whole map, summed over the members' primaries; approximate while partitions move. */
    public CompletableFuture<Long> size() {
        return wholeMap.size(state);
    }

    /** Removes every entry on every member. Writes racing with it may survive. */
    public CompletableFuture<Void> clear() {
        return wholeMap.clear(state);
    }

    /**
     * Destroys the map on every member: its entries are removed and its stores and meters freed. This handle (and any
     * other of the name) stays usable: the next operation makes the map anew, empty. Writes racing with it may
     * survive, on every copy alike.
     */
    public CompletableFuture<Void> destroy() {
        return wholeMap.destroy(state);
    }

    private CompletableFuture<Op.Decision> op(Op op, byte[] key, Fence fence) {
        Objects.requireNonNull(key, "key");
        return router.invoke(state, op, key, fence);
    }

    /**
     * A value as it is sent: checked, and packed for a map that compresses ({@link Compression}).
     *
     * @throws ValueTooLargeException if it is larger than the map takes, before anything is sent
     */
    private byte[] value(byte[] value) {
        Objects.requireNonNull(value, "value");
        if (value.length > state.options.maxValueBytes()) {
            throw new ValueTooLargeException("A value of " + value.length + " bytes is larger than map '" + state.name
                    + "' takes, at most " + state.options.maxValueBytes() + " bytes (MapOptions.withMaxValueBytes):"
                    + " nothing was written");
        }
        return state.compression == null ? value : state.compression.pack(value);
    }

    /** A value as the caller gets it back. */
    private byte[] returned(Op.Decision d) {
        return state.compression == null ? d.returned() : state.compression.unpack(d.returned());
    }
}
