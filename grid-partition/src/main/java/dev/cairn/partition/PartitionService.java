package dev.cairn.partition;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.StoreSizing;
import dev.cairn.membership.ClusterView;
import dev.cairn.membership.Member;
import dev.cairn.membership.Membership;
import dev.cairn.membership.MembershipListener;
import dev.cairn.membership.Status;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * The partitioned, replicated store of one node: its lifecycle and the wiring of its parts. Everything here is bytes;
 * grid-core turns objects into them. Where each mechanism lives (docs/partition-engine.md):
 * <ul>
 *   <li>{@link Topology}: a view's tables and the lock-group majority check; {@link Replica} and
 *       {@link ReplicaGroup}: one partition's state, version and monitor, and the group of them;
 *       {@link MapStores}: a map's stores; {@link FenceTable}, {@link Outcomes}: fences and recent write outcomes.</li>
 *   <li>{@link Router}: the calling side, routing, retry and deadlines; {@link PrimaryPath}: the primary's write path
 *       with its backup acknowledgements; {@link BackupPath}: applying writes on a backup.</li>
 *   <li>{@link Migration}: pulls, kept copies, the tick, when a copy may be dropped; {@link Transfer}: snapshots,
 *       pushes and the hand-off of a leaving node.</li>
 *   <li>{@link Op}: the operations; {@link Messages}, {@link Reply}, {@link Status}: the wire; {@link ChangeFeed}: the
 *       change feed; {@link PartitionMetrics}: meters.</li>
 * </ul>
 */
public final class PartitionService implements AutoCloseable {
    /** The period of the engine's tick (pulls, drops); the decisions it makes read the engine's clock. */
    private static final long TICK_MS = 200;
    private static final AtomicBoolean WARMED = new AtomicBoolean();
    /** Done once Chronicle has generated its code in this JVM (see {@link #warmUpStoreCode}). */
    private static final CompletableFuture<Void> WARM = new CompletableFuture<>();

    private final Engine engine;
    private final Router router;
    private final PrimaryPath primary;
    private final BackupPath backup;
    private final Transfer transfer;
    private final Migration migration;
    private final WholeMap wholeMap;
    private final Expirer expirer;
    private final CountDownLatch firstTable = new CountDownLatch(1);
    private final int defaultBackups;

    private PartitionService(Membership membership, PartitionSettings settings, MeterRegistry registry) {
        this.engine = new Engine(membership, settings, registry);
        this.primary = new PrimaryPath(engine);
        this.router = new Router(engine, primary);
        this.backup = new BackupPath(engine);
        this.transfer = new Transfer(engine);
        this.migration = new Migration(engine, transfer);
        this.wholeMap = new WholeMap(engine, primary);
        this.expirer = new Expirer(engine, primary);
        this.defaultBackups = settings.defaultBackups();
        engine.metrics.ownership(() -> ownedCount(true), () -> ownedCount(false));
    }

    /**
     * Creates the service on a membership that has not joined yet, registering its request handlers, so that no
     * request can arrive before they exist. It starts serving with the first view.
     */
    public static PartitionService create(Membership membership, PartitionSettings settings, MeterRegistry registry) {
        Objects.requireNonNull(membership, "membership");
        Objects.requireNonNull(settings, "settings");
        PartitionService s = new PartitionService(membership, settings, registry);
        Engine e = s.engine;
        membership.handleInline(Messages.MAP_OP, (from, payload) -> s.primary.onMapOp(payload));
        membership.handleInline(Messages.MAP_BATCH, (from, payload) -> s.primary.onBatch(payload));
        membership.handleInline(Messages.BACKUP, s.backup::onBackup);
        membership.handleInline(Messages.PUSH, (from, payload) -> CompletableFuture.completedFuture(s.transfer.onPush(from, payload)));
        membership.handle(Messages.PULL, (from, payload) -> CompletableFuture.completedFuture(s.transfer.onPull(from, payload)));
        membership.handle(Messages.MAP_SIZE, (from, payload) -> CompletableFuture.completedFuture(s.wholeMap.onSize(payload)));
        membership.handle(Messages.MAP_CLEAR, (from, payload) -> s.primary.onClear(payload));
        membership.handle(Messages.MAP_DESTROY, (from, payload) -> CompletableFuture.completedFuture(s.wholeMap.onDestroy(payload)));
        membership.handleInline(Messages.LEASE, (from, payload) -> CompletableFuture.completedFuture(Lease.answer(membership.view(), from, payload)));
        membership.handleInline(Messages.RESYNC, (from, payload) -> CompletableFuture.completedFuture(s.backup.onResync(from, payload)));
        membership.addListener(new MembershipListener() {
            @Override
            public void memberLeft(Member member, ClusterView view) {
                // it handed its copies off as it left: it holds none that a partition should wait for (decision 63)
                e.onTimer(() -> {
                    e.seenMembers.remove(member.name());
                    Topology t = e.topology;
                    e.membersMissing = t != null && !e.missingMembers(t).isEmpty();
                });
            }

            @Override
            public void viewChanged(ClusterView view) {
                e.onTimer(() -> s.install(view, List.of()));
            }

            @Override
            public void merged(ClusterView view, List<ClusterView> subgroups) {
                e.onTimer(() -> s.install(view, subgroups));
            }
        });
        e.timer.scheduleWithFixedDelay(s.migration::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        e.timer.scheduleWithFixedDelay(s.expirer::step, Expirer.STEP_MILLIS, Expirer.STEP_MILLIS, TimeUnit.MILLISECONDS);
        long renew = e.lease.renewEvery().toMillis();
        e.timer.scheduleWithFixedDelay(e.lease::renew, renew, renew, TimeUnit.MILLISECONDS);
        warmUpStoreCode();
        return s;
    }

    private void install(ClusterView view, List<ClusterView> subgroups) {
        Topology now = engine.topology;
        // a view that heals a split arrives as merged, then as changed: installed once, with its sides
        if (subgroups.isEmpty() && now != null && now.key == Topology.keyOf(view) && now.sides != null) {
            return;
        }
        migration.onView(view, subgroups);
        firstTable.countDown();
    }

    /**
     * Chronicle Map generates code for its first map in a JVM, which takes seconds here (DESIGN.md decision 12). Do it
     * once in the background at start, so that the first write does not pay it inside a partition's monitor on a
     * network thread.
     */
    private static void warmUpStoreCode() {
        if (WARMED.compareAndSet(false, true)) {
            Thread t = new Thread(() -> {
                try {
                    PartitionStore.create("warm-up", 0, 1, new StoreSizing(1, 8, 8)).close();
                    WARM.complete(null);
                } catch (RuntimeException | Error e) {
                    WARM.completeExceptionally(e);
                    throw e;
                }
            }, "cairn-store-warm-up");
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Waits until this node has its first table and (within the same patience, without failing if it takes longer)
     * its store code is generated, so that the first operations need not retry, nor pay seconds of code generation
     * inside a partition's monitor (which made the first writes on an idle cluster time out).
     */
    public void awaitReady(Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        try {
            if (!firstTable.await(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new GridTimeoutException("node '" + engine.self + "' has no partition table after "
                        + patience.toMillis() + " ms");
            }
            WARM.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GridException("interrupted waiting for the partition table", e);
        } catch (java.util.concurrent.TimeoutException e) {
            // a busy machine (several JVMs starting on two cores) can take longer: the node still starts, and the
            // first write pays what is left of the code generation
            org.slf4j.LoggerFactory.getLogger(PartitionService.class).debug("{}: store code still generating after {} ms",
                    engine.self, patience.toMillis());
        } catch (java.util.concurrent.ExecutionException e) {
            throw new GridException("node '" + engine.self + "': the off-heap store cannot start: " + e.getCause(),
                    e.getCause());
        }
    }

    /** The byte-level handle of a named map. */
    public ByteMap map(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > 200) {
            throw new IllegalArgumentException("map name must be 1 to 200 characters but was '" + name + "'");
        }
        return new ByteMap(router, wholeMap, engine.map(name));
    }

    /**
     * Subscribes to the change feed: every write this node applies as a primary, per partition in order, on a thread
     * of the feed's own. Closing the handle unsubscribes.
     */
    public AutoCloseable subscribe(Consumer<MapChange> subscriber) {
        return engine.changes.subscribe(Objects.requireNonNull(subscriber, "subscriber"));
    }

    /** The table for maps with this many backups, in the current view. */
    public PartitionTable table(int backupCount) {
        Topology t = engine.topology;
        if (t == null) {
            throw new GridException("node '" + engine.self + "' has not joined yet");
        }
        return t.table(backupCount);
    }

    public int partitionCount() {
        return engine.partitionCount;
    }

    /** The partition a key's bytes fall into. */
    public int partitionOf(byte[] key) {
        return engine.partitioner.partitionOf(key);
    }

    /** Whether this node holds the data of every partition it owns, for maps with this many backups. */
    public boolean settled(int backupCount) {
        Topology t = engine.topology;
        if (t == null) {
            return false;
        }
        for (Replica r : engine.groups[backupCount].replicas) {
            if (t.isOwner(backupCount, r.id)) {
                synchronized (r) {
                    if (r.state != Replica.State.COMPLETE) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /**
     * Hands {@code action} every entry of {@code map} in every partition this node owns (as primary or backup) and
     * holds complete: for operators and tests that compare the copies of a key across nodes. Copies kept from an
     * earlier ownership (until the new owners hold theirs) are left out. Each partition is read under its monitor, one
     * at a time, so the whole is not one snapshot.
     */
    public void forEachHeldEntry(String map, java.util.function.BiConsumer<byte[], byte[]> action) {
        MapStores m = engine.maps.get(map);
        Topology t = engine.topology;
        if (m == null || t == null) {
            return;
        }
        for (Replica r : m.group.replicas) {
            List<byte[][]> entries = new java.util.ArrayList<>();
            synchronized (r) {
                if (r.state == Replica.State.COMPLETE && m.stores[r.id] != null && t.isOwner(m.group.backups, r.id)) {
                    m.stores[r.id].forEach((k, e) -> entries.add(new byte[][] {k, e.value()}));
                }
            }
            entries.forEach(e -> action.accept(e[0], readable(map, e[1])));
        }
    }

    /**
     * A value of {@code map} as stored and published on the change feed, as a caller would read it: unpacked for a map
     * that compresses its values (null for null).
     */
    public byte[] readable(String map, byte[] stored) {
        MapStores m = engine.maps.get(map);
        return m == null || m.compression == null ? stored : m.compression.unpack(stored);
    }

    /** How many partition stores of {@code map} this node has open (copies it owns, receives or keeps). */
    public int storesHeld(String map) {
        return engine.storesHeld(map);
    }

    /** Entries of a map in the partitions this node is primary for (or holds at all). */
    long localEntries(String map, boolean primaryOnly) {
        return engine.localEntries(map, primaryOnly);
    }

    MapStores mapState(String name) {
        return engine.map(name);
    }

    Engine engine() {
        return engine;
    }

    private int ownedCount(boolean primaries) {
        Topology t = engine.topology;
        if (t == null) {
            return 0;
        }
        PartitionTable table = t.table(defaultBackups);
        return primaries ? table.partitionsOwnedBy(engine.self).size() : table.backupsHeldBy(engine.self).size();
    }

    /**
     * Stops serving (and taking backup writes), hands every partition this node owns to each owner of the next view
     * that does not already hold it, and waits (up to the request timeout) for the hand-offs to be acknowledged. Call
     * before leaving the view. Idempotent.
     */
    public void handOff() {
        transfer.handOff();
    }

    /** Frees every store and stops the engine's threads. */
    @Override
    public void close() {
        if (engine.closed) {
            return;
        }
        engine.closed = true;
        engine.timer.shutdownNow();
        engine.failWaitingToRetry();
        engine.changes.close();
        for (MapStores m : engine.maps.values()) {
            for (Replica r : m.group.replicas) {
                synchronized (r) {
                    m.closeStore(r.id);
                }
            }
        }
        engine.metrics.close();
    }
}
