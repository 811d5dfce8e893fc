package dev.cairn.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.cairn.Fence;
import dev.cairn.GridTimeoutException;
import dev.cairn.StoreFullException;
import dev.cairn.membership.Futures;
import dev.cairn.membership.Member;
import dev.cairn.membership.Status;

/**
 * The primary's write path: decides an operation under the partition's monitor, applies it, records its outcome by
 * invocation id, publishes it to the change feed and sends it to the backups ordered while still holding the monitor,
 * then answers once every backup in the view has acknowledged it (decisions 4 and 14).
 */
final class PrimaryPath {
    private final Engine engine;
    private final Evictor evictor;

    PrimaryPath(Engine engine) {
        this.engine = engine;
        this.evictor = new Evictor(engine, this);
    }

    /**
     * Removes {@code key} from partition {@code r} of {@code m} as its primary, for the engine's own reason (it expired,
     * or it is evicted): applied, published to the change feed with its cause, and sent to the backups in order, their
     * acknowledgements added to {@code acks}. Returns the entry removed, or null when there was none. Call with the
     * replica's monitor held, as the partition's primary in {@code t}.
     */
    StoredEntry removeOwn(Topology t, MapStores m, Replica r, PartitionStore store, byte[] key, MapChange.Cause cause,
                          List<CompletableFuture<byte[]>> acks) {
        StoredEntry old = store.remove(key);
        if (old == null) {
            return null;
        }
        long version = Math.max(r.version, t.view.id() << 32) + 1;
        r.version = version;
        r.changeSeq++;
        if (engine.changes.active()) {
            engine.changes.publish(new MapChange(m.name, r.id, key, old.value(), null, r.changeSeq, cause, null));
        }
        StoredEntry removal = StoredEntry.removal(version, StoredEntry.writtenAfter(old, engine.clock.epochMillis()));
        sendToBackups(t, m, r.id, new Messages.BackupWrite(t.key, m.name, r.id, key, null, version, r.changeSeq,
                Messages.BackupKind.REMOVE, removal, null, Messages.OutcomeMode.NONE, false, null), acks);
        return old;
    }

    /**
     * The sweep's removal of an expired key ({@link Expirer}): under the partition's monitor, if this node is still its
     * primary in the current view and the entry is still expired, it is removed as {@link #removeOwn} does. Returns
     * whether it was.
     */
    boolean expire(MapStores m, int p, byte[] key) {
        Topology t = engine.topology;
        Replica r = m.group.replica(p);
        List<CompletableFuture<byte[]>> acks = new ArrayList<>();
        synchronized (r) {
            if (t == null || r.state != Replica.State.COMPLETE || !r.installed(t) || engine.leaving || m.destroyed
                    || !t.isPrimary(m.group.backups, p) || m.stores[p] == null) {
                return false;
            }
            PartitionStore store = m.stores[p];
            StoredEntry e = store.get(key);
            if (e == null || m.live(e, engine.clock.epochMillis()) != null) {
                return false;
            }
            removeOwn(t, m, r, store, key, MapChange.Cause.EXPIRED, acks);
        }
        m.metrics.expired();
        return true;
    }

    /**
     * Sends the backups of {@code key} its access record {@code access} from this primary's copy (the sweep's, for a key
     * of a max-idle map read since it last looked; {@link Expirer}), so a promoted backup does not expire an entry that
     * was being read. Not acknowledged: a backup that misses one has the next, or the next write.
     */
    void touch(MapStores m, int p, byte[] key, long access) {
        Topology t = engine.topology;
        Replica r = m.group.replica(p);
        synchronized (r) {
            if (t == null || r.state != Replica.State.COMPLETE || !r.installed(t) || engine.leaving || m.destroyed
                    || !t.isPrimary(m.group.backups, p)) {
                return;
            }
            sendToBackups(t, m, p, new Messages.BackupWrite(t.key, m.name, p, key, null, r.version, r.changeSeq,
                    Messages.BackupKind.ACCESS, StoredEntry.accessOnly(access), null, Messages.OutcomeMode.NONE, false,
                    null), new ArrayList<>());
        }
    }

    /** A MAP_OP request from another member. */
    CompletableFuture<byte[]> onMapOp(byte[] payload) {
        Messages.OpRequest r;
        try {
            r = Messages.OpRequest.decode(payload);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Reply.refused(Status.MALFORMED, e.getMessage()).encode());
        }
        return execute(engine.map(r.map()), r.op(), r.partition(), r.key(), r.fence(), r.id(), r.viewKey())
                .thenApply(Reply::encode);
    }

    /** A MAP_BATCH request: each item as its own operation, the replies in the items' order. */
    CompletableFuture<byte[]> onBatch(byte[] payload) {
        Messages.BatchRequest b;
        try {
            b = Messages.BatchRequest.decode(payload);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        MapStores m = engine.map(b.map());
        List<CompletableFuture<Reply>> results = new ArrayList<>(b.items().size());
        for (Messages.BatchRequest.Item i : b.items()) {
            results.add(execute(m, i.op(), i.partition(), i.key(), b.fence(), i.id(), b.viewKey()));
        }
        return Futures.allInOrder(results).thenApply(Messages::encodeReplies);
    }

    /** Decides and applies one operation here as the primary of {@code p} in view {@code viewKey}, and replicates it. */
    CompletableFuture<Reply> execute(MapStores m, Op op, int p, byte[] key, Fence fence, Invocation id, long viewKey) {
        Topology t = engine.topology;
        int backups = m.group.backups;
        if (t == null || t.key != viewKey || engine.closed || !t.isPrimary(backups, p) || !engine.lease.holds(t)) {
            return CompletableFuture.completedFuture(Reply.RETRY); // (no lease: others may have moved on without it)
        }
        String noQuorum = t.quorumRefusal(m.name, m.options, !op.isRead());
        if (noQuorum != null) { // the caller saw a majority in its view, this primary does not in its own
            return CompletableFuture.completedFuture(Reply.refused(Status.NO_QUORUM, noQuorum));
        }
        Replica r = m.group.replica(p);
        if (r.copiesMissing) { // at once, rather than retried until the timeout: the missing members may not return
            return CompletableFuture.completedFuture(Reply.refused(Status.NO_QUORUM,
                    t.missingCopiesRefusal(m.name, p, !op.isRead())));
        }
        if (op.isRead()) {
            return CompletableFuture.completedFuture(m.readLocal(t, op, p, key));
        }
        List<CompletableFuture<byte[]>> acks = new ArrayList<>();
        Reply answer;
        // with synchronous backups, readers here see a written key as it was until every backup has the write
        boolean hideUntilAcknowledged = !m.options.asyncBackups() && !t.table(backups).backups(p).isEmpty();
        long settles = -1; // the version whose acknowledgement settles the key for readers, -1 for none
        StoredEntry settled = null;
        synchronized (r) {
            // checked under the monitor: a new view since the check above may already have sent this partition to its
            // new primary (pulls are served under this monitor), and a hand-off snapshots it under the monitor after
            // setting leaving; a write applied here after either would be acknowledged and then missing on the heirs
            if (r.state != Replica.State.COMPLETE || engine.topology != t || !r.installed(t) || engine.leaving
                    || m.destroyed) {
                return CompletableFuture.completedFuture(Reply.RETRY); // (destroyed: the caller looks the map up anew)
            }
            if (fence != null) {
                if (!t.takesFencedWrites()) {
                    return CompletableFuture.completedFuture(Reply.refused(Status.NO_QUORUM, t.fenceQuorumRefusal(m.name)));
                }
                String stale = r.fences.refusal(fence, m.name, p);
                if (stale != null) {
                    return CompletableFuture.completedFuture(Reply.refused(Status.STALE_FENCE, stale));
                }
            }
            PartitionStore store = m.store(p);
            Outcomes.Outcome prior = id == null ? null : r.outcomes.get(id);
            Messages.BackupWrite backup;
            if (prior != null) {
                answer = Reply.ok(Op.Decision.keep(prior.returned(), prior.flag()));
                backup = repair(t, m, r, key, fence, id, prior, store);
                engine.metrics.retriesDeduplicated.increment();
                if (hideUntilAcknowledged && r.unacknowledged.resent(m.name, key)) {
                    settles = Long.MAX_VALUE; // the key as it stands now, its latest write: it reads from the store
                }
            } else {
                long now = engine.clock.epochMillis();
                StoredEntry stored = store.get(key);
                StoredEntry current = m.live(stored, now); // an expired entry is absent to every operation
                Op.Decision d = op.decide(current);
                answer = Reply.ok(d);
                if (d.change() == Op.Change.NONE) {
                    // a fenced write that changed nothing still raised the fence: the backups learn it too, or a
                    // promoted backup would take a lower fence the old primary had refused
                    backup = fence != null && r.fences.raise(fence) ? new Messages.BackupWrite(t.key, m.name, p, key,
                            fence, r.version, r.changeSeq, Messages.BackupKind.FENCE_ONLY, null, null,
                            Messages.OutcomeMode.NONE, false, null) : null;
                } else {
                    long writtenAt = StoredEntry.writtenAfter(stored, now);
                    StoredEntry entry = d.change() == Op.Change.WRITE
                            ? new StoredEntry(0, Expiration.expiresAt(now, op.ttlMillis(), m.options.expiry(),
                                    !(op instanceof Op.Expire)), writtenAt, m.accessAfterWrite(current, now,
                                    op.priority()), d.value())
                            : StoredEntry.removal(0, writtenAt);
                    if (current == null && d.change() == Op.Change.WRITE && m.options.eviction().bounded()) {
                        // a new key of a bounded map: room is made first (or the write is refused, nothing written)
                        Reply full = evictor.makeRoom(t, m, r, store, key, entry, now, acks);
                        if (full != null) {
                            return CompletableFuture.completedFuture(full);
                        }
                    }
                    // (view id, count): a write the primary of an older view applied but could not replicate never
                    // ties with one acknowledged in this view, so the freshest copy is the one with the highest version
                    long version = Math.max(r.version, t.view.id() << 32) + 1;
                    entry = entry.withVersion(version);
                    m.stored(entry);
                    Reply refused = apply(m, r, store, op, key, d, entry, version, fence, id);
                    if (refused != null) {
                        return CompletableFuture.completedFuture(refused);
                    }
                    if (hideUntilAcknowledged) {
                        r.unacknowledged.applied(m.name, key, current, version);
                        settles = version;
                        settled = d.change() == Op.Change.WRITE ? entry : null; // (null: readers see it removed)
                    }
                    backup = changeFor(t, m, r, op, key, current, d, entry, fence, id, stored != current);
                }
            }
            if (backup != null) {
                sendToBackups(t, m, p, backup, acks);
            }
        }
        CompletableFuture<Reply> replicated = answerWhenReplicated(t, m, r, acks, answer);
        if (settles < 0) {
            return replicated;
        }
        long version = settles;
        StoredEntry entry = settled;
        return replicated.handle((reply, error) -> {
            // settled before the caller hears, so the caller's own next read sees its write
            if (error == null && reply.status() == Status.OK) {
                r.unacknowledged.acknowledged(m.name, key, version, entry);
            } else {
                r.unacknowledged.failed(m.name, key);
                settleLater(t, m, r, key, 0);
            }
            if (error != null) {
                throw Futures.unchecked(error);
            }
            return reply;
        });
    }

    /**
     * Issue 13, defect D: a write not acknowledged by every backup (one timed out, or answered stale and the caller
     * gave up retrying) stays hidden from readers. Unless a view change re-establishes the copies first, the primary
     * sends the key as it stands to the backups again, with backoff, until they all acknowledge it; then it reads.
     */
    private void settleLater(Topology t, MapStores m, Replica r, byte[] key, int tries) {
        try {
            engine.timer.schedule(() -> settle(t, m, r, key, tries), Math.min(1_000, 10L << Math.min(tries, 7)),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closed: nobody reads here any more
        }
    }

    private void settle(Topology t, MapStores m, Replica r, byte[] key, int tries) {
        List<CompletableFuture<byte[]>> acks = new ArrayList<>();
        synchronized (r) {
            if (engine.closed || engine.topology != t || engine.leaving || m.destroyed
                    || r.state != Replica.State.COMPLETE || !r.unacknowledged.resent(m.name, key)) {
                return; // settled already (a retry's repair), or the new view's migration forgets the key
            }
            sendToBackups(t, m, r.id, repair(t, m, r, key, null, null, null, m.store(r.id)), acks);
        }
        whenAcknowledged(m, r, acks, Reply.ok(Op.Decision.keep(null, true))).thenAccept(reply -> {
            if (reply.status() == Status.OK) {
                r.unacknowledged.acknowledged(m.name, key, Long.MAX_VALUE, null); // the key as it stands: reads the store
            } else {
                r.unacknowledged.failed(m.name, key);
                settleLater(t, m, r, key, tries + 1);
            }
        });
    }

    /** Sends a backup write to each backup of {@code p}, ordered. Call with the replica's monitor held. */
    private void sendToBackups(Topology t, MapStores m, int p, Messages.BackupWrite backup,
                               List<CompletableFuture<byte[]>> acks) {
        byte[] bytes = backup.encode();
        for (Member b : t.backups(m.group.backups, p)) {
            acks.add(engine.membership.request(b, Messages.BACKUP, bytes, engine.timeout, true));
        }
    }

    /**
     * The caller's answer: once every backup acknowledged (synchronous backups), or at once (asynchronous ones, whose
     * backup that missed the write is told to pull the partition afresh, so it does not stay diverged).
     */
    private CompletableFuture<Reply> answerWhenReplicated(Topology t, MapStores m, Replica r,
                                                          List<CompletableFuture<byte[]>> acks, Reply answer) {
        int p = r.id;
        if (acks.isEmpty()) {
            return CompletableFuture.completedFuture(answer);
        }
        if (m.options.asyncBackups()) {
            List<Member> backups = t.backups(m.group.backups, p);
            for (int i = 0; i < acks.size(); i++) {
                Member b = backups.get(i % backups.size()); // (each message went to every backup in turn)
                acks.get(i).whenComplete((reply, error) -> {
                    if (error != null ? !Router.retryable(error) : reply[0] != Status.OK.code()) {
                        resync(t, m.group.backups, p, b);
                    }
                });
            }
            return CompletableFuture.completedFuture(answer);
        }
        return whenAcknowledged(m, r, acks, answer);
    }

    /** Tells {@code backup} to pull partition {@code p} afresh: its copy missed a write. */
    private void resync(Topology t, int backups, int p, Member backup) {
        if (engine.topology != t || engine.closed) {
            return; // a new view re-establishes every copy anyway
        }
        engine.membership.request(backup, Messages.RESYNC, new Messages.Resync(t.key, backups, p).encode(),
                engine.timeout, true);
    }

    /** A MAP_CLEAR request: clears the map in each partition named, the replies in the same order. */
    CompletableFuture<byte[]> onClear(byte[] payload) {
        Messages.ClearRequest c;
        try {
            c = Messages.ClearRequest.decode(payload);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        MapStores m = engine.map(c.map());
        List<CompletableFuture<Reply>> results = new ArrayList<>(c.partitions().size());
        for (int p : c.partitions()) {
            results.add(clear(m, p, c.viewKey(), c.free()));
        }
        return Futures.allInOrder(results).thenApply(Messages::encodeReplies);
    }

    /**
     * Clears a map in one partition as its primary: a write like any other, numbered and sent to the backups in
     * order, so a write before it is cleared on every copy and one after it survives on every copy (defect 5). With
     * {@code free} (the map is being destroyed) the store is closed, its memory returned, on every copy.
     */
    CompletableFuture<Reply> clear(MapStores m, int p, long viewKey, boolean free) {
        Topology t = engine.topology;
        if (t == null || t.key != viewKey || engine.closed || p < 0 || p >= engine.partitionCount
                || !t.isPrimary(m.group.backups, p) || t.quorumRefusal(m.name, m.options, true) != null
                || !engine.lease.holds(t)) {
            return CompletableFuture.completedFuture(Reply.RETRY); // (no majority here: the caller saw one; retried)
        }
        Replica r = m.group.replica(p);
        List<CompletableFuture<byte[]>> acks = new ArrayList<>();
        synchronized (r) {
            if (r.state != Replica.State.COMPLETE || engine.topology != t || engine.leaving) {
                return CompletableFuture.completedFuture(Reply.RETRY);
            }
            MapStores live = engine.current(m);
            if (free) {
                live.closeStore(p);
            } else if (live.stores[p] != null) {
                live.stores[p].clear();
            }
            r.version = Math.max(r.version, t.view.id() << 32) + 1;
            r.changeSeq++;
            engine.changes.publish(new MapChange(m.name, p, null, null, null, r.changeSeq));
            sendToBackups(t, m, p, new Messages.BackupWrite(t.key, m.name, p, new byte[0], null, r.version, r.changeSeq,
                    free ? Messages.BackupKind.FREE : Messages.BackupKind.CLEAR, null, null, Messages.OutcomeMode.NONE,
                    false, null), acks);
        }
        return answerWhenReplicated(t, m, r, acks, Reply.ok(Op.Decision.keep(null, true)));
    }

    /**
     * Applies a decided change to the store, then raises the fence and records the outcome: nothing is raised or
     * recorded for a write the store refused. Returns the refusal, or null when applied.
     */
    private Reply apply(MapStores m, Replica r, PartitionStore store, Op op, byte[] key, Op.Decision d,
                        StoredEntry entry, long version, Fence fence, Invocation id) {
        try {
            if (d.change() == Op.Change.WRITE) {
                store.put(key, entry);
                r.tombstones.written(m.name, key);
            } else {
                store.remove(key);
                if (engine.membersMissing) { // a removal the other side of a split may not know of (decision 67)
                    r.tombstones.removed(m.name, key, entry.writtenAt());
                }
            }
        } catch (StoreFullException e) {
            return Reply.refused(Status.FULL, e.getMessage());
        } catch (IllegalArgumentException e) {
            return Reply.refused(Status.TOO_LARGE, "map '" + m.name + "': " + e.getMessage() + "; nothing was written");
        }
        r.version = version;
        r.changeSeq++;
        if (fence != null) {
            r.fences.raise(fence);
        }
        if (id != null) {
            r.outcomes.record(id, d.flag(), op.returnsPrevious() ? d.returned() : null, engine.clock.nanoTime(),
                    engine.outcomeRetentionNanos());
        }
        return null;
    }

    /** The backup message of an applied change, published to the change feed on the way. */
    private Messages.BackupWrite changeFor(Topology t, MapStores m, Replica r, Op op, byte[] key, StoredEntry current,
                                           Op.Decision d, StoredEntry entry, Fence fence, Invocation id,
                                           boolean overExpired) {
        if (engine.changes.active()) {
            engine.changes.publish(new MapChange(m.name, r.id, key, current == null ? null : current.value(), d.value(),
                    r.changeSeq));
        }
        // over an expired entry the backups' copies still hold it: they are sent what this primary returned (nothing)
        Messages.OutcomeMode mode = id == null ? Messages.OutcomeMode.NONE : !op.returnsPrevious()
                ? Messages.OutcomeMode.NO_VALUE : overExpired ? Messages.OutcomeMode.SENT : Messages.OutcomeMode.PREVIOUS_VALUE;
        return new Messages.BackupWrite(t.key, m.name, r.id, key, fence, r.version, r.changeSeq,
                d.change() == Op.Change.WRITE ? Messages.BackupKind.WRITE : Messages.BackupKind.REMOVE, entry, id, mode,
                d.flag(), null);
    }

    /**
     * A retry of a write already applied (here, or by an earlier primary whose backup this node was): the current
     * backups get the key as it stands now, with the recorded outcome and the fence, since the first try may have
     * reached none of them (a backup that answered stale, a leaving one); then the caller gets the first outcome.
     * Without an outcome ({@code id} and {@code prior} null) it is the key alone, as {@link #settle} re-sends it.
     */
    private Messages.BackupWrite repair(Topology t, MapStores m, Replica r, byte[] key, Fence fence, Invocation id,
                                        Outcomes.Outcome prior, PartitionStore store) {
        if (fence != null) {
            r.fences.raise(fence);
        }
        StoredEntry now = store.get(key);
        long removedAt = r.tombstones.removedAt(m.name, key);
        return new Messages.BackupWrite(t.key, m.name, r.id, key, fence, r.version, r.changeSeq,
                now == null ? Messages.BackupKind.REMOVE : Messages.BackupKind.WRITE,
                now != null ? now : StoredEntry.removal(r.version, Math.max(removedAt, 0)), id,
                prior == null ? Messages.OutcomeMode.NONE : Messages.OutcomeMode.SENT,
                prior != null && prior.flag(), prior == null ? null : prior.returned());
    }

    /**
     * The answer once every backup acknowledged: a backup that timed out makes the outcome unknown; one that is
     * full is reported (the primary holds the write); one that answered stale or left makes the caller retry, which
     * the recorded outcome turns into a repair rather than a second write.
     */
    private CompletableFuture<Reply> whenAcknowledged(MapStores m, Replica r, List<CompletableFuture<byte[]>> acks,
                                                      Reply ok) {
        int p = r.id;
        CompletableFuture<Reply> done = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(acks.size());
        AtomicReference<Reply> worst = new AtomicReference<>(ok);
        for (CompletableFuture<byte[]> ack : acks) {
            ack.whenComplete((reply, error) -> {
                if (error != null) {
                    if (Futures.unwrap(error) instanceof GridTimeoutException) {
                        // a reply, not a failure: the caller, perhaps on another node, gets a timeout that says so
                        done.complete(Reply.refused(Status.TIMEOUT, "map '" + m.name + "': a backup of partition " + p
                                + " did not acknowledge a write within " + engine.timeout.toMillis() + " ms; the write"
                                + " may or may not have taken effect (a retry of the same call is applied at most once)"));
                        return;
                    }
                    // a backup that left the view was one of this view's owners: the next view has other backups,
                    // which get the write only when it is tried again there (DESIGN.md decision 4)
                    worst.compareAndSet(ok, Reply.RETRY);
                } else if (Status.of(reply[0]) == Status.FULL) {
                    worst.set(Reply.refused(Status.FULL, "map '" + m.name + "': a backup of partition " + p + " has no"
                            + " room for the write, which its primary holds: raise the map's expectedEntries"));
                } else if (reply[0] != Status.OK.code()) {
                    if (reply[0] == Status.STALE.code()) {
                        synchronized (r) {
                            r.diverged = true; // this copy may now hold a write no other copy will have
                        }
                    }
                    worst.compareAndSet(ok, Reply.RETRY);
                }
                if (pending.decrementAndGet() == 0) {
                    done.complete(worst.get());
                }
            });
        }
        return done;
    }
}
