package dev.cairn.partition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.cairn.Fence;
import dev.cairn.GridClosedException;
import dev.cairn.GridTimeoutException;
import dev.cairn.MemberUnreachableException;
import dev.cairn.NoQuorumException;
import dev.cairn.membership.Futures;
import dev.cairn.membership.Member;
import dev.cairn.membership.Status;

/**
 * The calling side: takes each operation to its key's primary (this node or another), and retries while ownership
 * moves, with backoff, until the request timeout. A write keeps one invocation id over all its tries, so a retry after
 * any failure is answered with the first try's outcome rather than applied twice (see {@link Outcomes}).
 */
final class Router {
    private final Engine engine;
    private final PrimaryPath primary;
    /** This incarnation's id for invocations: a node restarted under the same name numbers its writes afresh. */
    private final long origin = ThreadLocalRandom.current().nextLong();
    private final AtomicLong sequence = new AtomicLong();

    Router(Engine engine, PrimaryPath primary) {
        this.engine = engine;
        this.primary = primary;
    }

    private Invocation nextId(Op op) {
        return op.isRead() ? null : new Invocation(origin, sequence.incrementAndGet());
    }

    /** Runs one operation on the key's primary; {@code fence} is null for an unfenced one. */
    CompletableFuture<Op.Decision> invoke(MapStores m, Op op, byte[] key, Fence fence) {
        return invoke(m, op, key, fence, nextId(op), 0);
    }

    /** {@code tries}: how many tries of this invocation came before (a batch's), which may have applied it. */
    private CompletableFuture<Op.Decision> invoke(MapStores handle, Op op, byte[] key, Fence fence, Invocation id,
                                                  int tries) {
        MapStores m = engine.current(handle);
        if (engine.closed) {
            return CompletableFuture.failedFuture(new GridClosedException("node '" + engine.self + "' is closed"));
        }
        CompletableFuture<Op.Decision> out = new CompletableFuture<>();
        long start = engine.clock.nanoTime();
        Call call = new Call(m, op, engine.partitioner.partitionOf(key), key, fence, id, out, start,
                start + engine.timeout.toNanos());
        attempt(call, tries);
        return out.whenComplete((d, e) -> {
            if (d != null) {
                m.metrics.record(op, engine.clock.nanoTime() - start, d.flag());
            }
        });
    }

    /** One operation under way: what it is, where its answer goes and until when it may retry. */
    private record Call(MapStores map, Op op, int partition, byte[] key, Fence fence, Invocation id,
                        CompletableFuture<Op.Decision> out, long start, long deadline) {
    }

    private void attempt(Call c, int tries) {
        try {
            tryOnce(c, tries);
        } catch (RuntimeException e) {
            c.out().completeExceptionally(e); // whatever went wrong, the caller hears of it
        }
    }

    private void tryOnce(Call c, int tries) {
        if (engine.closed) {
            c.out().completeExceptionally(new GridClosedException("node '" + engine.self + "' closed while an"
                    + " operation on map '" + c.map().name + "' was under way"));
            return;
        }
        Topology t = engine.topology;
        MapStores m = engine.current(c.map()); // the map may have been destroyed (and made anew) since
        int backups = m.group.backups;
        CompletableFuture<Reply> result;
        long left = c.deadline() - engine.clock.nanoTime();
        String noQuorum = t == null ? null : t.quorumRefusal(m.name, m.options, !c.op().isRead());
        if (noQuorum == null && t != null && c.fence() != null && !t.takesFencedWrites()) {
            // this side cannot know of newer fences: its primary would refuse it, so nothing need be sent
            noQuorum = t.fenceQuorumRefusal(m.name);
        }
        if (noQuorum != null) {
            c.out().completeExceptionally(refusal(c, tries, new NoQuorumException(noQuorum))); // at once: nothing is sent
            return;
        }
        if (t == null) {
            result = CompletableFuture.completedFuture(Reply.RETRY);
        } else if (c.op().isRead() && m.options.readBackups() && m.maxIdleMillis == 0 // (the primary counts idle reads)
                && !t.isPrimary(backups, c.partition())
                && t.isOwner(backups, c.partition()) && engine.lease.holds(t)) {
            result = CompletableFuture.completedFuture(m.readLocal(t, c.op(), c.partition(), c.key()));
        } else if (t.isPrimary(backups, c.partition())) {
            result = primary.execute(m, c.op(), c.partition(), c.key(), c.fence(), c.id(), t.key);
        } else {
            Member target = t.primary(backups, c.partition());
            byte[] payload = new Messages.OpRequest(c.op(), t.key, m.name, c.partition(), c.key(), c.fence(), c.id())
                    .encode();
            result = engine.membership.request(target, Messages.MAP_OP, payload, Duration.ofNanos(Math.max(left, 1_000_000)))
                    .thenApply(Reply::decode)
                    .exceptionally(e -> retryable(e) ? Reply.RETRY : rethrow(e));
        }
        result.whenComplete((r, e) -> {
            if (e != null && Futures.unwrap(e) instanceof GridTimeoutException timeout) {
                // the primary got the request and may have applied it; the caller must not read "it did not"
                c.out().completeExceptionally(timedOut(c, "its primary gave no answer within "
                        + engine.timeout.toMillis() + " ms", timeout));
            } else if (e != null) {
                c.out().completeExceptionally(Futures.unwrap(e));
            } else if (r.status() == Status.OK) {
                c.out().complete(r.decision());
            } else if (r.error() != null) {
                c.out().completeExceptionally(refusal(c, tries, r.error()));
            } else if (engine.clock.nanoTime() < c.deadline()) {
                engine.retryLater(() -> attempt(c, tries + 1), tries, c.out(), "an operation on map '" + m.name + "'");
            } else {
                c.out().completeExceptionally(timedOut(c, "it had no ready primary within "
                        + engine.timeout.toMillis() + " ms (" + (tries + 1) + " tries while ownership moved)", null));
            }
        });
    }

    /**
     * A refusal as the caller hears it. A write's retry refused for want of a majority is not "nothing was written":
     * the try before it may have reached a primary that applied it (and then answered retry, or left), so the caller
     * hears that the outcome is unknown, as after a timeout, not a {@link NoQuorumException} (issue 13, found by the
     * fault matrix: such writes were read afterwards).
     */
    private static RuntimeException refusal(Call c, int tries, RuntimeException error) {
        if (!(error instanceof NoQuorumException) || tries == 0 || c.op().isRead()) {
            return error;
        }
        return timedOut(c, "a retry found no majority (" + error.getMessage() + ")", error);
    }

    /** A batch's failure; a timeout says that its writes' outcomes are unknown, not that they were not applied. */
    private RuntimeException batchFailure(MapStores m, Member to, int items, Throwable error) {
        Throwable e = Futures.unwrap(error);
        if (!(e instanceof GridTimeoutException)) {
            return Futures.unchecked(e);
        }
        return new GridTimeoutException("map '" + m.name + "': a batch of " + items + " operations to member '"
                + to.name() + "' got no answer within " + engine.timeout.toMillis() + " ms; its writes may or may not"
                + " have taken effect (a retry with the same call is applied at most once)", e);
    }

    /** The caller's timeout: what was tried, and for a write that its outcome is unknown rather than "not applied". */
    private static GridTimeoutException timedOut(Call c, String why, Throwable cause) {
        String message = "map '" + c.map().name + "': an operation on partition " + c.partition() + " timed out, " + why
                + "; " + (c.op().isRead() ? "nothing was read"
                : "the write may or may not have taken effect (a retry with the same call is applied at most once)");
        return cause == null ? new GridTimeoutException(message) : new GridTimeoutException(message, cause);
    }

    /** Whether a request's failure means "try again" (the member left the view) rather than an error for the caller. */
    static boolean retryable(Throwable e) {
        return Futures.unwrap(e) instanceof MemberUnreachableException;
    }

    static <T> T rethrow(Throwable e) {
        throw Futures.unchecked(e);
    }

    /**
     * Runs one operation per key, one request per primary rather than one per key; {@code ops} pairs with
     * {@code keys}. Keys whose primary answers retry (ownership moving) go on alone, with the same invocation id.
     * The decisions come back in key order.
     */
    CompletableFuture<List<Op.Decision>> invokeAll(MapStores m, List<byte[]> keys, List<Op> ops, Fence fence) {
        if (engine.closed) {
            return CompletableFuture.failedFuture(new GridClosedException("node '" + engine.self + "' is closed"));
        }
        Topology t = engine.topology;
        int n = keys.size();
        List<Invocation> ids = new ArrayList<>(n);
        for (Op op : ops) {
            ids.add(nextId(op));
        }
        List<CompletableFuture<Op.Decision>> each = new ArrayList<>(Collections.nCopies(n, null));
        if (t == null) {
            for (int i = 0; i < n; i++) {
                each.set(i, invoke(m, ops.get(i), keys.get(i), fence, ids.get(i), 0));
            }
            return Futures.allInOrder(each);
        }
        int backups = m.group.backups;
        Map<Member, List<Integer>> byPrimary = new HashMap<>();
        List<Integer> mine = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int p = engine.partitioner.partitionOf(keys.get(i));
            if (t.isPrimary(backups, p)) {
                mine.add(i);
            } else {
                byPrimary.computeIfAbsent(t.primary(backups, p), k -> new ArrayList<>()).add(i);
            }
        }
        for (int i : mine) {
            each.set(i, invoke(m, ops.get(i), keys.get(i), fence, ids.get(i), 0));
        }
        for (Map.Entry<Member, List<Integer>> e : byPrimary.entrySet()) {
            List<Integer> idx = e.getValue();
            List<Messages.BatchRequest.Item> items = new ArrayList<>(idx.size());
            for (int i : idx) {
                items.add(new Messages.BatchRequest.Item(engine.partitioner.partitionOf(keys.get(i)), keys.get(i),
                        ops.get(i), ids.get(i)));
            }
            byte[] request = new Messages.BatchRequest(t.key, m.name, fence, items).encode();
            CompletableFuture<List<Reply>> replies = engine.membership
                    .request(e.getKey(), Messages.MAP_BATCH, request, engine.timeout)
                    .thenApply(Messages::decodeReplies)
                    .exceptionally(err -> retryable(err) ? Collections.nCopies(idx.size(), Reply.RETRY)
                            : rethrow(batchFailure(m, e.getKey(), idx.size(), err)));
            for (int k = 0; k < idx.size(); k++) {
                int i = idx.get(k);
                int pos = k;
                each.set(i, replies.thenCompose(rs -> {
                    Reply r = rs.get(pos);
                    if (r.status() == Status.OK) {
                        return CompletableFuture.completedFuture(r.decision());
                    }
                    RuntimeException refused = r.error();
                    if (refused != null) {
                        return CompletableFuture.failedFuture(refused);
                    }
                    return invoke(m, ops.get(i), keys.get(i), fence, ids.get(i), 1); // the batch may have applied it
                }));
            }
        }
        return Futures.allInOrder(each);
    }
}
