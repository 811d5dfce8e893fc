package dev.cairn.partition;

import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.StoreFullException;
import dev.cairn.membership.Member;
import dev.cairn.membership.Status;

/**
 * A backup applying its primary's writes (decisions 14, 15 and 33): only from the primary of its own current view,
 * in the order sent, with the write's outcome recorded by invocation id, and acknowledged only once this node holds
 * the partition.
 */
final class BackupPath {
    private static final Logger log = LoggerFactory.getLogger(BackupPath.class);

    private final Engine engine;

    BackupPath(Engine engine) {
        this.engine = engine;
    }

    CompletableFuture<byte[]> onBackup(Member from, byte[] payload) {
        Messages.BackupWrite w;
        try {
            w = Messages.BackupWrite.decode(payload);
        } catch (IllegalArgumentException e) {
            log.warn("{}: malformed backup write from {}: {}", engine.self, from, e.getMessage());
            return CompletableFuture.completedFuture(Status.MALFORMED.reply());
        }
        MapStores looked = engine.map(w.map());
        int p = w.partition();
        Replica r = looked.group.replica(p);
        synchronized (r) {
            MapStores m = engine.current(looked); // destroyed since the look-up: its successor has the same replicas
            Topology t = engine.topology;
            if (t == null || t.key != w.viewKey() || !from.equals(t.primary(m.group.backups, p)) || engine.leaving) {
                // (a leaving node has handed its copies to the next view's owners: a write it took now would miss them)
                return CompletableFuture.completedFuture(Status.STALE.reply());
            }
            if (w.fence() != null) {
                r.fences.raise(w.fence());
            }
            if (w.kind() == Messages.BackupKind.FENCE_ONLY) {
                return CompletableFuture.completedFuture(Status.OK.reply()); // fences live beside the copy
            }
            boolean free = w.kind() == Messages.BackupKind.FREE;
            PartitionStore target; // (null when freeing the store)
            CompletableFuture<byte[]> reply;
            if (r.state == Replica.State.COMPLETE) {
                target = free ? null : m.store(p);
                reply = null;
            } else {
                // not held yet: the snapshot this node pulls from the same primary is sent after this write, so it
                // includes it; the primary hears OK once that snapshot is installed (or STALE if it never is)
                reply = new CompletableFuture<>();
                r.awaitingCopy.add(new Replica.PendingBackup(from, reply));
                if (r.incoming == null || !from.equals(r.incomingFrom)) {
                    return reply; // the snapshot brings the write, and the primary's record of its outcome
                }
                // the snapshot is arriving: this write came after its start, so it goes on top of it
                target = free ? null : r.incoming.computeIfAbsent(m.name, n -> m.newStore(p));
            }
            StoredEntry previous = w.outcome() == Messages.OutcomeMode.PREVIOUS_VALUE ? target.get(w.key()) : null;
            try {
                if (free) {
                    if (reply == null) {
                        m.closeStore(p);
                    } else if (r.incoming.containsKey(m.name)) {
                        r.incoming.remove(m.name).close();
                    }
                } else if (w.kind() == Messages.BackupKind.CLEAR) {
                    target.clear();
                } else if (w.kind() == Messages.BackupKind.ACCESS) {
                    target.touch(w.key(), w.entry().access());
                } else if (w.kind() == Messages.BackupKind.REMOVE) {
                    target.remove(w.key());
                    if (engine.membersMissing) {
                        r.tombstones.removed(m.name, w.key(), w.entry().writtenAt());
                    }
                } else {
                    target.put(w.key(), w.entry());
                    m.stored(w.entry());
                    r.tombstones.written(m.name, w.key());
                }
            } catch (StoreFullException | IllegalArgumentException e) {
                log.error("{}: backup of map '{}' partition {} has no room; the backup copy misses a write: {}",
                        engine.self, m.name, p, e.getMessage());
                if (reply != null) {
                    r.awaitingCopy.removeIf(a -> a.reply() == reply);
                }
                return CompletableFuture.completedFuture(Status.FULL.reply());
            }
            recordOutcome(r, w, previous);
            if (reply == null) {
                r.version = Math.max(r.version, w.version());
                r.changeSeq = Math.max(r.changeSeq, w.changeSeq());
                return CompletableFuture.completedFuture(Status.OK.reply());
            }
            r.incomingVersion = Math.max(r.incomingVersion, w.version());
            r.incomingChangeSeq = Math.max(r.incomingChangeSeq, w.changeSeq());
            return reply;
        }
    }

    /**
     * The primary says this copy missed a write (an asynchronous backup that answered stale or had no room): it
     * serves nothing from it until it has pulled the partition afresh, keeping it meanwhile as a candidate.
     */
    byte[] onResync(Member from, byte[] payload) {
        Messages.Resync q;
        try {
            q = Messages.Resync.decode(payload);
        } catch (IllegalArgumentException e) {
            return Status.MALFORMED.reply();
        }
        Replica r = engine.replica(q.backups(), q.partition());
        if (r == null) {
            return Status.MALFORMED.reply();
        }
        synchronized (r) {
            Topology t = engine.topology;
            if (t != null && t.key == q.viewKey() && from.equals(t.primary(q.backups(), q.partition()))
                    && r.state == Replica.State.COMPLETE) {
                log.debug("{}: partition {}/{} missed a write from {}; pulling it afresh", engine.self, r.id,
                        q.backups(), from);
                r.state = Replica.State.KEPT;
                r.expectedPush = 0;
            }
        }
        return Status.OK.reply();
    }

    /**
     * Records the write's outcome as the primary did: its value is this copy's previous value when the operation
     * returns it (this copy is the primary's, write for write), or as sent for a repair.
     */
    private void recordOutcome(Replica r, Messages.BackupWrite w, StoredEntry previous) {
        if (w.id() == null) {
            return;
        }
        byte[] returned = switch (w.outcome()) {
            case PREVIOUS_VALUE -> previous == null ? null : previous.value();
            case SENT -> w.returned();
            default -> null;
        };
        r.outcomes.record(w.id(), w.flag(), returned, engine.clock.nanoTime(), engine.outcomeRetentionNanos());
    }
}
