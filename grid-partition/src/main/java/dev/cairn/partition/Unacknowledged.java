package dev.cairn.partition;

import java.util.Arrays;
import java.util.HashMap;

/**
 * The keys of one partition whose latest write its primary has applied but not every backup has acknowledged yet
 * (issue 12, defect 9). Readers on the primary see such a key as it was at its last acknowledged write, so a write that
 * is then refused (a backup on a newer view answers stale, and the retry is refused at the new primary) is never seen,
 * and a value once read is never followed by an older one after a failover. Guarded by the replica's monitor; empty,
 * it costs a read one {@code isEmpty()}.
 */
final class Unacknowledged {
    /** What readers see of one key, and the writes to it still waiting for their acknowledgements. */
    private static final class Pending {
        StoredEntry visible;
        long latestVersion;
        int outstanding;
    }

    private record Key(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    private final HashMap<Key, Pending> byKey = new HashMap<>();

    /** A write of {@code key} at {@code version} was applied; {@code before} is what readers saw until now. */
    void applied(byte[] key, StoredEntry before, long version) {
        Pending p = byKey.computeIfAbsent(new Key(key), k -> {
            Pending n = new Pending();
            n.visible = before;
            return n;
        });
        p.latestVersion = version;
        p.outstanding++;
    }

    /** A retry's repair of {@code key} was sent to the backups: its acknowledgement settles the key. */
    boolean resent(byte[] key) {
        Pending p = byKey.get(new Key(key));
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
    void acknowledged(byte[] key, long version, StoredEntry entry) {
        Key k = new Key(key);
        Pending p = byKey.get(k);
        if (p == null) {
            return;
        }
        p.outstanding--;
        if (version >= p.latestVersion) {
            byKey.remove(k);
        } else {
            p.visible = entry;
        }
    }

    /** The write (or repair) of {@code key} was not acknowledged by every backup: the key stays as readers saw it. */
    void failed(byte[] key) {
        Pending p = byKey.get(new Key(key));
        if (p != null) {
            p.outstanding--;
        }
    }

    /**
     * The entry readers see of {@code key}: its last acknowledged one (null: absent) while a later write waits for its
     * acknowledgements, else {@code stored}, the store's.
     */
    StoredEntry visibleOr(byte[] key, StoredEntry stored) {
        if (byKey.isEmpty()) {
            return stored;
        }
        Pending p = byKey.get(new Key(key));
        return p == null ? stored : p.visible;
    }

    /**
     * Forgets every key: on a view change, where the partition's owners re-establish their copies from the freshest
     * one (which holds these writes), and on a drop.
     */
    void clear() {
        byKey.clear();
    }
}
