package dev.cairn.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.cairn.membership.Member;
import dev.cairn.membership.Status;

/**
 * What this node has of one partition of a {@link ReplicaGroup}: its state, its version, its fences and the outcomes of
 * its recent writes. Its monitor orders writes, backup writes and snapshots: everything here is read and written with
 * it held.
 */
final class Replica {
    /**
     * {@code KEPT} is a copy from an earlier ownership that may have missed writes since: it serves nothing, but other
     * members may pull it (the freshest copy wins) until its owners hold the partition, so a crash while new owners
     * rebuild their copies does not lose what the old ones held.
     */
    enum State { NONE, RECEIVING, KEPT, COMPLETE }

    final int id;
    State state = State.NONE;
    /** (view id, count) of the last write applied: the primary of view V numbers its writes from {@code V << 32}. */
    long version;
    /** The change feed's position: one more per applied change, the same on every copy (see {@link ChangeFeed}). */
    long changeSeq;
    final FenceTable fences = new FenceTable();
    /** The keys removed while members were missing, for the merge when the split heals (decision 67). */
    final Tombstones tombstones = new Tombstones();
    final Outcomes outcomes = new Outcomes();
    /** Keys whose latest write is not acknowledged by every backup yet: readers see their previous entry. */
    final Unacknowledged unacknowledged = new Unacknowledged();
    /**
     * A backup answered stale to a write of this primary (it is on another view): this copy may hold a write nobody
     * else has, so at the next view an owner keeps it only as a candidate and pulls afresh.
     */
    boolean diverged;
    /**
     * This node is the primary, no member of the view holds a copy, and the view misses some of the expected members,
     * which may hold it (issue 13, defect B): the partition serves nothing, refusing at once, rather than take itself
     * as empty and lose the copies' data to its own writes at the merge. Read without the monitor by operations.
     */
    volatile boolean copiesMissing;
    /**
     * This copy was complete and owned here in the view before the current one, or handed here by an owner leaving
     * it: it holds every write acknowledged up to that view's end. A copy kept from an older ownership, or one still
     * being built, may have missed some.
     */
    boolean current;
    /**
     * What {@link #current} was in the view before the current one: a copy current then and not owned since holds
     * every write acknowledged up to that view's end, unless writes were acknowledged in that view (its owners
     * completed). See {@link #ownedIncomplete}.
     */
    boolean currentBefore;
    /**
     * This node owned the partition in the view before the current one and its copy never completed there: with
     * synchronous backups no write of that view was acknowledged, since each waits for every owner (a crash while new
     * owners rebuild must not leave the partition waiting for the crashed primary when the last view's owners answer
     * that they never completed; found by the rebuild test on CI).
     */
    boolean ownedIncomplete;
    /**
     * This node was the partition's primary in the view before the current one: its copy counts the reads it served
     * there ({@link Access}), which a backup's copy does not; a merge prefers it among copies of the same version.
     */
    boolean primaryBefore;

    /**
     * The pull this node is waiting on (0 when none), when it last moved (clock nanoseconds: asked, or a piece of the
     * snapshot arrived; a pull is started over only when it stalled, not when a large partition takes long), and what
     * is arriving.
     */
    long expectedPush;
    long pullMoved;
    Member incomingFrom;
    Map<String, PartitionStore> incoming;
    /** The highest version and change sequence of the writes applied on top of the snapshot being received. */
    long incomingVersion;
    long incomingChangeSeq;
    /**
     * The key of the view whose changes this replica has been through ({@link Migration#onView}). The engine's topology
     * is published before each replica is: until then this replica's state is the view before's, and it answers nothing
     * in the new one (found by the fault matrix: a member that had just become primary handed a new backup the copy it
     * held as a non-owner before it was set aside, and that stale copy later won a merge).
     */
    long installedView;

    /** Whether this replica has been through the changes of view {@code t}. */
    boolean installed(Topology t) {
        return installedView == t.key;
    }

    /** A clock reading that stands for "not set" below. */
    static final long NEVER = Long.MIN_VALUE;
    /** Clock nanoseconds since this node stopped owning the partition ({@link #NEVER} while it owns it). */
    long notOwnedSince = NEVER;
    /** Received from a member that was leaving: the freshest copy, kept through the next view. */
    boolean handedOff;
    /** When this node, holding a copy it does not own, last asked the owners whether they hold it. */
    long releaseAsked = NEVER;
    /**
     * Backup writes from the primary that arrived before this node held the partition: each is answered once the
     * snapshot being pulled from that primary (which includes it) is installed, so an acknowledged write is held by
     * every live backup, not only by a primary that may crash before the backup's copy is built.
     */
    final List<PendingBackup> awaitingCopy = new ArrayList<>();

    /**
     * A split's heal under way here as this partition's primary (decision 67): the sides' copies still to pull and
     * merge ({@code null} when not merging), the one being received, and this node's own copy set aside to merge once
     * the base replaced it.
     */
    java.util.ArrayDeque<Member> mergeQueue;
    Member mergingFrom;
    Copy setAside;

    /**
     * A copy of the partition apart from this node's: its stores by map, its tombstones, and since when (epoch
     * milliseconds) its side missed the others, so that what it held before is not merged as new.
     */
    record Copy(Map<String, PartitionStore> stores, Tombstones tombstones, long splitSince) {
    }

    /** A backup write waiting for this node to hold its partition, and the member that sent it. */
    record PendingBackup(Member from, CompletableFuture<byte[]> reply) {
    }

    Replica(int id) {
        this.id = id;
    }

    boolean holdsCopy() {
        return state == State.COMPLETE || state == State.KEPT;
    }

    /** Answers the backup writes waiting for this partition's copy: held if it came from their sender. */
    void answerAwaiting(Member copiedFrom) {
        for (PendingBackup w : awaitingCopy) {
            w.reply().complete((w.from().equals(copiedFrom) ? Status.OK : Status.STALE).reply());
        }
        awaitingCopy.clear();
    }

    /** Forgets a push half received. */
    void discardIncoming() {
        if (incoming != null) {
            incoming.values().forEach(PartitionStore::close);
        }
        incoming = null;
        incomingFrom = null;
    }
}
