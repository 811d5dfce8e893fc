package dev.cairn.partition;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.MergeEntry;
import dev.cairn.MergePolicy;
import dev.cairn.StoreFullException;
import dev.cairn.membership.Member;

/**
 * Merging the sides' copies of a partition when a split heals (issue 13, decision 67). The new primary of a partition
 * in a view that merged subgroups takes the freshest copy of the largest side that holds a current one as the base
 * (pulled, or its own), then pulls the freshest copy of every other side that holds a current one, and merges each into the base key by key
 * through the map's {@link MergePolicy}, tombstones included. Until the last is merged the partition serves nothing
 * (its copy is {@link Replica.State#KEPT}), so no reader sees the base and then the merged value. The merged copy gets
 * versions above every side's, so the backups then pull it as they would any new primary's. Runs with the replica's
 * monitor held.
 */
final class SplitMerge {
    private static final Logger log = LoggerFactory.getLogger(SplitMerge.class);
    private static final byte[] NO_VALUE = new byte[0];

    private final Engine engine;

    SplitMerge(Engine engine) {
        this.engine = engine;
    }

    /**
     * What the members asked answered of their copies: the version (-1 where a member holds none), whether it holds
     * every acknowledged write ({@code current}), and whether its holder was the partition's primary in the view before
     * ({@code served}: the copy counts the reads served there).
     */
    record Copies(long[] versions, boolean[] current, boolean[] served) {
    }

    /** This node's own copy, as {@link Copies} describes each member's: version -1 when it holds none. */
    record Copy(long version, boolean current, boolean served) {
    }

    /** Who holds which copy to merge: the base ({@code null} for this node's own) and one source per other side. */
    record Plan<M>(M base, List<M> sources, boolean ownIsSource) {
    }

    /**
     * The merge of a partition whose holders answered {@code copies} (see {@link Copies}), or null when at most one
     * side holds a copy (then the freshest copy is the partition, as in any view). Only current copies count when any side holds one: a side
     * whose copies are all kept from older ownerships served nothing of the partition while split (it waited for the
     * members missing), so it wrote nothing to merge, and its copy may lack writes acknowledged before the split; as
     * the base it would wipe them (issue 13: both owners on the smaller side of a quorum map's split, the larger side
     * holding an old copy, read nulls after the heal).
     */
    static <M> Plan<M> plan(List<Set<String>> sides, String self, List<M> members, Function<M, String> nameOf,
            Copies copies, Copy ownCopy) {
        long[] versions = copies.versions();
        long ownVersion = ownCopy.version();
        boolean anyCurrent = ownVersion >= 0 && ownCopy.current();
        for (int i = 0; i < members.size(); i++) {
            anyCurrent |= versions[i] >= 0 && copies.current()[i];
        }
        List<M> best = new ArrayList<>();
        long[] bestVersion = new long[sides.size()];
        Arrays.fill(bestVersion, -1);
        boolean[] bestServed = new boolean[sides.size()];
        boolean[] own = new boolean[sides.size()];
        for (int s = 0; s < sides.size(); s++) {
            best.add(null);
            Set<String> side = sides.get(s);
            if (ownVersion >= 0 && (ownCopy.current() || !anyCurrent) && side.contains(self)) {
                bestVersion[s] = ownVersion;
                bestServed[s] = ownCopy.served();
                own[s] = true;
            }
            for (int i = 0; i < members.size(); i++) {
                // the freshest copy; of copies alike, the one of the side's primary, which counted the reads it served
                boolean fresher = versions[i] > bestVersion[s]
                        || (versions[i] == bestVersion[s] && versions[i] >= 0 && copies.served()[i] && !bestServed[s]);
                if (side.contains(nameOf.apply(members.get(i))) && (copies.current()[i] || !anyCurrent) && fresher) {
                    bestVersion[s] = versions[i];
                    bestServed[s] = copies.served()[i];
                    best.set(s, members.get(i));
                    own[s] = false;
                }
            }
        }
        int base = -1;
        List<M> sources = new ArrayList<>();
        boolean ownIsSource = false;
        for (int s = 0; s < bestVersion.length; s++) {
            if (bestVersion[s] < 0) {
                continue;
            }
            if (base < 0) {
                base = s;
            } else if (own[s]) {
                ownIsSource = true;
            } else {
                sources.add(best.get(s));
            }
        }
        if (base < 0 || (sources.isEmpty() && !ownIsSource)) {
            return null;
        }
        return new Plan<>(own[base] ? null : best.get(base), sources, ownIsSource);
    }

    /**
     * Starts merging {@code plan} into this node's copy of {@code r}: the base is (or is being) installed. With its own
     * copy a source, that copy is set aside first, to be merged once the base replaced it.
     */
    void begin(Topology t, ReplicaGroup g, Replica r, Plan<Member> plan) {
        log.info("{}: view {}: partition {}/{} merges the copies of the sides of a healed split: base {}, then {}{}",
                engine.self, t.view.id(), r.id, g.backups, plan.base() == null ? "this node's" : plan.base(),
                plan.sources(), plan.ownIsSource() ? " and this node's" : "");
        r.mergeQueue = new ArrayDeque<>(plan.sources());
        if (plan.ownIsSource()) {
            r.setAside = new Replica.Copy(new java.util.HashMap<>(), new Tombstones(), engine.splitSince);
            for (MapStores m : engine.maps.values()) {
                if (m.group == g && m.stores[r.id] != null) {
                    r.setAside.stores().put(m.name, m.stores[r.id]);
                    m.stores[r.id] = null;
                }
            }
            r.setAside.tombstones().take(r.tombstones);
        } else if (plan.base() != null) {
            r.tombstones.clear(); // this node's copy is neither the base nor merged: the base brings its own
        }
    }

    /** Gives up a merge under way (a new view, a pull that stalled): a copy set aside goes back in place. */
    void abandon(ReplicaGroup g, Replica r) {
        r.mergeQueue = null;
        r.mergingFrom = null;
        Replica.Copy own = r.setAside;
        r.setAside = null;
        if (own == null) {
            return;
        }
        for (MapStores m : engine.maps.values()) {
            if (m.group == g) {
                m.closeStore(r.id);
                m.stores[r.id] = own.stores().remove(m.name);
            }
        }
        own.stores().values().forEach(PartitionStore::close);
        r.tombstones.clear();
        r.tombstones.take(own.tombstones());
    }

    /**
     * The base is installed (state {@link Replica.State#KEPT}): merges the copy set aside, if any, then asks the next
     * side for its copy, or, with none left, completes the partition. Returns whether it completed.
     */
    boolean next(Topology t, ReplicaGroup g, Replica r) {
        if (r.setAside != null) {
            Replica.Copy own = r.setAside;
            r.setAside = null;
            mergeIn(t, g, r, own);
        }
        Member source = r.mergeQueue.poll();
        if (source == null) {
            r.mergeQueue = null;
            r.mergingFrom = null;
            r.state = Replica.State.COMPLETE;
            r.copiesMissing = false;
            r.expectedPush = 0;
            log.debug("{}: partition {}/{} merged, version {}", engine.self, r.id, g.backups, r.version);
            return true;
        }
        long pullId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        r.expectedPush = pullId;
        r.pullMoved = engine.clock.nanoTime();
        r.mergingFrom = source;
        byte[] ask = new Messages.PullRequest(Messages.PullMode.MERGE, t.key, g.backups, r.id, pullId).encode();
        engine.membership.request(source, Messages.PULL, ask, engine.timeout).whenComplete((a, e) -> {
            if (e != null || a[0] != dev.cairn.membership.Status.PUSHING.code()) {
                synchronized (r) {
                    if (r.expectedPush == pullId && r.incoming == null) {
                        r.expectedPush = 0; // the next tick starts the partition's merge over
                        r.mergeQueue = null;
                        r.mergingFrom = null;
                    }
                }
            }
        });
        return false;
    }

    /** Merges one side's copy into this node's, key by key, through each map's policy; then closes the copy. */
    void mergeIn(Topology t, ReplicaGroup g, Replica r, Replica.Copy other) {
        Set<String> maps = new java.util.TreeSet<>(other.stores().keySet());
        maps.addAll(other.tombstones().maps());
        for (String name : maps) {
            MapStores m = engine.map(name);
            if (m.group != g) {
                continue;
            }
            if (m.options.quorum().covers(true, engine.membership.settings().expectedMembers())) {
                continue; // a smaller side refused this map's writes: its copy holds nothing the base lacks
            }
            // only what that side wrote since it lost the others: the rest it had before the split, and the base has
            // it or removed it since (a copy kept from an older ownership must not bring removed keys back)
            long since = other.splitSince();
            PartitionStore theirs = other.stores().get(name);
            if (theirs != null) {
                theirs.forEach((key, entry) -> {
                    if (entry.writtenAt() >= since) {
                        decide(t, m, r, key, entry, mergeEntry(key, entry));
                    }
                });
            }
            other.tombstones().forEach(name, (key, at) -> {
                if (at >= since) {
                    decide(t, m, r, key, null, tombstone(key, at));
                }
            });
        }
        other.stores().values().forEach(PartitionStore::close);
    }

    /** Applies the map's policy to one key of the merging side, as a write of this primary. */
    private void decide(Topology t, MapStores m, Replica r, byte[] key, StoredEntry theirs, MergeEntry merging) {
        PartitionStore store = m.store(r.id);
        StoredEntry mine = store.get(key);
        long removedAt = mine == null ? r.tombstones.removedAt(m.name, key) : -1;
        MergeEntry existing = mine != null ? mergeEntry(key, mine) : removedAt >= 0 ? tombstone(key, removedAt) : null;
        if (existing == null ? merging.removed() : alike(existing, merging)) {
            return; // removed on their side, never here; or the same on both
        }
        MergeEntry kept;
        try {
            kept = m.options.mergePolicy().merge(existing, merging);
        } catch (RuntimeException e) {
            log.warn("{}: the merge policy of map '{}' failed on a key of partition {}; the existing entry stays",
                    engine.self, m.name, r.id, e);
            m.metrics.merged("failed");
            return;
        }
        MapChange.MergeOutcome outcome;
        long version = Math.max(r.version, t.view.id() << 32) + 1;
        try {
            if ((kept == existing && existing != null) || ((kept == null || kept.removed()) && mine == null)) {
                outcome = MapChange.MergeOutcome.EXISTING; // (absent here already, for a remove)
            } else if (kept == null || kept.removed()) {
                store.remove(key);
                if (engine.membersMissing) {
                    r.tombstones.removed(m.name, key, StoredEntry.writtenAfter(mine, engine.clock.epochMillis()));
                }
                outcome = MapChange.MergeOutcome.REMOVED;
            } else {
                // the other side's entry keeps its expiry, priority and hits; one of the policy's making has none
                store.put(key, kept == merging ? new StoredEntry(version, theirs.expiresAt(), kept.writtenAt(),
                        theirs.access(), kept.value()) : new StoredEntry(version, 0, kept.writtenAt(),
                        Access.of(kept.hits(), kept.lastAccessedAt()), kept.value()));
                r.tombstones.written(m.name, key);
                outcome = kept == merging ? MapChange.MergeOutcome.MERGING : MapChange.MergeOutcome.NEW;
            }
        } catch (StoreFullException | IllegalArgumentException e) {
            log.error("{}: map '{}' partition {}: a merged entry does not fit: {}", engine.self, m.name, r.id,
                    e.getMessage());
            m.metrics.merged("failed");
            return;
        }
        m.metrics.merged(outcome.name().toLowerCase(java.util.Locale.ROOT));
        if (outcome != MapChange.MergeOutcome.EXISTING) {
            r.version = version;
        }
        // every decision is told, a kept existing entry too: what the policy discarded is the user's to know
        r.changeSeq++;
        if (engine.changes.active()) {
            byte[] before = mine == null ? null : mine.value();
            byte[] after = outcome == MapChange.MergeOutcome.EXISTING ? before
                    : outcome == MapChange.MergeOutcome.REMOVED ? null : kept.value();
            engine.changes.publish(new MapChange(m.name, r.id, key, before, after, r.changeSeq, MapChange.Cause.MERGE,
                    new MapChange.Merge(merging.removed() ? null : merging.value(), mine == null && existing != null,
                            outcome)));
        }
    }

    private static MergeEntry mergeEntry(byte[] key, StoredEntry e) {
        return new MergeEntry(key, e.value(), e.writtenAt(), Access.hits(e.access()), Access.accessedAt(e.access()),
                false);
    }

    private static MergeEntry tombstone(byte[] key, long removedAt) {
        return new MergeEntry(key, NO_VALUE, removedAt, 0, 0, true);
    }

    private static boolean alike(MergeEntry a, MergeEntry b) {
        return a.removed() == b.removed() && a.writtenAt() == b.writtenAt() && Arrays.equals(a.value(), b.value());
    }
}
