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

    /** A MAP_SIZE request: this member's primary entries, or with a trailing 1, its statistics of the map. */
    byte[] onSize(byte[] payload) {
        Wire.In in = new Wire.In(payload);
        String map = in.str();
        if (in.more() && in.u8() == 1) {
            return statsOf(engine.map(map));
        }
        return new Wire.Out(16).i64(engine.localEntries(map, true)).toArray();
    }

    /** This node's statistics of {@code m} (issue 15). */
    dev.cairn.MapStats localStats(MapStores m) {
        return Stats.sum(List.of(statsOf(m)));
    }

    /** Every member's statistics of {@code m}, summed (latencies merged). */
    CompletableFuture<dev.cairn.MapStats> clusterStats(MapStores m) {
        return allMembers(Messages.MAP_SIZE, new Wire.Out(64).str(m.name).u8(1).toArray()).thenApply(Stats::sum);
    }

    private byte[] statsOf(MapStores m) {
        long[] held = engine.heldEntries(m.name);
        Wire.Out out = new Wire.Out(256).i64(held[0]).i64(held[1]).i64(held[2]);
        m.metrics.writeStats(out);
        return out.toArray();
    }

    /** Members' statistics, as {@link #statsOf} writes them, summed. */
    static final class Stats {
        private Stats() {
        }

        static dev.cairn.MapStats sum(List<byte[]> replies) {
            long[] sums = new long[13];
            org.HdrHistogram.Histogram hits = new org.HdrHistogram.Histogram(2);
            org.HdrHistogram.Histogram misses = new org.HdrHistogram.Histogram(2);
            hits.setAutoResize(true);
            misses.setAutoResize(true);
            for (byte[] r : replies) {
                Wire.In in = new Wire.In(r);
                for (int i = 0; i < sums.length; i++) {
                    sums[i] += in.i64();
                }
                for (org.HdrHistogram.Histogram into : List.of(hits, misses)) {
                    try {
                        into.add(org.HdrHistogram.Histogram.decodeFromCompressedByteBuffer(
                                java.nio.ByteBuffer.wrap(in.bytes()), 0));
                    } catch (java.util.zip.DataFormatException e) {
                        throw new GridException("a member's statistics could not be read: " + e.getMessage(), e);
                    }
                }
            }
            return new dev.cairn.MapStats(sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6], sums[7],
                    sums[8], sums[9], latency(hits), latency(misses), sums[10], sums[11], sums[12]);
        }

        private static dev.cairn.MapStats.Latency latency(org.HdrHistogram.Histogram h) {
            return h.getTotalCount() == 0 ? dev.cairn.MapStats.Latency.NONE : new dev.cairn.MapStats.Latency(
                    h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                    h.getValueAtPercentile(99.9), h.getMaxValue());
        }
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
