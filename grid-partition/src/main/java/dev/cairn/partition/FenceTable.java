package dev.cairn.partition;

import java.util.TreeMap;

import dev.cairn.Fence;
import dev.cairn.membership.Wire;

/**
 * The highest fence seen per lock for the writes to one partition (DESIGN.md decision 6), replicated with the writes
 * and carried with the partition when it moves. Guarded by the replica's monitor.
 */
final class FenceTable {
    private final TreeMap<String, Long> highest = new TreeMap<>();

    /** Why {@code fence} is refused in partition {@code p} of {@code map}, or null when it may write. */
    String refusal(Fence fence, String map, int p) {
        Long seen = highest.get(fence.lock());
        if (seen != null && fence.token() < seen) {
            return "map '" + map + "': fence " + fence.token() + " of lock '" + fence.lock() + "' is below " + seen
                    + ", already seen by partition " + p + "; the lock has had a newer holder, nothing was written";
        }
        return null;
    }

    /** Raises the lock's fence to {@code fence}'s token; whether it rose. */
    boolean raise(Fence fence) {
        Long seen = highest.get(fence.lock());
        if (seen != null && seen >= fence.token()) {
            return false;
        }
        highest.put(fence.lock(), fence.token());
        return true;
    }

    void write(Wire.Out out) {
        out.i32(highest.size());
        highest.forEach((lock, token) -> out.str(lock).i64(token));
    }

    /** Merges what {@link #write} wrote: the higher token of each lock wins. */
    void merge(Wire.In in) {
        for (int n = in.count(); n > 0; n--) {
            highest.merge(in.str(), in.i64(), Math::max);
        }
    }

    long get(String lock) {
        return highest.getOrDefault(lock, 0L);
    }
}
