package dev.cairn.partition;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.cairn.GridClosedException;
import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.NoQuorumException;
import dev.cairn.membership.Futures;
import dev.cairn.membership.Member;
import dev.cairn.membership.Status;
import dev.cairn.membership.Wire;

/**
 * Operations over a whole map rather than one key: its size (summed over every member's primaries), clearing it
 * partition by partition on its primary, and destroying it.
 */
final class WholeMap {
    private final Engine engine;
    private final PrimaryPath primary;

    WholeMap(Engine engine, PrimaryPath primary) {
        this.engine = engine;
        this.primary = primary;
    }

    /** Sum of every member's primary entries. Approximate while partitions move. */
    CompletableFuture<Long> size(MapStores m) {
        String noQuorum = refusal(m, false);
        if (noQuorum != null) {
            return CompletableFuture.failedFuture(new NoQuorumException(noQuorum));
        }
        return allMembers(Messages.MAP_SIZE, new Wire.Out(64).str(m.name).toArray())
                .thenApply(replies -> replies.stream().mapToLong(r -> new Wire.In(r).i64()).sum());
    }

    /**
     * Clears the map in every partition, each as a write on its primary, ordered with the partition's other writes
     * on every copy; partitions whose primary answers retry (ownership moving) are tried again until the timeout.
     */
    CompletableFuture<Void> clear(MapStores m) {
        return clear(m, false);
    }

    /**
     * Destroys the map on every member: each partition's primary clears it and frees its store on every copy, in order
     * with the partition's writes; then every member forgets the map and removes its meters. A handle used afterwards
     * (on any member) makes the map anew, empty. Idempotent; a member that cannot be reached fails the call, and calling
     * it again finishes the job.
     */
    CompletableFuture<Void> destroy(MapStores m) {
        return clear(m, true).thenCompose(v -> allMembers(Messages.MAP_DESTROY, new Wire.Out(64).str(m.name).toArray()))
                .thenApply(replies -> null);
    }

    /** A MAP_DESTROY request: the last step of {@link #destroy} on this member. */
    byte[] onDestroy(byte[] payload) {
        engine.retire(new Wire.In(payload).str());
        return Status.OK.reply();
    }

    private CompletableFuture<Void> clear(MapStores m, boolean free) {
        String noQuorum = refusal(m, true);
        if (noQuorum != null) {
            return CompletableFuture.failedFuture(new NoQuorumException(noQuorum));
        }
        CompletableFuture<Void> out = new CompletableFuture<>();
        List<Integer> all = new ArrayList<>();
        for (int p = 0; p < engine.partitionCount; p++) {
            all.add(p);
        }
        clearRound(m, free, all, engine.clock.nanoTime() + engine.timeout.toNanos(), 0, out);
        return out;
    }

    private void clearRound(MapStores m, boolean free, List<Integer> partitions, long deadline, int tries,
                            CompletableFuture<Void> out) {
        Topology t = engine.topology;
        List<CompletableFuture<List<Integer>>> rounds = new ArrayList<>(); // each yields the partitions to try again
        if (t == null) {
            rounds.add(CompletableFuture.completedFuture(partitions));
        } else {
            Map<Member, List<Integer>> byPrimary = new HashMap<>();
            for (int p : partitions) {
                byPrimary.computeIfAbsent(t.primary(m.group.backups, p), k -> new ArrayList<>()).add(p);
            }
            for (Map.Entry<Member, List<Integer>> e : byPrimary.entrySet()) {
                List<Integer> ps = e.getValue();
                CompletableFuture<List<Reply>> replies;
                if (t.isSelf(e.getKey().name())) {
                    List<CompletableFuture<Reply>> local = ps.stream().map(p -> primary.clear(m, p, t.key, free)).toList();
                    replies = Futures.allInOrder(local);
                } else {
                    replies = engine.membership.request(e.getKey(), Messages.MAP_CLEAR,
                                    new Messages.ClearRequest(t.key, m.name, free, ps).encode(), engine.timeout)
                            .thenApply(Messages::decodeReplies)
                            .exceptionally(err -> Router.retryable(err) ? Collections.nCopies(ps.size(), Reply.RETRY)
                                    : Router.rethrow(err));
                }
                rounds.add(replies.thenApply(rs -> {
                    List<Integer> again = new ArrayList<>();
                    for (int i = 0; i < rs.size(); i++) {
                        if (rs.get(i).status() != Status.OK) {
                            again.add(ps.get(i));
                        }
                    }
                    return again;
                }));
            }
        }
        CompletableFuture.allOf(rounds.toArray(CompletableFuture[]::new)).whenComplete((v, error) -> {
            if (error != null) {
                out.completeExceptionally(Futures.unwrap(error));
                return;
            }
            List<Integer> again = rounds.stream().flatMap(f -> f.join().stream()).toList();
            if (again.isEmpty()) {
                out.complete(null);
            } else if (engine.clock.nanoTime() >= deadline) {
                out.completeExceptionally(new GridTimeoutException("map '" + m.name + "': " + again.size()
                        + " partitions had no ready primary within " + engine.timeout.toMillis() + " ms; the others"
                        + " were cleared"));
            } else {
                engine.retryLater(() -> clearRound(m, free, again, deadline, tries + 1, out), tries, out,
                        (free ? "destroying" : "clearing") + " map '" + m.name + "'");
            }
        });
    }

    byte[] onSize(byte[] payload) {
        return new Wire.Out(16).i64(engine.localEntries(new Wire.In(payload).str(), true)).toArray();
    }

    /** Why this node's side may not run a whole-map read (or write) of {@code m} now, or null. */
    private String refusal(MapStores m, boolean write) {
        Topology t = engine.topology;
        return t == null ? null : t.quorumRefusal(m.name, m.options, write);
    }

    /** Sends one request to every member of the view; the replies in the same order. */
    CompletableFuture<List<byte[]>> allMembers(short type, byte[] payload) {
        Topology t = engine.topology;
        if (t == null) {
            return CompletableFuture.failedFuture(new GridException("node '" + engine.self + "' has not joined yet"));
        }
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (Member m : t.byName.values()) {
            replies.add(engine.membership.request(m, type, payload, engine.timeout));
        }
        return Futures.allInOrder(replies);
    }
}
