package dev.cairn.partition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.membership.Member;
import dev.cairn.membership.Status;
import dev.cairn.membership.Wire;

/**
 * Moving a partition's data between members: answering pulls, sending snapshots (begin, one chunk of entries after
 * another, end with the version, change sequence, fences, recent outcomes and tombstones) ordered under the replica's
 * monitor, so the receiver gets the snapshot and then every later write; receiving them; a leaving node's hand-off to
 * the next view's owners (decision 17); and, after a split heals, the merge of the other sides' copies (decision 67).
 */
final class Transfer {
    private static final Logger log = LoggerFactory.getLogger(Transfer.class);
    private static final int CHUNK_BYTES = 64 * 1024;

    private final Engine engine;
    /** Merges the sides' copies after a split heals; their snapshots arrive here. */
    final SplitMerge merge;

    Transfer(Engine engine) {
        this.engine = engine;
        this.merge = new SplitMerge(engine);
    }

    /** Sends one PULL request to each member; the answers in the members' order. */
    List<CompletableFuture<byte[]>> requestEach(List<Member> members, byte[] request) {
        List<CompletableFuture<byte[]>> answers = new ArrayList<>();
        for (Member m : members) {
            answers.add(engine.membership.request(m, Messages.PULL, request, engine.timeout));
        }
        return answers;
    }

    /** A member asks about a partition or for it; if this node holds it, it is sent under the replica's monitor. */
    byte[] onPull(Member from, byte[] payload) {
        Messages.PullRequest q;
        try {
            q = Messages.PullRequest.decode(payload);
        } catch (IllegalArgumentException e) {
            return Reply.refused(Status.MALFORMED, e.getMessage()).encode();
        }
        Topology t = engine.topology;
        Replica r = engine.replica(q.backups(), q.partition());
        if (t == null || t.key != q.viewKey() || r == null) {
            return Status.RETRY.reply();
        }
        ReplicaGroup g = engine.groups[q.backups()];
        long start = engine.clock.nanoTime();
        synchronized (r) {
            if (!r.installed(t)) {
                return Status.RETRY.reply(); // its state is still the view before's
            }
            switch (q.mode()) {
                case QUERY -> {
                    // with whether members this node has seen are missing, who may hold a fresher copy (defect B);
                    // the version decides which copy is the freshest; the fences of every copy count (issue 13)
                    Wire.Out out = new Wire.Out(64);
                    new Messages.QueryAnswer(r.holdsCopy(), r.version, engine.missesHolders(t),
                            Migration.CopyState.of(r, engine.previousKey)).write(out);
                    if (r.holdsCopy()) {
                        r.fences.write(out);
                    }
                    return out.toArray();
                }
                case HOLDS -> {
                    // an owner that counts for dropping other copies: complete, and staying
                    return r.state == Replica.State.COMPLETE && !engine.leaving && t.isOwner(g.backups, r.id)
                            ? Status.OK.reply() : Status.NONE.reply();
                }
                default -> {
                }
            }
            if (!r.holdsCopy()) {
                return Status.NONE.reply(); // receiving is not holding: a pull answered by a receiver would wait in a circle
            }
            if (r.state == Replica.State.KEPT && t.isPrimary(g.backups, r.id)) {
                // a primary still looking for the freshest copy must not hand its old one to its backups: they would
                // take it as the partition and keep it after the primary pulled a fresher one
                return Status.NONE.reply();
            }
            List<CompletableFuture<byte[]>> sent = new ArrayList<>();
            long bytes = sendSnapshot(from, g, r, q.pullId(), q.digests(),
                    q.mode() == Messages.PullMode.MERGE ? engine.splitSince : Long.MIN_VALUE, sent);
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).whenComplete((ok, e) -> {
                if (e == null) {
                    engine.metrics.bytesMoved.increment(bytes);
                    engine.metrics.moveTime.record(engine.clock.nanoTime() - start, TimeUnit.NANOSECONDS);
                }
            });
        }
        return Status.PUSHING.reply();
    }

    /**
     * Sends a partition's data, every map of its group, as begin, chunks and end, ordered, so that writes this node
     * sends the receiver later arrive after it. With the receiver's {@code digests} (null for none) only the buckets
     * that differ from this copy's are sent, and the begin names them with this copy's digests, so the receiver keeps
     * its own entries of the others; only entries written at or after {@code since} (epoch milliseconds) are sent. Call
     * with the replica's monitor held. Returns the bytes sent.
     */
    private long sendSnapshot(Member to, ReplicaGroup g, Replica r, long pushId, long[] digests, long since,
                              List<CompletableFuture<byte[]>> sent) {
        int p = r.id;
        Wire.Out begin = new Messages.PushHeader(Messages.PushKind.BEGIN, g.backups, p, pushId)
                .start(digests == null ? 32 : 32 + 8 * (Digests.BUCKETS + 1)).bool(digests != null);
        long send = -1L; // the buckets to send, as a bit mask
        if (digests != null) {
            long[] ours = Digests.of(engine.storesOf(g, p));
            send = Digests.differing(ours, digests);
            Digests.write(begin.i64(send), ours);
        }
        sent.add(send(to, begin.toArray()));
        Messages.PushHeader chunkHeader = new Messages.PushHeader(Messages.PushKind.CHUNK, g.backups, p, pushId);
        long bytes = 0;
        long buckets = send;
        for (MapStores m : engine.maps.values()) {
            if (m.group != g || m.stores[p] == null) {
                continue;
            }
            Wire.Out[] chunk = {chunkHeader.start(CHUNK_BYTES + 1024).str(m.name)};
            long[] total = {0};
            m.stores[p].forEach((key, entry) -> {
                if ((buckets >>> Digests.bucketOf(key) & 1) == 0 || entry.writtenAt() < since) {
                    return;
                }
                Messages.writeEntry(chunk[0].bytes(key), entry);
                if (chunk[0].size() >= CHUNK_BYTES) {
                    total[0] += chunk[0].size();
                    sent.add(send(to, chunk[0].toArray()));
                    chunk[0] = chunkHeader.start(CHUNK_BYTES + 1024).str(m.name);
                }
            });
            total[0] += chunk[0].size();
            sent.add(send(to, chunk[0].toArray()));
            bytes += total[0];
        }
        log.debug("{}: partition {}/{} sent to {} (push {}): {} bytes of entries, {} buckets of {}{}", engine.self, p,
                g.backups, to, pushId, bytes, Long.bitCount(send), Digests.BUCKETS,
                since == Long.MIN_VALUE ? "" : ", written since " + since);
        Wire.Out end = new Messages.PushHeader(Messages.PushKind.END, g.backups, p, pushId).start(256)
                .i64(r.version).i64(r.changeSeq);
        r.fences.write(end);
        r.outcomes.write(end);
        r.tombstones.write(end);
        end.i64(engine.splitSince);
        sent.add(send(to, end.toArray()));
        return bytes;
    }

    private CompletableFuture<byte[]> send(Member to, byte[] push) {
        return engine.membership.request(to, Messages.PUSH, push, engine.timeout, true);
    }

    /** Receives the pieces of a partition this node pulled (or that a leaving member handed it). */
    byte[] onPush(Member from, byte[] payload) {
        Wire.In in = new Wire.In(payload);
        Messages.PushHeader h;
        try {
            h = Messages.PushHeader.read(in);
        } catch (IllegalArgumentException e) {
            log.warn("{}: malformed push from {}: {}", engine.self, from, e.getMessage());
            return Status.MALFORMED.reply();
        }
        Replica r = engine.replica(h.backups(), h.partition());
        if (r == null) {
            return Status.MALFORMED.reply();
        }
        ReplicaGroup g = engine.groups[h.backups()];
        int p = h.partition();
        long pushId = h.pushId();
        engine.snapshotsMoved = engine.clock.nanoTime();
        synchronized (r) {
            switch (h.kind()) {
                case BEGIN -> {
                    boolean handoff = pushId < 0 && (r.state != Replica.State.COMPLETE || !ownsNow(g, p));
                    if (r.incoming == null && (pushId == r.expectedPush || handoff)) {
                        r.expectedPush = pushId;
                        r.incoming = new HashMap<>();
                        r.incomingFrom = from;
                        r.incomingVersion = 0;
                        r.incomingChangeSeq = 0;
                        r.pullMoved = engine.snapshotsMoved;
                        if (handoff && r.state != Replica.State.KEPT) {
                            r.state = Replica.State.RECEIVING;
                        }
                        if (in.bool() && !keepUnchanged(g, r, in.i64(), Digests.read(in))) {
                            r.discardIncoming(); // this copy changed since it asked: the next tick asks afresh
                            r.expectedPush = 0;
                        }
                    }
                }
                case CHUNK -> {
                    if (r.incoming != null && pushId == r.expectedPush && from.equals(r.incomingFrom)) {
                        MapStores m = engine.map(in.str());
                        PartitionStore store = r.incoming.computeIfAbsent(m.name, n -> m.newStore(p));
                        r.pullMoved = engine.snapshotsMoved; // still arriving: not a stalled pull
                        while (in.more()) {
                            byte[] key = in.bytes();
                            StoredEntry entry = Messages.readEntry(in);
                            store.put(key, entry);
                            m.stored(entry);
                        }
                    }
                }
                case END -> {
                    if (r.incoming != null && pushId == r.expectedPush && from.equals(r.incomingFrom)) {
                        if (r.mergeQueue != null && from.equals(r.mergingFrom)) {
                            mergeIn(g, r, in);
                        } else {
                            install(from, g, r, in, pushId);
                        }
                    }
                }
                default -> throw new IllegalStateException("unknown push kind " + h.kind());
            }
        }
        return Status.OK.reply();
    }

    /**
     * The start of a snapshot that sends only the buckets in {@code sent}: this node's own entries of every other
     * bucket (of the copy it asked with) go into the copy being received, where its digest still equals the sender's ({@code theirs}). Returns
     * false, having copied what it had, if one does not (this copy changed since it asked): the pull must start over.
     */
    private boolean keepUnchanged(ReplicaGroup g, Replica r, long sent, long[] theirs) {
        // (a merge's primary set its own copy aside to merge after the base: that is the copy it asked with)
        Map<String, PartitionStore> own = r.setAside != null ? r.setAside.stores() : engine.storesOf(g, r.id);
        long stale = Digests.differing(Digests.of(own), theirs) & ~sent;
        if (stale != 0) {
            log.debug("{}: partition {}/{}: this copy changed since it asked for the buckets that differ; asked again",
                    engine.self, r.id, g.backups);
            return false;
        }
        own.forEach((name, store) -> {
            if (store == null) {
                return;
            }
            MapStores m = engine.map(name);
            store.forEach((key, entry) -> {
                if ((sent >>> Digests.bucketOf(key) & 1) == 0) {
                    r.incoming.computeIfAbsent(name, n -> m.newStore(r.id)).put(key, entry);
                }
            });
        });
        return true;
    }

    /** The end of another side's copy, pulled to merge (decision 67): merged into the base, then the next is asked. */
    private void mergeIn(ReplicaGroup g, Replica r, Wire.In in) {
        in.i64(); // its version and change sequence: the merged copy's come from this primary's writes
        in.i64();
        r.fences.merge(in); // every side's fences count
        r.outcomes.merge(in, engine.clock.nanoTime(), engine.outcomeRetentionNanos()); // its writes' retries come here
        Tombstones theirs = new Tombstones();
        theirs.merge(in);
        Replica.Copy copy = new Replica.Copy(r.incoming, theirs, in.i64());
        r.incoming = null;
        r.incomingFrom = null;
        merge.mergeIn(engine.topology, g, r, copy);
        merge.next(engine.topology, g, r);
    }

    /** The snapshot's end: its stores replace this node's, with its version, change sequence, fences and outcomes. */
    private void install(Member from, ReplicaGroup g, Replica r, Wire.In in, long pushId) {
        int p = r.id;
        long version = in.i64();
        long changeSeq = in.i64();
        r.fences.merge(in);
        r.outcomes.merge(in, engine.clock.nanoTime(), engine.outcomeRetentionNanos());
        r.tombstones.merge(in);
        in.i64(); // since when the sender's side missed members: for merges only
        for (MapStores m : engine.maps.values()) {
            if (m.group == g) {
                PartitionStore old = m.stores[p];
                m.stores[p] = r.incoming.remove(m.name);
                if (old != null) {
                    old.close();
                }
            }
        }
        for (Map.Entry<String, PartitionStore> left : r.incoming.entrySet()) {
            // a map destroyed here while its snapshot arrived, and written since on the sender: it is the map anew
            MapStores m = engine.map(left.getKey());
            if (m.group == g && m.stores[p] == null) {
                m.stores[p] = left.getValue();
            } else {
                left.getValue().close();
            }
        }
        r.version = Math.max(version, r.incomingVersion);
        r.changeSeq = Math.max(changeSeq, r.incomingChangeSeq);
        r.answerAwaiting(from);
        log.debug("{}: partition {}/{} received from {} (push {}), version {}", engine.self, p, g.backups, from, pushId,
                r.version);
        r.state = Replica.State.COMPLETE;
        r.copiesMissing = false;
        r.current |= pushId < 0; // a leaving owner's final copy
        r.notOwnedSince = ownsNow(g, p) ? Replica.NEVER : engine.clock.nanoTime(); // a hand-off waits for its view
        r.handedOff = pushId < 0;
        r.incoming = null;
        r.incomingFrom = null;
        r.expectedPush = 0;
        engine.metrics.partitionsMoved.increment();
        if (r.mergeQueue != null) { // the base of a split's merge: it serves once the other sides' copies are in
            r.state = Replica.State.KEPT;
            merge.next(engine.topology, g, r);
        }
    }

    private boolean ownsNow(ReplicaGroup g, int p) {
        Topology t = engine.topology;
        return t != null && t.isOwner(g.backups, p);
    }

    /**
     * Stops serving (and taking backup writes), hands every partition this node owns to each owner of the next view
     * that does not already hold it, and waits (up to the request timeout) for the hand-offs to be acknowledged. Call
     * before leaving the view. Idempotent.
     */
    void handOff() {
        if (engine.leaving || engine.closed) {
            return;
        }
        engine.leaving = true;
        Topology t = engine.topology;
        if (t == null || t.byName.size() < 2) {
            return;
        }
        List<String> remaining = new ArrayList<>(t.byName.keySet());
        remaining.remove(engine.self);
        List<CompletableFuture<byte[]>> sent = new ArrayList<>();
        for (ReplicaGroup g : engine.groups) {
            if (engine.maps.values().stream().noneMatch(m -> m.group == g)) {
                continue;
            }
            PartitionTable now = t.table(g.backups);
            PartitionTable next = PartitionTable.compute(t.view.id() + 1, remaining, engine.partitionCount, g.backups);
            for (Replica r : g.replicas) {
                if (!t.isOwner(g.backups, r.id)) {
                    continue;
                }
                synchronized (r) {
                    if (r.state != Replica.State.COMPLETE) {
                        continue;
                    }
                    // every owner of the next view that does not hold it now gets this copy, which is final (this
                    // node takes no more writes: they check leaving under this monitor), so leaving never leaves a
                    // partition on fewer copies
                    for (String heir : next.owners(r.id)) {
                        if (!now.owners(r.id).contains(heir)) {
                            long pushId = -ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
                            sendSnapshot(t.byName.get(heir), g, r, pushId, null, Long.MIN_VALUE, sent);
                        }
                    }
                }
            }
        }
        try {
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                    .get(engine.timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("{}: not every partition hand-off was acknowledged before leaving: {}", engine.self, e.toString());
        }
    }
}
