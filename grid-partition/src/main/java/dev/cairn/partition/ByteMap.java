package dev.cairn.partition;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One named map at the byte level, as grid-core's typed map uses it. Keys and values are serialized bytes; every
 * comparison is byte for byte. Every call returns at once with a future; see {@link PartitionService} for how the
 * operation reaches the key's primary and its backups.
 */
public final class ByteMap {
    private final PartitionService service;
    private final PartitionService.MapState state;

    ByteMap(PartitionService service, PartitionService.MapState state) {
        this.service = service;
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
        return op(MapOp.GET, key, null, null).thenApply(MapOp.Decision::returned);
    }

    public CompletableFuture<Boolean> containsKey(byte[] key) {
        return op(MapOp.CONTAINS, key, null, null).thenApply(MapOp.Decision::flag);
    }

    /** Stores the value; the previous value, or null. */
    public CompletableFuture<byte[]> put(byte[] key, byte[] value) {
        return op(MapOp.PUT, key, value(value), null).thenApply(MapOp.Decision::returned);
    }

    /** Stores the value without returning the previous one. */
    public CompletableFuture<Void> set(byte[] key, byte[] value) {
        return op(MapOp.SET, key, value(value), null).thenApply(d -> null);
    }

    /** Stores the value if the key is absent; the value already there, or null when this call stored it. */
    public CompletableFuture<byte[]> putIfAbsent(byte[] key, byte[] value) {
        return op(MapOp.PUT_IF_ABSENT, key, value(value), null).thenApply(MapOp.Decision::returned);
    }

    /** Replaces the value if the key is present; the previous value, or null when absent (nothing stored). */
    public CompletableFuture<byte[]> replace(byte[] key, byte[] value) {
        return op(MapOp.REPLACE, key, value(value), null).thenApply(MapOp.Decision::returned);
    }

    /** Replaces the value if it equals {@code expected} byte for byte; whether it did. */
    public CompletableFuture<Boolean> replace(byte[] key, byte[] expected, byte[] value) {
        Objects.requireNonNull(expected, "expected");
        return op(MapOp.REPLACE_IF_EQUALS, key, value(value), expected).thenApply(MapOp.Decision::flag);
    }

    /** Removes the key; the previous value, or null. */
    public CompletableFuture<byte[]> remove(byte[] key) {
        return op(MapOp.REMOVE, key, null, null).thenApply(MapOp.Decision::returned);
    }

    /** Removes the key if its value equals {@code expected} byte for byte; whether it did. */
    public CompletableFuture<Boolean> remove(byte[] key, byte[] expected) {
        Objects.requireNonNull(expected, "expected");
        return op(MapOp.REMOVE_IF_EQUALS, key, null, expected).thenApply(MapOp.Decision::flag);
    }

    /** {@link #put} that carries a lock's fence; fails with {@link StaleFenceException} if a higher one was seen. */
    public CompletableFuture<byte[]> put(byte[] key, byte[] value, Fence fence) {
        return fenced(MapOp.PUT, key, value(value), null, fence).thenApply(MapOp.Decision::returned);
    }

    /** {@link #set} that carries a lock's fence. */
    public CompletableFuture<Void> set(byte[] key, byte[] value, Fence fence) {
        return fenced(MapOp.SET, key, value(value), null, fence).thenApply(d -> null);
    }

    /** {@link #putIfAbsent} that carries a lock's fence (raised even when the key was present). */
    public CompletableFuture<byte[]> putIfAbsent(byte[] key, byte[] value, Fence fence) {
        return fenced(MapOp.PUT_IF_ABSENT, key, value(value), null, fence).thenApply(MapOp.Decision::returned);
    }

    /** {@link #replace(byte[], byte[])} that carries a lock's fence. */
    public CompletableFuture<byte[]> replace(byte[] key, byte[] value, Fence fence) {
        return fenced(MapOp.REPLACE, key, value(value), null, fence).thenApply(MapOp.Decision::returned);
    }

    /** {@link #replace(byte[], byte[], byte[])} that carries a lock's fence. */
    public CompletableFuture<Boolean> replace(byte[] key, byte[] expected, byte[] value, Fence fence) {
        Objects.requireNonNull(expected, "expected");
        return fenced(MapOp.REPLACE_IF_EQUALS, key, value(value), expected, fence).thenApply(MapOp.Decision::flag);
    }

    /** {@link #remove(byte[])} that carries a lock's fence. */
    public CompletableFuture<byte[]> remove(byte[] key, Fence fence) {
        return fenced(MapOp.REMOVE, key, null, null, fence).thenApply(MapOp.Decision::returned);
    }

    /** {@link #remove(byte[], byte[])} that carries a lock's fence. */
    public CompletableFuture<Boolean> remove(byte[] key, byte[] expected, Fence fence) {
        Objects.requireNonNull(expected, "expected");
        return fenced(MapOp.REMOVE_IF_EQUALS, key, null, expected, fence).thenApply(MapOp.Decision::flag);
    }

    private CompletableFuture<MapOp.Decision> fenced(MapOp op, byte[] key, byte[] value, byte[] expected, Fence fence) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fence, "fence");
        return service.invoke(state, op, key, value, expected, fence);
    }

    /** The values of many keys, in key order (null where absent), one request per primary. */
    public CompletableFuture<List<byte[]>> getAll(List<byte[]> keys) {
        keys.forEach(k -> Objects.requireNonNull(k, "key"));
        return service.invokeAll(state, MapOp.GET, keys, null, null)
                .thenApply(ds -> ds.stream().map(MapOp.Decision::returned).toList());
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
        values.forEach(ByteMap::value);
        return service.invokeAll(state, MapOp.SET, keys, values, fence).thenApply(ds -> null);
    }

    /** Removes many keys, one request per primary; how many were present. */
    public CompletableFuture<Integer> removeAll(List<byte[]> keys) {
        return removeAll(keys, null);
    }

    /** {@link #removeAll(List)} carrying a lock's fence (null for none), checked per key as {@link #setAll}. */
    public CompletableFuture<Integer> removeAll(List<byte[]> keys, Fence fence) {
        keys.forEach(k -> Objects.requireNonNull(k, "key"));
        return service.invokeAll(state, MapOp.REMOVE, keys, null, fence)
                .thenApply(ds -> (int) ds.stream().filter(MapOp.Decision::flag).count());
    }

    /** Entries in the whole map, summed over the members' primaries; approximate while partitions move. */
    public CompletableFuture<Long> size() {
        return service.size(state);
    }

    /** Removes every entry on every member. Writes racing with it may survive. */
    public CompletableFuture<Void> clear() {
        return service.clear(state);
    }

    private CompletableFuture<MapOp.Decision> op(MapOp op, byte[] key, byte[] value, byte[] expected) {
        Objects.requireNonNull(key, "key");
        return service.invoke(state, op, key, value, expected);
    }

    private static byte[] value(byte[] value) {
        return Objects.requireNonNull(value, "value");
    }
}
