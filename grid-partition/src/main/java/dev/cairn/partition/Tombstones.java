package dev.cairn.partition;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

import dev.cairn.membership.Wire;

/**
 * The keys of one partition removed while members were missing from the view, per map, with when (issue 13, decision
 * 67): what a side removed during a split, so the merge at the heal can tell a key it removed from one the other side
 * added, and a removed key does not come back unless the map's {@link dev.cairn.MergePolicy} says so. Kept on every
 * copy (the backups record them from the primary's removes), carried with the partition when it moves, forgotten once
 * a view misses nobody and the partition is merged. Held on the heap: a split's removes, not the map. Guarded by the
 * replica's monitor.
 */
final class Tombstones {
    private final Map<String, Map<ByteBuffer, Long>> removedAt = new HashMap<>();

    /** Records that {@code key} of {@code map} was removed at {@code writtenAt} (see {@link StoredEntry#writtenAt}). */
    void removed(String map, byte[] key, long writtenAt) {
        removedAt.computeIfAbsent(map, m -> new HashMap<>()).put(ByteBuffer.wrap(key), writtenAt);
    }

    /** {@code key} of {@code map} was written again: it is no longer removed. */
    void written(String map, byte[] key) {
        Map<ByteBuffer, Long> keys = removedAt.get(map);
        if (keys != null) {
            keys.remove(ByteBuffer.wrap(key));
        }
    }

    /** When {@code key} of {@code map} was removed, or {@code -1} when it has no tombstone. */
    long removedAt(String map, byte[] key) {
        Map<ByteBuffer, Long> keys = removedAt.get(map);
        Long at = keys == null ? null : keys.get(ByteBuffer.wrap(key));
        return at == null ? -1 : at;
    }

    /** Hands {@code action} each tombstone of {@code map}: the key and when it was removed. */
    void forEach(String map, BiConsumer<byte[], Long> action) {
        Map<ByteBuffer, Long> keys = removedAt.get(map);
        if (keys != null) {
            keys.forEach((k, at) -> action.accept(k.array(), at));
        }
    }

    /** How many tombstones the partition holds, over every map. */
    int size() {
        return removedAt.values().stream().mapToInt(Map::size).sum();
    }

    /** The maps this partition holds tombstones of. */
    Set<String> maps() {
        return removedAt.keySet();
    }

    /** Moves every tombstone of {@code other} here (the later removal of a key wins), leaving {@code other} empty. */
    void take(Tombstones other) {
        other.removedAt.forEach((map, keys) -> {
            Map<ByteBuffer, Long> mine = removedAt.computeIfAbsent(map, m -> new HashMap<>());
            keys.forEach((k, at) -> mine.merge(k, at, Math::max));
        });
        other.removedAt.clear();
    }

    void clear() {
        removedAt.clear();
    }

    void clear(String map) {
        removedAt.remove(map);
    }

    void write(Wire.Out out) {
        out.i32(removedAt.size());
        removedAt.forEach((map, keys) -> {
            out.str(map).i32(keys.size());
            keys.forEach((k, at) -> out.bytes(k.array()).i64(at));
        });
    }

    /** Adds what {@link #write} wrote: the later removal of each key wins. */
    void merge(Wire.In in) {
        for (int maps = in.count(); maps > 0; maps--) {
            Map<ByteBuffer, Long> keys = removedAt.computeIfAbsent(in.str(), m -> new HashMap<>());
            for (int n = in.count(); n > 0; n--) {
                keys.merge(ByteBuffer.wrap(in.bytes()), in.i64(), Math::max);
            }
        }
    }
}
