package dev.cairn.partition;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import dev.cairn.membership.ClusterView;
import dev.cairn.membership.Member;
import dev.cairn.membership.Status;
import dev.cairn.membership.Wire;

/**
 * Whether this node may still answer from its copies in its view (issue 13, defect 3, decision 62). A node paused past
 * the failure timeout (a GC pause, SIGSTOP, a hung host) or cut off from the rest is dropped from the others' view and
 * its partitions move on without it; until it hears of that, its own view still names it primary, and it would answer
 * reads, and a write of a map without backups, from its old copy. So it answers only while it holds a lease: a
 * majority of its view (itself included) answered, at most half a failure timeout ago, that it was still in theirs.
 *
 * <p>The others drop a member only after hearing nothing from it for three quarters of the failure timeout
 * ({@code Stacks}: FD_ALL3, then VERIFY_SUSPECT2); a member that answered a renewal heard from this node when it was
 * sent. A lease counted from the renewal's sending and lasting half the timeout therefore ends before any majority
 * can have moved on, with a quarter of the timeout to spare for heartbeat granularity. Time here is the real monotonic
 * clock, not the engine's injected one: what the lease races is the others' failure detector, which runs on real time.
 */
final class Lease {
    private final Engine engine;
    private final LongSupplier nanoTime;
    private final long lengthNanos;
    /** The view key the lease is for, and until when (on {@link #nanoTime}) it holds there. */
    private volatile long viewKey = Long.MIN_VALUE;
    private volatile long validUntil;

    Lease(Engine engine, Duration failureTimeout, LongSupplier nanoTime) {
        this.engine = engine;
        this.nanoTime = nanoTime;
        this.lengthNanos = failureTimeout.toNanos() / 2;
    }

    /** How often a renewal goes out: four per lease, so a lost round or two does not let it lapse. */
    Duration renewEvery() {
        return Duration.ofNanos(Math.max(10_000_000L, lengthNanos / 4));
    }

    /** Whether this node may answer from its copies in {@code t} now: alone in its view, or under a current lease. */
    boolean holds(Topology t) {
        return t.byName.size() == 1 || (viewKey == t.key && nanoTime.getAsLong() - validUntil < 0);
    }

    /**
     * Asks every other member of the current view whether this node is in theirs; once a majority (this node included)
     * says so, the lease holds until half a failure timeout after the asking. Runs on the partition thread.
     */
    void renew() {
        Topology t = engine.topology;
        if (t == null || engine.closed || t.byName.size() == 1) {
            return;
        }
        long asked = nanoTime.getAsLong();
        int needed = t.byName.size() / 2 + 1;
        AtomicInteger yes = new AtomicInteger(1);
        byte[] ask = new Wire.Out(8).i64(t.key).toArray(); // the view the lease is for
        for (Member m : t.view.members()) {
            if (t.byName.get(m.name()) != m || t.isSelf(m.name())) {
                continue; // an older incarnation of a name, or this node
            }
            CompletableFuture<byte[]> answer = engine.membership.request(m, Messages.LEASE, ask, Duration.ofNanos(lengthNanos));
            answer.whenComplete((reply, error) -> {
                if (error == null && reply.length > 0 && reply[0] == Status.OK.code() && yes.incrementAndGet() == needed) {
                    extend(t, asked);
                }
            });
        }
    }

    private synchronized void extend(Topology t, long asked) {
        if (engine.topology != t) {
            return; // a newer view came meanwhile: its own renewal grants its lease
        }
        long until = asked + lengthNanos;
        if (viewKey != t.key || until - validUntil > 0) {
            validUntil = until;
            viewKey = t.key;
        }
    }

    /**
     * The answer to another member's renewal: yes while that incarnation is in this node's view and that view is the
     * one the lease is asked for. A member resumed after a pause still holds its old view; once the others have taken
     * it back (a merge view it has not installed yet) it is in theirs, but answering yes then would grant it a lease
     * for the old view, in which it is still the primary of partitions that moved on without it (PausedPrimaryIT
     * caught it answering from its old copy so).
     */
    static byte[] answer(ClusterView view, Member from, byte[] payload) {
        boolean same = view != null && payload.length == 8 && new Wire.In(payload).i64() == Topology.keyOf(view);
        return (same && view.members().contains(from) ? Status.OK : Status.RETRY).reply();
    }
}
