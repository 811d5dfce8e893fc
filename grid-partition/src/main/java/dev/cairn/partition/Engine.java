package dev.cairn.partition;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.cairn.Clock;
import dev.cairn.GridClosedException;
import dev.cairn.MapOptions;
import dev.cairn.membership.Member;
import dev.cairn.membership.Membership;

/**
 * What the parts of one node's partition engine share: the membership, the settings, the clock, the partition thread,
 * the current {@link Topology}, the replica groups and the maps. The mechanisms ({@link Router}, {@link PrimaryPath},
 * {@link BackupPath}, {@link Migration}, {@link Transfer}) each hold one and nothing else in common.
 */
final class Engine {
    final Membership membership;
    final String self;
    final int partitionCount;
    final Duration timeout;
    final Clock clock;
    final Partitioner partitioner;
    final List<String> fenceQuorum;
    final ReplicaGroup[] groups = new ReplicaGroup[MapOptions.MAX_BACKUP_COUNT + 1];
    final Map<String, MapStores> maps = new ConcurrentHashMap<>();
    final PartitionMetrics metrics;
    final ChangeFeed changes;
    /** Whether this node may answer from its copies in its view (decision 62). */
    final Lease lease;
    /** The partition thread: views, the periodic tick, retries' backoff. */
    final ScheduledExecutorService timer;
    /** Operations waiting on {@link #timer} to retry, and what each is: failed if the engine closes meanwhile. */
    private final Map<CompletableFuture<?>, String> waitingToRetry = new ConcurrentHashMap<>();
    private final PartitionSettings settings;
    volatile Topology topology;
    /** Set when this node starts handing its partitions off; read under a replica's monitor where it matters. */
    volatile boolean leaving;
    volatile boolean closed;
    /** The name of every member this node has seen in a view: those missing from the current one may hold copies. */
    final Set<String> seenMembers = ConcurrentHashMap.newKeySet();
    /**
     * Whether members this node has seen are missing from its view: removes then leave tombstones (decision 67). Set on
     * the partition thread as views arrive and members leave.
     */
    volatile boolean membersMissing;
    /**
     * Since when (epoch milliseconds, less the failure timeout it took to notice, and a second for clock skew) members
     * have been missing; 0 while none are. A merge takes from this side only what it wrote since (decision 67).
     */
    volatile long splitSince = NO_SPLIT;
    /** {@link #splitSince} while this node has seen no member missing since its last whole view. */
    static final long NO_SPLIT = Long.MAX_VALUE;
    /** The key of the view before the current one ({@link Topology#keyOf}), 0 before the second view. */
    volatile long previousKey;
    /**
     * When a piece of a snapshot last arrived here, from any member (clock nanoseconds): while pieces arrive, a pull
     * still waiting its turn behind the others is not stalled (issue 13, defect 4).
     */
    volatile long snapshotsMoved;

    Engine(Membership membership, PartitionSettings settings, io.micrometer.core.instrument.MeterRegistry registry) {
        this.membership = membership;
        this.settings = settings;
        this.self = membership.settings().nodeName();
        this.partitionCount = settings.partitionCount();
        this.timeout = settings.requestTimeout();
        this.clock = settings.clock();
        this.partitioner = new Partitioner(partitionCount);
        this.fenceQuorum = List.copyOf(settings.fenceQuorum());
        this.metrics = new PartitionMetrics(registry, self, map -> localEntries(map, true), this::offHeapBytes);
        this.changes = new ChangeFeed(self);
        this.lease = new Lease(this, membership.settings().failureTimeout(), System::nanoTime);
        for (int b = 0; b < groups.length; b++) {
            groups[b] = new ReplicaGroup(b, partitionCount);
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-partitions-" + self);
            t.setDaemon(true);
            return t;
        });
    }

    MapStores map(String name) {
        return maps.computeIfAbsent(name, n -> {
            MapOptions options = settings.optionsFor().apply(n);
            return new MapStores(n, options, groups[options.backupCount()], partitionCount, metrics, clock);
        });
    }

    /** {@code m}, or the map of its name now if {@code m} was destroyed since it was looked up. */
    MapStores current(MapStores m) {
        return m.destroyed ? map(m.name) : m;
    }

    /**
     * The last step of destroying a map on this node, after every partition's primary freed its stores in order with
     * the partition's writes: frees what copies are left from earlier ownerships, then forgets the map and removes its
     * meters, unless a write since the destroy made the map anew. Runs holding every replica monitor of the map's group
     * (for microseconds), so no operation sees the map half forgotten; one that looked it up before finds it
     * {@link MapStores#destroyed} under the monitor and looks it up again.
     */
    void retire(String name) {
        MapStores m = maps.get(name);
        if (m != null) {
            underEveryMonitor(m.group.replicas, 0, () -> {
                Topology t = topology;
                boolean written = false;
                for (Replica r : m.group.replicas) {
                    boolean current = r.state == Replica.State.COMPLETE
                            && (r.handedOff || t != null && t.isOwner(m.group.backups, r.id));
                    if (m.stores[r.id] != null && current) {
                        written = true; // a write after the destroy's
                    } else {
                        m.closeStore(r.id);
                    }
                }
                if (!written) {
                    m.metrics.close(); // before the map is forgotten: its next object registers meters of these names
                    m.destroyed = true;
                    maps.remove(name, m);
                }
            });
        }
    }

    private static void underEveryMonitor(Replica[] replicas, int i, Runnable action) {
        if (i == replicas.length) {
            action.run();
            return;
        }
        synchronized (replicas[i]) {
            underEveryMonitor(replicas, i + 1, action);
        }
    }

    /**
     * The replica of partition {@code p} of the maps with {@code backups} backups, or null when a peer's message names
     * a group or partition this node does not have (a malformed message).
     */
    Replica replica(int backups, int p) {
        return backups < 0 || backups >= groups.length || p < 0 || p >= partitionCount ? null : groups[backups].replica(p);
    }

    /**
     * Whether members this node has seen are missing from {@code t}'s view while it holds fewer than the expected
     * members: they may hold copies no member of the view has (decision 63). Members never seen hold nothing.
     */
    boolean missesHolders(Topology t) {
        return t.missesMembers() && !missingMembers(t).isEmpty();
    }

    /** The members this node has seen (and that did not leave gracefully) missing from {@code t}'s view. */
    List<String> missingMembers(Topology t) {
        List<String> missing = new java.util.ArrayList<>(seenMembers);
        missing.removeAll(t.byName.keySet());
        return missing;
    }

    /**
     * A topology for a view of this node (this incarnation); for a view that healed a split, with the sides it merged
     * ({@link #sidesOf}).
     */
    Topology topologyOf(dev.cairn.membership.ClusterView view, List<dev.cairn.membership.ClusterView> subgroups) {
        Member local = membership.localMember();
        return new Topology(view, local, partitionCount, fenceQuorum, membership.settings().expectedMembers(),
                subgroups.isEmpty() ? null : sidesOf(subgroups));
    }

    /**
     * The sides a merged view joined: each member on exactly one, the largest side first (on a tie, the one whose
     * first name sorts first), as every member orders them alike. A subgroup's view can still list members that left
     * it: a node paused past the failure timeout comes back with the view it had, listing everyone, while the others
     * moved on to views without it. A member belongs to the newest view that lists it (its own: views only grow along a
     * member's history), so the paused node is a side of one, not a side that holds every copy, its own included.
     */
    static List<Set<String>> sidesOf(List<dev.cairn.membership.ClusterView> subgroups) {
        return sidesOfNames(subgroups.stream()
                .sorted(java.util.Comparator.comparingLong(dev.cairn.membership.ClusterView::id).reversed())
                .map(dev.cairn.membership.ClusterView::names).toList());
    }

    /** {@link #sidesOf} of each subgroup's members' names, the newest view first. */
    static List<Set<String>> sidesOfNames(List<List<String>> newestFirst) {
        Set<String> placed = new java.util.HashSet<>();
        List<Set<String>> sides = new java.util.ArrayList<>();
        for (List<String> names : newestFirst) {
            java.util.TreeSet<String> side = new java.util.TreeSet<>();
            for (String name : names) {
                if (placed.add(name)) {
                    side.add(name);
                }
            }
            if (!side.isEmpty()) {
                sides.add(side);
            }
        }
        sides.sort(java.util.Comparator.<Set<String>>comparingInt(Set::size).reversed()
                .thenComparing(s -> ((java.util.TreeSet<String>) s).first()));
        return sides;
    }

    /** The stores of partition {@code p} of every map of group {@code g} here, by map name (a value may be null). */
    java.util.Map<String, PartitionStore> storesOf(ReplicaGroup g, int p) {
        java.util.Map<String, PartitionStore> stores = new java.util.HashMap<>();
        for (MapStores m : maps.values()) {
            if (m.group == g) {
                stores.put(m.name, m.stores[p]);
            }
        }
        return stores;
    }

    /** How long a write's outcome is kept for its retries: past the longest a caller retries (its request timeout). */
    long outcomeRetentionNanos() {
        return 2 * timeout.toNanos() + Duration.ofSeconds(1).toNanos();
    }

    /** How long a copy this node no longer owns is kept at least, before it asks whether the owners hold it. */
    long dropGraceNanos() {
        return settings.dropGrace().toNanos();
    }

    /**
     * Runs {@code retry} on the partition thread after a backoff that grows with {@code tries} (0.5 ms doubling, at
     * most 100 ms). If the engine closes first, {@code out} fails at once with {@link GridClosedException} naming
     * {@code what} was under way, rather than never completing.
     */
    void retryLater(Runnable retry, int tries, CompletableFuture<?> out, String what) {
        waitingToRetry.put(out, what);
        try {
            timer.schedule(() -> {
                if (waitingToRetry.remove(out) != null) {
                    retry.run();
                }
            }, Math.min(100_000, 500L << Math.min(tries, 8)), TimeUnit.MICROSECONDS);
        } catch (RejectedExecutionException closing) {
            // closed: failed just below
        }
        if (closed) {
            failWaitingToRetry();
        }
    }

    /** Fails every operation waiting to retry: the engine is closed and the partition thread is gone. */
    void failWaitingToRetry() {
        for (Map.Entry<CompletableFuture<?>, String> e : waitingToRetry.entrySet()) {
            if (waitingToRetry.remove(e.getKey()) != null) {
                e.getKey().completeExceptionally(new GridClosedException("node '" + self + "' closed while "
                        + e.getValue() + " was waiting to retry"));
            }
        }
    }

    /** Runs on the partition thread, unless the engine is closed (a view may arrive while it closes). */
    void onTimer(Runnable task) {
        try {
            timer.execute(task);
        } catch (RejectedExecutionException e) {
            if (!closed) {
                throw e;
            }
        }
    }

    /** Entries of a map in the partitions this node is primary for (or holds at all). */
    long localEntries(String map, boolean primaryOnly) {
        MapStores m = maps.get(map);
        Topology t = topology;
        if (m == null || t == null) {
            return 0;
        }
        long n = 0;
        for (Replica r : m.group.replicas) {
            if (primaryOnly && !t.isPrimary(m.group.backups, r.id)) {
                continue;
            }
            synchronized (r) {
                if (r.state == Replica.State.COMPLETE && m.stores[r.id] != null) {
                    n += m.stores[r.id].size();
                }
            }
        }
        return n;
    }

    /**
     * This node's complete copies of {@code map}: entries of the partitions it is primary for, entries of the others,
     * and the bytes of all of them (keys, headers, values).
     */
    long[] heldEntries(String map) {
        MapStores m = maps.get(map);
        Topology t = topology;
        long[] held = new long[3];
        if (m == null || t == null) {
            return held;
        }
        for (Replica r : m.group.replicas) {
            synchronized (r) {
                PartitionStore store = m.stores[r.id];
                if (r.state == Replica.State.COMPLETE && store != null) {
                    held[t.isPrimary(m.group.backups, r.id) ? 0 : 1] += store.size();
                    held[2] += store.entryBytes();
                }
            }
        }
        return held;
    }

    /** Partition stores of a map open on this node: the copies it holds, and those it is receiving. */
    int storesHeld(String map) {
        MapStores m = maps.get(map);
        int n = 0;
        if (m != null) {
            for (Replica r : m.group.replicas) {
                synchronized (r) {
                    n += (m.stores[r.id] == null ? 0 : 1) + (r.incoming != null && r.incoming.containsKey(map) ? 1 : 0);
                }
            }
        }
        return n;
    }

    long offHeapBytes(String map) {
        MapStores m = maps.get(map);
        if (m == null) {
            return 0;
        }
        long n = 0;
        for (Replica r : m.group.replicas) {
            synchronized (r) {
                if (m.stores[r.id] != null) {
                    n += m.stores[r.id].offHeapBytes();
                }
            }
        }
        return n;
    }
}
