package dev.cairn.partition;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/** Temporary on-heap stand-in with the store's API; replaced by the Chronicle Map store. */
final class PartitionStore implements AutoCloseable {
    private final ConcurrentHashMap<ByteBuffer, StoredEntry> map = new ConcurrentHashMap<>();

    static PartitionStore create(String mapName, int partition, int partitionCount, StoreSizing sizing) {
        return new PartitionStore();
    }

    StoredEntry get(byte[] key) {
        return map.get(ByteBuffer.wrap(key));
    }

    void put(byte[] key, StoredEntry entry) {
        map.put(ByteBuffer.wrap(key.clone()), entry);
    }

    StoredEntry remove(byte[] key) {
        return map.remove(ByteBuffer.wrap(key));
    }

    boolean containsKey(byte[] key) {
        return map.containsKey(ByteBuffer.wrap(key));
    }

    long size() {
        return map.size();
    }

    long offHeapBytes() {
        return 0;
    }

    void forEach(BiConsumer<byte[], StoredEntry> action) {
        map.forEach((k, v) -> action.accept(k.array(), v));
    }

    void clear() {
        map.clear();
    }

    @Override
    public void close() {
        map.clear();
    }
}
