package dev.cairn.partition;

import java.util.concurrent.CompletableFuture;

/**
 * Operations over a whole map rather than one key: its size (summed over every member's primaries) and clearing it
 * on every member.
 */
final class WholeMap {
    private final Engine engine;
    private final Router router;

    WholeMap(Engine engine, Router router) {
        this.engine = engine;
        this.router = router;
    }

    /** Sum of every member's primary entries. Approximate while partitions move. */
    CompletableFuture<Long> size(MapStores m) {
        return router.allMembers(Messages.MAP_SIZE, new Wire.Out(64).str(m.name).toArray())
                .thenApply(replies -> replies.stream().mapToLong(r -> new Wire.In(r).i64()).sum());
    }

    /** Clears the map on every member. Writes racing with the clear may survive it. */
    CompletableFuture<Void> clear(MapStores m) {
        return router.allMembers(Messages.MAP_CLEAR, new Wire.Out(64).str(m.name).toArray()).thenApply(r -> null);
    }

    byte[] onSize(byte[] payload) {
        return new Wire.Out(16).i64(engine.localEntries(new Wire.In(payload).str(), true)).toArray();
    }

    byte[] onClear(byte[] payload) {
        MapStores m = engine.map(new Wire.In(payload).str());
        for (Replica r : m.group.replicas) {
            synchronized (r) {
                if (m.stores[r.id] != null) {
                    m.stores[r.id].clear();
                }
                PartitionStore incoming = r.incoming == null ? null : r.incoming.get(m.name);
                if (incoming != null) {
                    incoming.clear(); // a snapshot being received would otherwise bring the entries back
                }
            }
        }
        return Status.OK.reply();
    }
}
