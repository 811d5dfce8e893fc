package dev.cairn.partition;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.GridClosedException;

/**
 * Reclaims expired entries in small steps (issue 15): on each step a node looks through the next few partitions it is
 * primary for, of the maps whose entries may expire ({@link MapStores#expiring}), reading headers only and without the
 * partition's monitor, then removes each expired key under the monitor, as a write of its own that its backups apply
 * (so a backup never sweeps, and holds what its primary holds). Expired entries are absent to every reader before this
 * reclaims them ({@link Expiration}); this only frees their room. In a map with max idle, whose stores it reads every
 * half of the max idle, it also sends the backups the access record of each key read since its last look
 * ({@link PrimaryPath#touch}): a backup's copy is then at most that far behind its primary's, so an entry read more
 * often than every half of its max idle lives on through a failover. Runs on the partition thread.
 */
final class Expirer {
    private static final Logger log = LoggerFactory.getLogger(Expirer.class);
    /** Entries read per step, at most (a partition is always read whole). */
    static final int ENTRIES_PER_STEP = 4_096;
    /** How often a step runs. */
    static final long STEP_MILLIS = 100;

    private final Engine engine;
    private final PrimaryPath primary;
    /** Where the next step starts: a partition number, over every replica group in turn. */
    private int cursor;

    Expirer(Engine engine, PrimaryPath primary) {
        this.engine = engine;
        this.primary = primary;
    }

    private static long lastRead(MapStores m, int p) {
        return m.sweptAt[p];
    }

    /** One step of the sweep. */
    void step() {
        Topology t = engine.topology;
        if (t == null || engine.closed || engine.leaving) {
            return;
        }
        List<MapStores> maps = new ArrayList<>();
        for (MapStores m : engine.maps.values()) {
            if (m.expiring && !m.destroyed) {
                maps.add(m);
            }
        }
        if (maps.isEmpty()) {
            return;
        }
        long now = engine.clock.epochMillis();
        int scanned = 0;
        for (int seen = 0; seen < engine.partitionCount && scanned < ENTRIES_PER_STEP; seen++) {
            int p = cursor;
            cursor = (cursor + 1) % engine.partitionCount;
            for (MapStores m : maps) {
                PartitionStore store = m.stores[p];
                if (store == null || !t.isPrimary(m.group.backups, p)) {
                    continue;
                }
                // nothing here can have expired yet: no expiry has come, and no entry can have idled out since the
                // last read of the store (a max-idle map's stores are read every half of its max idle)
                long earliest = store.earliestExpiry();
                long writes = store.expiringWrites();
                boolean idleDue = m.maxIdleMillis > 0 && now - lastRead(m, p) >= m.maxIdleMillis / 2;
                if (earliest > now && !idleDue) {
                    continue;
                }
                List<byte[]> expired = new ArrayList<>();
                List<byte[]> read = new ArrayList<>();
                List<Long> reads = new ArrayList<>();
                long since = lastRead(m, p); // (a read in the very millisecond of the last look is sent again: harmless)
                int[] entries = {0};
                long[] next = {Long.MAX_VALUE};
                try {
                    store.forEachHeader((key, expiresAt, writtenAt, access, bytes) -> {
                        entries[0]++;
                        long accessedAt = Access.accessedAt(access);
                        if ((expiresAt != 0 && expiresAt <= now) || (m.maxIdleMillis > 0
                                && Math.max(accessedAt, writtenAt) + m.maxIdleMillis <= now)) {
                            expired.add(key);
                            return;
                        }
                        if (expiresAt != 0) {
                            next[0] = Math.min(next[0], expiresAt);
                        }
                        if (m.maxIdleMillis > 0 && accessedAt > writtenAt && accessedAt >= since) {
                            read.add(key); // read since the last look: the backups hear of it
                            reads.add(access);
                        }
                    });
                } catch (GridClosedException e) {
                    continue; // the store moved or the map was destroyed meanwhile: its new primary sweeps it
                }
                store.sweptTo(earliest, writes, next[0]);
                if (m.maxIdleMillis > 0) {
                    m.sweptAt[p] = now;
                }
                scanned += entries[0];
                for (byte[] key : expired) {
                    primary.expire(m, p, key);
                }
                for (int i = 0; i < read.size(); i++) {
                    primary.touch(m, p, read.get(i), reads.get(i));
                }
                if (!expired.isEmpty()) {
                    log.debug("{}: partition {} of map '{}': {} expired entries reclaimed", engine.self, p, m.name,
                            expired.size());
                }
            }
        }
    }
}
