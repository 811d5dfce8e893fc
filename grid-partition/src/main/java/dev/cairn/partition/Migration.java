package dev.cairn.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.membership.ClusterView;
import dev.cairn.membership.Member;
import dev.cairn.membership.Status;
import dev.cairn.membership.Wire;

/**
 * Re-establishing replicas when the view changes (decisions 16 to 18, 33, 34): on each view and every tick, a node
 * pulls what it owns but does not hold, keeps old copies as candidates until a fresh one arrives, and drops a copy it
 * no longer owns only after the grace and once every owner answers that it holds the partition. Runs on the partition
 * thread; every decision reads the engine's clock. The snapshots themselves travel through {@link Transfer}.
 */
final class Migration {
    private static final Logger log = LoggerFactory.getLogger(Migration.class);
    /** How often a node holding a copy it does not own asks the owners whether they hold it. */
    private static final long RELEASE_ASK_NANOS = 1_000_000_000L;

    private final Engine engine;
    private final Transfer transfer;
    /** The view key of the last warning that partitions wait, or are taken from old copies: one of each a view. */
    private volatile long warnedWaiting = Long.MIN_VALUE;
    private volatile long warnedLost = Long.MIN_VALUE;

    Migration(Engine engine, Transfer transfer) {
        this.engine = engine;
        this.transfer = transfer;
    }

    /**
     * Installs a view: resets what must be pulled and starts pulling. {@code subgroups} are the sides a view that heals
     * a split merged (empty for any other view).
     */
    void onView(ClusterView view, List<ClusterView> subgroups) {
        if (engine.closed) {
            return;
        }
        boolean merged = !subgroups.isEmpty();
        Topology previous = engine.topology;
        boolean first = previous == null;
        log.debug("{}: installing view {} (merged: {})", engine.self, view, merged);
        Topology t = engine.topologyOf(view, subgroups);
        engine.previousKey = first ? 0 : previous.key;
        engine.topology = t;
        // copies here serve nothing in this view until a majority of it answers; asked once this view is installed,
        // so that no send delays the install
        engine.onTimer(engine.lease::renew);
        long now = engine.clock.nanoTime();
        for (Member m : view.members()) {
            engine.seenMembers.add(m.name());
        }
        boolean missing = !engine.missingMembers(t).isEmpty();
        if (missing && !engine.membersMissing) { // kept past the heal: the merge asks for it then
            engine.splitSince = engine.clock.epochMillis() - engine.membership.settings().failureTimeout().toMillis()
                    - 1000;
        } else if (!missing && !merged) {
            // a whole view that heals nothing: no split of this node's is left to merge. A node that comes back from a
            // pause into a merge, having never seen anyone missing since, wrote nothing on a side of its own, and an
            // older split's time would pass everything written since as that side's (PASS_THROUGH would overwrite the
            // others' later writes with it)
            engine.splitSince = Engine.NO_SPLIT;
        }
        engine.membersMissing = missing;
        for (ReplicaGroup g : engine.groups) {
            for (Replica r : g.replicas) {
                synchronized (r) {
                    transfer.merge.abandon(g, r); // a merge under way is for the view before
                    r.copiesMissing = false; // decided afresh by this view's query
                    boolean owner = t.isOwner(g.backups, r.id);
                    boolean wasOwner = !first && previous.isOwner(g.backups, r.id);
                    // backup writes waiting for a copy pulled in the old view: their primary retries in this one
                    r.answerAwaiting(null);
                    r.unacknowledged.clear();
                    boolean diverged = r.diverged;
                    // (a copy that may hold a write its backups refused holds every acknowledged one too)
                    r.currentBefore = r.current;
                    r.ownedIncomplete = wasOwner && r.state != Replica.State.COMPLETE;
                    r.primaryBefore = !first && previous.isPrimary(g.backups, r.id);
                    r.current = r.state == Replica.State.COMPLETE && (wasOwner || r.handedOff);
                    r.diverged = false;
                    if (first) {
                        r.state = view.size() == 1 ? Replica.State.COMPLETE : Replica.State.NONE;
                    } else if ((owner && !wasOwner && !r.handedOff) || (merged && owner) || (owner && diverged)) {
                        // whatever this node kept from an older view may have missed writes since: pull afresh, but
                        // keep the old copy meanwhile, as it may be the freshest one left. After a merge every owner
                        // does, the primary too: it asks every member and keeps the freshest copy, so a node that
                        // started alone (empty, but complete in its own view) does not wipe the partitions it is
                        // primary for when it merges into the cluster that holds them. A copy that may hold a write its
                        // backups refused (diverged) is re-established the same way
                        keepAsCandidate(g, r);
                    }
                    if (owner) {
                        r.notOwnedSince = Replica.NEVER;
                    } else if (r.notOwnedSince == Replica.NEVER) {
                        r.notOwnedSince = now;
                    }
                    if (r.state != Replica.State.COMPLETE) {
                        r.expectedPush = 0; // a pull for an older view is void; pull again
                    }
                    r.handedOff = false;
                    r.installedView = t.key;
                }
            }
        }
        tick();
    }

    /** Keeps a copy from an earlier ownership as a candidate for pulls, or forgets a half-received one. */
    private void keepAsCandidate(ReplicaGroup g, Replica r) {
        if (r.holdsCopy()) {
            log.debug("{}: partition {}/{} newly owned; keeping the old copy (version {}) until a fresh one arrives",
                    engine.self, r.id, g.backups, r.version);
            r.discardIncoming();
            r.state = Replica.State.KEPT;
        } else {
            drop(g, r);
        }
    }

    /** Every tick and after each view: pull what is owned but not held, drop what is held but no longer owned. */
    void tick() {
        Topology t = engine.topology;
        if (t == null || engine.closed) {
            return;
        }
        long now = engine.clock.nanoTime();
        for (ReplicaGroup g : engine.groups) {
            for (Replica r : g.replicas) {
                boolean owner = t.isOwner(g.backups, r.id);
                synchronized (r) {
                    r.outcomes.expire(now, engine.outcomeRetentionNanos());
                    if (owner && r.state == Replica.State.COMPLETE && !engine.membersMissing) {
                        r.tombstones.clear(); // nobody is missing and the partition is merged: no split to merge
                    }
                    if (owner && r.state != Replica.State.COMPLETE) {
                        // only a pull that stalled starts over: one large partition, or a share of many, can take
                        // longer than the request timeout to arrive, and starting it over would never settle it
                        boolean stuck = r.expectedPush != 0
                                && now - Math.max(r.pullMoved, engine.snapshotsMoved) > engine.timeout.toNanos();
                        if (r.expectedPush == 0 || stuck) {
                            startPull(t, g, r);
                        }
                    } else if (!owner && r.state != Replica.State.NONE && r.notOwnedSince != Replica.NEVER
                            && now - r.notOwnedSince > engine.dropGraceNanos()) {
                        if (!r.holdsCopy()) {
                            drop(g, r);
                        } else if (r.releaseAsked == Replica.NEVER || now - r.releaseAsked > RELEASE_ASK_NANOS) {
                            r.releaseAsked = now;
                            releaseOnceOwnersHold(t, g, r);
                        }
                    }
                }
            }
        }
    }

    /**
     * Drops a copy this node no longer owns once every owner holds the partition, not before: until then it may be
     * the freshest copy left if the primary crashes while its backups rebuild theirs. Only an owner's complete copy
     * counts, and not a leaving member's (it may be gone in a moment): a kept copy may have missed writes.
     */
    private void releaseOnceOwnersHold(Topology t, ReplicaGroup g, Replica r) {
        List<Member> owners = t.table(g.backups).owners(r.id).stream().map(t.byName::get).toList();
        byte[] ask = new Messages.PullRequest(Messages.PullMode.HOLDS, t.key, g.backups, r.id, 0).encode();
        List<CompletableFuture<byte[]>> answers = transfer.requestEach(owners, ask);
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
            if (error != null || answers.stream().anyMatch(a -> a.join()[0] != Status.OK.code())) {
                return; // asked again later
            }
            engine.onTimer(() -> {
                synchronized (r) {
                    if (engine.topology == t && !t.isOwner(g.backups, r.id) && r.holdsCopy()) {
                        drop(g, r);
                    }
                }
            });
        });
    }

    /** Asks for a partition's data. Called with the replica's monitor held. */
    private void startPull(Topology t, ReplicaGroup g, Replica r) {
        transfer.merge.abandon(g, r); // (a merge's pull that stalled starts the merge over)
        long pullId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        if (r.state != Replica.State.KEPT) {
            r.state = Replica.State.RECEIVING;
        }
        r.expectedPush = pullId;
        r.pullMoved = engine.clock.nanoTime();
        r.discardIncoming();
        boolean primary = t.isPrimary(g.backups, r.id);
        // holding a copy from before, only the buckets that differ from the source's need to move
        long[] digests = r.state == Replica.State.KEPT ? Digests.of(engine.storesOf(g, r.id)) : null;
        byte[] ask = new Messages.PullRequest(Messages.PullMode.SEND, t.key, g.backups, r.id, pullId, digests).encode();
        List<Member> sources = new ArrayList<>();
        if (!primary) {
            sources.add(t.primary(g.backups, r.id));
        } else {
            for (Member m : t.view.members()) {
                if (t.byName.get(m.name()) == m && !t.isSelf(m.name())) {
                    sources.add(m);
                }
            }
        }
        if (sources.isEmpty()) {
            // alone: what it kept (if anything) is all there is, unless the members it misses hold the partition
            if (!awaitMissingCopies(t, g, r, r.state == Replica.State.KEPT && r.current, engine.missesHolders(t))) {
                takeOwnCopy(r);
            }
            return;
        }
        if (!primary) {
            askToSend(sources.get(0), ask, r, pullId);
            return;
        }
        // The new primary asks every member what it holds, then pulls from the freshest holder (or keeps its own copy
        // if that is the freshest): versions only grow along the chain of primaries, so a copy left over from an older
        // view never wins over a newer one.
        byte[] query = new Messages.PullRequest(Messages.PullMode.QUERY, t.key, g.backups, r.id, pullId).encode();
        List<CompletableFuture<byte[]>> answers = transfer.requestEach(sources, query);
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
            Member best = null;
            long bestVersion = -1;
            boolean allAnswered = true;
            boolean missing = engine.missesHolders(t); // or as any member asked sees it
            boolean someCurrent = false;
            List<Wire.In> fences = new ArrayList<>();
            long[] versions = new long[answers.size()];
            java.util.Arrays.fill(versions, -1);
            CopyState[] copies = new CopyState[answers.size()];
            for (int i = 0; i < answers.size(); i++) {
                byte[] a = answers.get(i).isCompletedExceptionally() ? null : answers.get(i).getNow(null);
                if (a == null || a[0] == Status.RETRY.code()) {
                    allAnswered = false;
                    continue;
                }
                Wire.In in = new Wire.In(a);
                Messages.QueryAnswer q = Messages.QueryAnswer.read(in);
                copies[i] = q.copy();
                missing |= q.missing();
                if (q.holds()) {
                    versions[i] = q.version();
                    fences.add(in);
                    if (q.version() > bestVersion) {
                        bestVersion = q.version();
                        best = sources.get(i);
                    }
                }
            }
            SplitMerge.Plan<Member> plan;
            synchronized (r) {
                if (r.expectedPush != pullId) {
                    return;
                }
                // every copy's fences, not only the freshest copy's: after a split each side may have seen a higher
                // fence of some lock, and a fence once seen must refuse every lower one from then on (issue 13)
                fences.forEach(r.fences::merge);
                long ownVersion = r.state == Replica.State.KEPT ? r.version : -1;
                CopyState own = CopyState.of(r, engine.previousKey);
                boolean[] current = new boolean[answers.size()];
                boolean[] served = new boolean[answers.size()];
                for (int i = 0; i < copies.length; i++) {
                    current[i] = versions[i] >= 0 && CopyState.counts(copies[i], copies, own);
                    served[i] = copies[i] != null && copies[i].primaryBefore();
                    someCurrent |= current[i];
                }
                boolean ownCurrent = ownVersion >= 0 && CopyState.counts(own, copies, own);
                log.debug("{}: view {}: partition {}/{} query answered (all: {}), freshest {} at version {}",
                        engine.self, t.view.id(), r.id, g.backups, allAnswered, best, bestVersion);
                if (!allAnswered) {
                    r.expectedPush = 0; // someone is on another view or did not answer: ask again on the next tick
                } else if (awaitMissingCopies(t, g, r, someCurrent || ownCurrent, missing)) {
                    r.expectedPush = 0; // asked again on the next tick
                } else if (t.sides != null && (plan = SplitMerge.plan(t.sides, engine.self, sources,
                        Member::name, new SplitMerge.Copies(versions, current, served),
                        new SplitMerge.Copy(ownVersion, ownCurrent, own.primaryBefore()))) != null) {
                    // the sides of a healed split each hold a copy: merged key by key (decision 67)
                    transfer.merge.begin(t, g, r, plan);
                    if (plan.base() != null) {
                        askToSend(plan.base(), ask, r, pullId); // its install goes on with the merge
                    } else {
                        transfer.merge.next(t, g, r);
                    }
                } else if (best != null && bestVersion > ownVersion) {
                    askToSend(best, ask, r, pullId);
                } else {
                    // no member holds a fresher copy than this node kept: it is the partition (with none kept, the
                    // partition is empty, or every copy is lost)
                    takeOwnCopy(r);
                    r.expectedPush = 0;
                }
            }
        });
    }

    /**
     * What a member answered of its copy of a partition, for deciding which copies hold every acknowledged write: its
     * copy is current (complete and owned in the view before), or was current in the view before that
     * ({@code currentBefore}); it owned the partition in the view before without completing its copy
     * ({@code ownedIncomplete}); it was its primary then ({@code primaryBefore}: its copy counts the reads it served);
     * and the key of that view before ({@code previousKey}).
     */
    record CopyState(boolean current, boolean currentBefore, boolean ownedIncomplete, boolean primaryBefore,
                     long previousKey) {
        static CopyState of(Replica r, long previousKey) {
            return new CopyState(r.current, r.currentBefore, r.ownedIncomplete, r.primaryBefore, previousKey);
        }

        /**
         * Whether {@code copy} holds every acknowledged write: it is current, or it was current a view earlier and an
         * owner of the view between (this node or a member asked, {@code answers}, null where one did not answer)
         * never completed its copy there, so that view acknowledged no write (each waits for every owner's copy).
         */
        static boolean counts(CopyState copy, CopyState[] answers, CopyState own) {
            if (copy == null || copy.current) {
                return copy != null;
            }
            if (!copy.currentBefore) {
                return false;
            }
            boolean nothingAcknowledged = own.ownedIncomplete && own.previousKey == copy.previousKey;
            for (CopyState a : answers) {
                nothingAcknowledged |= a != null && a.ownedIncomplete && a.previousKey == copy.previousKey;
            }
            return nothingAcknowledged;
        }
    }

    /**
     * Defect B of issue 13: a new primary whose view holds no current copy of a partition (none, or only copies kept
     * from older ownerships, which may have missed writes) took the freshest of them, or an empty one, as complete: the
     * majority of a split served nulls or old values for keys acknowledged before it, and after the heal its writes
     * there, at a later view's versions, won over the minority's whole copy. Now, while members seen before are
     * missing from the view ({@code missing}, by this node or any member it asked) and it holds fewer than the
     * expected members, such a partition waits for them, refusing operations at once; once they are back, or replaced
     * up to the expected number, the freshest copy left is taken (an empty one if none: the partition is lost).
     * Returns whether it waits. Call with the replica's monitor held.
     */
    private boolean awaitMissingCopies(Topology t, ReplicaGroup g, Replica r, boolean someCurrent, boolean missing) {
        if (someCurrent) {
            return false; // (also for a group no map here uses: another member may hold a map of it this node has not met)
        }
        if (missing) {
            if (!r.copiesMissing) {
                log.debug("{}: view {}: no member holds a current copy of partition {}/{}; it waits", engine.self,
                        t.view.id(), r.id, g.backups);
                if (warnedWaiting != t.key) { // once a view: a crash can leave hundreds waiting
                    warnedWaiting = t.key;
                    log.warn("{}: view {}: partition {}/{} (and perhaps others, see DEBUG) has no current copy in the"
                            + " view; it serves nothing until members missing from it are back: {}", engine.self,
                            t.view.id(), r.id, g.backups, engine.missingMembers(t));
                }
            }
            r.copiesMissing = true;
            return true;
        }
        if (warnedLost != t.key && !engine.missingMembers(t).isEmpty()) {
            warnedLost = t.key;
            log.warn("{}: view {}: no member holds a current copy of partition {}/{} (and perhaps others), and {}"
                    + " members are back: writes acknowledged on its last owners may be lost; it goes on from the"
                    + " freshest copy left, if any", engine.self, t.view.id(), r.id, g.backups, t.byName.size());
        }
        return false;
    }

    /** Asks one holder to send a partition; if it will not, the next tick asks again. */
    private void askToSend(Member source, byte[] ask, Replica r, long pullId) {
        engine.membership.request(source, Messages.PULL, ask, engine.timeout).whenComplete((a, e) -> {
            if (e != null || a[0] != Status.PUSHING.code()) {
                synchronized (r) {
                    if (r.expectedPush == pullId && r.incoming == null) {
                        r.expectedPush = 0;
                    }
                }
            }
        });
    }

    /** Takes what this node kept of a partition (nothing, if it kept none) as the partition. */
    private void takeOwnCopy(Replica r) {
        log.debug("{}: partition {} taken as {}: no member holds a fresher copy", engine.self, r.id,
                r.state == Replica.State.KEPT ? "kept at version " + r.version : "empty");
        r.discardIncoming();
        r.state = Replica.State.COMPLETE;
        r.copiesMissing = false;
    }

    /** Forgets a partition this node no longer owns. Called with its monitor held. */
    void drop(ReplicaGroup g, Replica r) {
        log.debug("{}: partition {}/{} dropped (was {})", engine.self, r.id, g.backups, r.state);
        for (MapStores m : engine.maps.values()) {
            if (m.group == g) {
                m.closeStore(r.id);
            }
        }
        r.discardIncoming();
        r.answerAwaiting(null);
        r.state = Replica.State.NONE;
        r.version = 0;
        r.changeSeq = 0;
        r.outcomes.clear();
        r.tombstones.clear();
        r.unacknowledged.clear();
        r.notOwnedSince = Replica.NEVER;
    }
}
