package dev.cairn.partition;

import java.util.Arrays;
import java.util.HashMap;

/**
 * The keys of one partition whose latest write its primary has applied but not every backup has acknowledged yet
 * (issue 12, defect 9). Readers on the primary see such a key as it was at its last acknowledged write, so a write that
 * is then refused (a backup on a newer view answers stale, and the retry is refused at the new primary) is never seen,
 * and a value once read is never followed by an older one after a failover.
 *
 * <p>Guarded by its own monitor, not the replica's: an acknowledgement settles its key on the thread that received it
 * (a JGroups thread), which must not wait behind a writer holding the replica's monitor while it sends to the backups;
 * a reader and a writer take it inside the replica's monitor, never the other way round. Empty, it costs a read one
 * volatile read.
 */
final class Unacknowledged {
    /** What readers see of one key, and the writes to it still waiting for their acknowledgements. */
    private static final class Pending {
        StoredEntry visible;
        long latestVersion;
        int outstanding;
    }

    /** A key of one map: the maps of a replica group share this partition's record, not their keys. */
    private record Key(String map, byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && map.equals(k.map) && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return map.hashCode() * 31 + Arrays.hashCode(bytes);
        }
    }

    private final HashMap<Key, Pending> byKey = new HashMap<>();
    /** {@code byKey.size()}, for readers to skip the monitor when nothing is pending. */
    private volatile int pending;

    /**
     * A write of {@code key} at {@code version} was applied over {@code before}, the store's entry just before it.
     * Readers go on seeing what they saw: the last acknowledged entry while an earlier write still waits, else
     * {@code before}. Decided here, under this monitor, and not by the writer beforehand: an earlier write's
     * acknowledgement may settle the key in between, and the writer would then hide this write behind the entry that
     * earlier write replaced (the fault matrix read a key's removed value back after the remove was acknowledged,
     * while a set of the same key waited for its backups).
     */
    synchronized void applied(String map, byte[] key, StoredEntry before, long version) {
        Pending p = byKey.computeIfAbsent(new Key(map, key), k -> {
            Pending n = new Pending();
            n.visible = before;
            return n;
        });
        p.latestVersion = version;
        p.outstanding++;
        pending = byKey.size();
    }

    /** A retry's repair of {@code key} was sent to the backups: its acknowledgement settles the key. */
    synchronized boolean resent(String map, byte[] key) {
        Pending p = byKey.get(new Key(map, key));
        if (p != null) {
            p.outstanding++;
        }
        return p != null;
    }

    /**
     * Every backup acknowledged the write of {@code key} at {@code version} (or the repair that re-sent the key as
     * it stands, {@code version} then being the latest). Readers see {@code entry} from now on; once the latest
     * write is acknowledged the key reads from the store again.
     */
    synchronized void acknowledged(String map, byte[] key, long version, StoredEntry entry) {
        Key k = new Key(map, key);
        Pending p = byKey.get(k);
        if (p == null) {
            return;
        }
        p.outstanding--;
        if (version >= p.latestVersion) {
            byKey.remove(k);
            pending = byKey.size();
        } else {
            p.visible = entry;
        }
    }

    /** The write (or repair) of {@code key} was not acknowledged by every backup: the key stays as readers saw it. */
    synchronized void failed(String map, byte[] key) {
        Pending p = byKey.get(new Key(map, key));
        if (p != null) {
            p.outstanding--;
        }
    }

    /**
     * The entry readers see of {@code key}: its last acknowledged one (null: absent) while a later write waits for its
     * acknowledgements, else {@code stored}, the store's.
     */
    StoredEntry visibleOr(String map, byte[] key, StoredEntry stored) {
        if (pending == 0) {
            return stored;
        }
        synchronized (this) {
            Pending p = byKey.get(new Key(map, key));
            return p == null ? stored : p.visible;
        }
    }

    /**
     * Forgets every key: on a view change, where the partition's owners re-establish their copies from the freshest
     * one (which holds these writes), and on a drop.
     */
    synchronized void clear() {
        byKey.clear();
        pending = 0;
    }
}
