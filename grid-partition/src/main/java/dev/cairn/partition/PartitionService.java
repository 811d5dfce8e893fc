package dev.cairn.partition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.GridClosedException;
import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.MemberUnreachableException;
import dev.cairn.NoQuorumException;
import dev.cairn.membership.ClusterView;
import dev.cairn.membership.Member;
import dev.cairn.membership.Membership;
import dev.cairn.membership.MembershipListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * The partitioned, replicated store of one node: routes each operation to its partition's primary, replicates writes to
 * the backups, and moves partitions when the view changes. Everything here is bytes; grid-core turns objects into them.
 *
 * <h2>How it stays correct</h2>
 * <ul>
 *   <li><b>Ownership is computed.</b> Every node derives the same {@link PartitionTable} from the view. Maps with the
 *       same backup count share one table and one set of partition states (a {@link Group}).</li>
 *   <li><b>Writes.</b> The primary decides a write under the partition's lock, applies it, and sends it to the backups
 *       <em>ordered</em> (FIFO from primary to backup) while still holding the lock, so backups apply writes in the
 *       primary's order. In synchronous mode the caller is answered after every backup in the view acknowledged it. A
 *       backup applies a write only when it comes from the primary of the backup's own current view; otherwise it
 *       answers stale and the caller retries.</li>
 *   <li><b>Stale routing.</b> A request carries the sender's view; a node that is on another view, is not the
 *       primary, or does not yet hold the partition's data answers retry, and the caller retries with backoff until
 *       its request timeout.</li>
 *   <li><b>Moving data.</b> After a view change, a node that owns a partition it does not hold pulls it: from the
 *       primary, or, when it is the new primary itself, from whichever member holds it. The holder sends a snapshot
 *       (begin, chunks, end) under the partition's lock, ordered, on the same channel as later writes, so the receiver
 *       ends up with the snapshot plus every write after it. Until then it answers retry.</li>
 *   <li><b>Leaving.</b> A node that closes stops serving, hands each partition it holds to the next view's primary
 *       when that member does not already hold it, and only then leaves the view.</li>
 * </ul>
 */
public final class PartitionService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PartitionService.class);

    static final short MAP_OP = 10;
    static final short MAP_BATCH = 11;
    static final short BACKUP = 12;
    static final short PUSH = 13;
    static final short MAP_SIZE = 14;
    static final short MAP_CLEAR = 15;
    static final short PULL = 16;

    // replies
    static final int OK = 0;
    static final int RETRY = 1;
    static final int FULL = 2;
    static final int STALE = 3;
    static final int NONE = 4;
    static final int PUSHING = 5;
    static final int STALE_FENCE = 6;
    static final int NO_QUORUM = 7;

    // pull modes
    private static final int QUERY = 0;
    private static final int SEND = 1;

    // push message kinds
    private static final int BEGIN = 0;
    private static final int CHUNK = 1;
    private static final int END = 2;

    private static final int CHUNK_BYTES = 64 * 1024;
    private static final long DROP_GRACE_MS = 10_000;
    private static final long RELEASE_ASK_MS = 1_000;

    private final Membership membership;
    private final int partitionCount;
    private final Duration timeout;
    private final Function<String, MapOptions> optionsFor;
    /** A majority of these names must be in a primary's view for it to apply a fenced write (the lock group). */
    private final List<String> fenceQuorum;
    private final Partitioner partitioner;
    private final Group[] groups = new Group[PartitionTable.MAX_BACKUP_COUNT + 1];
    private final Map<String, MapState> maps = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final Counter partitionsMoved;
    private final Counter bytesMoved;
    private final Timer moveTime;
    private final String self;
    private final java.util.concurrent.CountDownLatch firstTable = new java.util.concurrent.CountDownLatch(1);
    private final int defaultBackups;
    private volatile Topology topology;
    private volatile boolean leaving;
    private volatile boolean closed;

    /** The view as this node sees it, with the member objects by name and the tables derived from it. */
    private final class Topology {
        final ClusterView view;
        final long key;
        final Map<String, Member> byName = new HashMap<>();
        final PartitionTable[] tables = new PartitionTable[PartitionTable.MAX_BACKUP_COUNT + 1];
        /** How many of the lock group ({@code fenceQuorum}) are in this view; fenced writes need a majority. */
        final long fenceQuorumSeen;

        Topology(ClusterView view) {
            this.view = view;
            for (Member m : view.members()) {
                byName.put(m.name(), m); // a restarted node's newer incarnation comes later in the view and wins
            }
            this.key = viewKey(view);
            List<String> names = List.copyOf(byName.keySet());
            for (int b = 0; b < tables.length; b++) {
                tables[b] = PartitionTable.compute(view.id(), names, partitionCount, b);
            }
            this.fenceQuorumSeen = fenceQuorum.stream().filter(byName::containsKey).count();
        }

        boolean takesFencedWrites() {
            return fenceQuorum.isEmpty() || fenceQuorumSeen > fenceQuorum.size() / 2;
        }

        PartitionTable table(int backups) {
            return tables[backups];
        }
    }

    /** Partitions of the maps that share one backup count, as this node holds them. */
    static final class Group {
        final int backups;
        final Part[] parts;

        Group(int backups, int partitionCount) {
            this.backups = backups;
            this.parts = new Part[partitionCount];
            for (int p = 0; p < partitionCount; p++) {
                parts[p] = new Part(p);
            }
        }
    }

    /**
     * What this node has of a partition. {@code KEPT} is a copy from an earlier ownership that may have missed writes
     * since: it serves nothing, but other members may pull it (the freshest copy wins) until its owners hold the
     * partition, so a crash while new owners rebuild their copies does not lose what the old ones held.
     */
    enum State { NONE, RECEIVING, KEPT, COMPLETE }

    /** One partition of a group on this node. Its monitor orders writes and snapshots. */
    static final class Part {
        final int id;
        State state = State.NONE;
        long version;
        /** The pull this node is waiting on (0 when none) and the push being received for it. */
        long expectedPush;
        long pullStarted;
        Member incomingFrom;
        Map<String, PartitionStore> incoming;
        long incomingBytes;
        /** The highest version of the writes applied on top of the snapshot being received. */
        long incomingVersion;
        long notOwnedSince;
        /** Received from a member that was leaving: the freshest copy, kept through the next view. */
        boolean handedOff;
        /** The highest fence seen per lock for writes to this partition (DESIGN.md decision 6). */
        final java.util.TreeMap<String, Long> fences = new java.util.TreeMap<>();
        /**
         * Backup writes from the primary that arrived before this node held the partition: each is answered once the
         * snapshot being pulled from that primary (which includes it) is installed, so an acknowledged write is held
         * by every live backup, not only by a primary that may crash before the backup's copy is built.
         */
        final List<PendingBackup> awaitingCopy = new ArrayList<>();
        /** When this node, holding a copy it does not own, last asked the owners whether they hold it (0: never). */
        long releaseAsked;

        Part(int id) {
            this.id = id;
        }

        boolean holdsCopy() {
            return state == State.COMPLETE || state == State.KEPT;
        }

        /** Answers the backup writes waiting for this partition's copy: held if it came from their sender. */
        void answerAwaiting(Member copiedFrom) {
            for (PendingBackup w : awaitingCopy) {
                w.reply().complete(new byte[] {(byte) (w.from().equals(copiedFrom) ? OK : STALE)});
            }
            awaitingCopy.clear();
        }
    }

    /** A backup write waiting for this node to hold its partition, and the member that sent it. */
    record PendingBackup(Member from, CompletableFuture<byte[]> reply) {
    }

    /** One named map on this node: its options, group and per-partition stores. */
    final class MapState {
        final String name;
        final MapOptions options;
        final Group group;
        final PartitionStore[] stores;
        final MapMetrics metrics;

        MapState(String name, MapOptions options) {
            this.name = name;
            this.options = options;
            this.group = groups[options.backupCount()];
            this.stores = new PartitionStore[partitionCount];
            this.metrics = new MapMetrics(name);
        }

        /** The live store of a partition, created on first write. Call with the partition's monitor held. */
        PartitionStore store(int p) {
            if (stores[p] == null) {
                stores[p] = PartitionStore.create(name, p, partitionCount, options.sizing());
            }
            return stores[p];
        }
    }

    /** Per-map meters: operations, hits and misses, latency, entries and off-heap bytes held here as primary. */
    final class MapMetrics {
        final Counter gets;
        final Counter puts;
        final Counter removes;
        final Counter hits;
        final Counter misses;
        final Timer latency;

        MapMetrics(String map) {
            Tags tags = Tags.of("node", self, "map", map);
            gets = counter("cairn.map.gets", tags);
            puts = counter("cairn.map.puts", tags);
            removes = counter("cairn.map.removes", tags);
            hits = counter("cairn.map.hits", tags);
            misses = counter("cairn.map.misses", tags);
            latency = Timer.builder("cairn.map.latency").tags(tags).description("Operation latency seen by callers")
                    .publishPercentiles(0.5, 0.99).register(registry);
            meters.add(latency);
            meters.add(Gauge.builder("cairn.map.entries", () -> localEntries(map, true)).tags(tags)
                    .description("Entries in partitions this node is primary for").register(registry));
            meters.add(Gauge.builder("cairn.map.offheap.bytes", () -> offHeapBytes(map)).tags(tags).baseUnit("bytes")
                    .description("Off-heap bytes of this map's stores on this node").register(registry));
        }

        void record(MapOp op, long nanos, boolean flag) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
            switch (op) {
                case GET, CONTAINS -> {
                    gets.increment();
                    (flag ? hits : misses).increment();
                }
                case REMOVE, REMOVE_IF_EQUALS -> removes.increment();
                default -> puts.increment();
            }
        }
    }

    private Counter counter(String name, Tags tags) {
        Counter c = Counter.builder(name).tags(tags).register(registry);
        meters.add(c);
        return c;
    }

    private PartitionService(Membership membership, int partitionCount, int defaultBackups, Duration timeout,
                             Function<String, MapOptions> optionsFor, List<String> fenceQuorum, MeterRegistry registry) {
        this.membership = membership;
        this.fenceQuorum = List.copyOf(fenceQuorum);
        this.defaultBackups = defaultBackups;
        this.partitionCount = partitionCount;
        this.timeout = timeout;
        this.optionsFor = optionsFor;
        this.registry = registry;
        this.partitioner = new Partitioner(partitionCount);
        this.self = membership.settings().nodeName();
        for (int b = 0; b < groups.length; b++) {
            groups[b] = new Group(b, partitionCount);
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-partitions-" + self);
            t.setDaemon(true);
            return t;
        });
        Tags tags = Tags.of("node", self);
        partitionsMoved = counter("cairn.partitions.moved", tags);
        bytesMoved = counter("cairn.partitions.moved.bytes", tags);
        moveTime = Timer.builder("cairn.partitions.move.time").tags(tags).register(registry);
        meters.add(moveTime);
        meters.add(Gauge.builder("cairn.partitions.primary", () -> ownedCount(true)).tags(tags).register(registry));
        meters.add(Gauge.builder("cairn.partitions.backup", () -> ownedCount(false)).tags(tags).register(registry));
    }

    /**
     * Creates the service on a membership that has not joined yet, registering its request handlers, so that no
     * request can arrive before they exist. It starts serving with the first view.
     *
     * @param defaultBackups the backup count of maps without options of their own, for the ownership gauges
     * @param optionsFor     the options of a named map; called once per map name on this node
     * @param fenceQuorum    the members that hand out fences (the lock group; empty for none): a primary applies a
     *                       fenced write only while a majority of them is in its view. The side of a split that cannot
     *                       see that majority cannot learn of newer fences, so it must not accept an old holder's write
     */
    public static PartitionService create(Membership membership, int partitionCount, int defaultBackups,
                                          Duration requestTimeout, Function<String, MapOptions> optionsFor,
                                          List<String> fenceQuorum, MeterRegistry registry) {
        Objects.requireNonNull(membership, "membership");
        PartitionService s = new PartitionService(membership, partitionCount, defaultBackups, requestTimeout, optionsFor,
                fenceQuorum, registry);
        membership.handleInline(MAP_OP, (from, payload) -> s.onMapOp(payload));
        membership.handleInline(MAP_BATCH, (from, payload) -> s.onBatch(payload));
        membership.handleInline(BACKUP, s::onBackup);
        membership.handleInline(PUSH, (from, payload) -> CompletableFuture.completedFuture(s.onPush(from, payload)));
        membership.handle(PULL, (from, payload) -> CompletableFuture.completedFuture(s.onPull(from, payload)));
        membership.handle(MAP_SIZE, (from, payload) -> CompletableFuture.completedFuture(s.onSize(payload)));
        membership.handle(MAP_CLEAR, (from, payload) -> CompletableFuture.completedFuture(s.onClear(payload)));
        membership.addListener(new MembershipListener() {
            @Override
            public void viewChanged(ClusterView view) {
                s.onTimer(() -> s.onView(view, false));
            }

            @Override
            public void merged(ClusterView view, List<ClusterView> subgroups) {
                s.onTimer(() -> s.onView(view, true));
            }
        });
        s.timer.scheduleWithFixedDelay(s::tick, 200, 200, TimeUnit.MILLISECONDS);
        warmUpStoreCode();
        return s;
    }

    /**
     * Chronicle Map generates code for its first map in a JVM, which takes seconds here (DESIGN.md decision 12). Do it
     * once in the background at start, so that the first write does not pay it inside a partition's monitor on a
     * network thread.
     */
    private static void warmUpStoreCode() {
        if (WARMED.compareAndSet(false, true)) {
            Thread t = new Thread(() -> PartitionStore.create("warm-up", 0, 1, new StoreSizing(1, 8, 8)).close(),
                    "cairn-store-warm-up");
            t.setDaemon(true);
            t.start();
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARMED = new java.util.concurrent.atomic.AtomicBoolean();

    /** Runs on the partition thread, unless this service is closed (a view may arrive while it closes). */
    private void onTimer(Runnable task) {
        try {
            timer.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (!closed) {
                throw e;
            }
        }
    }

    /** Waits until this node has its first table, so that the first operations need not retry. */
    public void awaitReady(Duration patience) {
        try {
            if (!firstTable.await(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new GridTimeoutException("node '" + self + "' has no partition table after " + patience.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GridException("interrupted waiting for the partition table", e);
        }
    }

    /** The byte-level handle of a named map. */
    public ByteMap map(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > 200) {
            throw new IllegalArgumentException("map name must be 1 to 200 characters but was '" + name + "'");
        }
        return new ByteMap(this, mapState(name));
    }

    MapState mapState(String name) {
        return maps.computeIfAbsent(name, n -> new MapState(n, optionsFor.apply(n)));
    }

    /** The table for maps with this many backups, in the current view. */
    public PartitionTable table(int backupCount) {
        Topology t = topology;
        if (t == null) {
            throw new GridException("node '" + self + "' has not joined yet");
        }
        return t.table(backupCount);
    }

    public int partitionCount() {
        return partitionCount;
    }

    /** The partition a key's bytes fall into. */
    public int partitionOf(byte[] key) {
        return partitioner.partitionOf(key);
    }

    /** Whether this node holds the data of every partition it owns, for maps with this many backups. */
    public boolean settled(int backupCount) {
        Topology t = topology;
        if (t == null) {
            return false;
        }
        PartitionTable table = t.table(backupCount);
        Group g = groups[backupCount];
        for (int p = 0; p < partitionCount; p++) {
            if (table.owners(p).contains(self)) {
                synchronized (g.parts[p]) {
                    if (g.parts[p].state != State.COMPLETE) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------ client side

    /** Result of one operation at the primary. */
    record Result(int status, MapOp.Decision decision, String message) {
        static final Result RETRY_RESULT = new Result(RETRY, null, null);
    }

    /** Runs one operation on the key's primary, retrying while ownership moves, until the request timeout. */
    CompletableFuture<MapOp.Decision> invoke(MapState m, MapOp op, byte[] key, byte[] value, byte[] expected) {
        return invoke(m, op, key, value, expected, null);
    }

    /** {@link #invoke} for a write that carries a lock's fence. */
    CompletableFuture<MapOp.Decision> invoke(MapState m, MapOp op, byte[] key, byte[] value, byte[] expected, Fence fence) {
        if (closed) {
            return CompletableFuture.failedFuture(new GridClosedException("node '" + self + "' is closed"));
        }
        CompletableFuture<MapOp.Decision> out = new CompletableFuture<>();
        long start = System.nanoTime();
        attempt(m, op, partitioner.partitionOf(key), key, value, expected, fence, out, start, start + timeout.toNanos(), 0);
        return out.whenComplete((d, e) -> {
            if (d != null) {
                m.metrics.record(op, System.nanoTime() - start, d.flag());
            }
        });
    }

    private void attempt(MapState m, MapOp op, int p, byte[] key, byte[] value, byte[] expected, Fence fence,
                         CompletableFuture<MapOp.Decision> out, long start, long deadline, int tries) {
        if (closed) {
            out.completeExceptionally(new GridClosedException("node '" + self + "' closed while an operation on map '"
                    + m.name + "' was under way"));
            return;
        }
        Topology t = topology;
        CompletableFuture<Result> result;
        if (t == null) {
            result = CompletableFuture.completedFuture(Result.RETRY_RESULT);
        } else {
            PartitionTable table = t.table(m.group.backups);
            String primary = table.primary(p);
            if (op.read && m.options.readBackups() && !primary.equals(self) && table.owners(p).contains(self)) {
                result = CompletableFuture.completedFuture(readLocal(m, op, p, key));
            } else if (primary.equals(self)) {
                result = executeAsPrimary(m, op, p, key, value, expected, fence, t.key);
            } else {
                Member target = t.byName.get(primary);
                Wire.Out request = new Wire.Out(key.length + (value == null ? 0 : value.length) + 64)
                        .u8(op.ordinal()).i64(t.key).str(m.name).i32(p).bytes(key).bytes(value).bytes(expected);
                byte[] payload = writeFence(request, fence).toArray();
                long left = Math.max(1, deadline - System.nanoTime());
                result = membership.request(target, MAP_OP, payload, Duration.ofNanos(left))
                        .thenApply(PartitionService::decodeResult)
                        .exceptionally(e -> retryable(e) ? Result.RETRY_RESULT : rethrow(e));
            }
        }
        result.whenComplete((r, e) -> {
            GridException refused = e == null ? refusal(r) : null;
            if (e != null) {
                out.completeExceptionally(e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e);
            } else if (r.status() == OK) {
                out.complete(r.decision());
            } else if (refused != null) {
                out.completeExceptionally(refused);
            } else if (System.nanoTime() < deadline) {
                long delayMicros = Math.min(100_000, 500L << Math.min(tries, 8));
                try {
                    timer.schedule(() -> attempt(m, op, p, key, value, expected, fence, out, start, deadline, tries + 1),
                            delayMicros, TimeUnit.MICROSECONDS);
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    out.completeExceptionally(new GridClosedException("node '" + self + "' closed while an operation on map '"
                            + m.name + "' was waiting to retry"));
                }
            } else {
                out.completeExceptionally(new GridTimeoutException("map '" + m.name + "': partition " + p
                        + " had no ready primary within " + TimeUnit.NANOSECONDS.toMillis(deadline - start)
                        + " ms (" + (tries + 1) + " tries while ownership moved); the operation did not take effect"
                        + " unless an earlier try timed out after reaching the primary"));
            }
        });
    }

    /** The error a primary's refusal means for the caller (the call is not tried again), or null for none. */
    private static GridException refusal(Result r) {
        return switch (r.status()) {
            case FULL -> new StoreFullException(r.message(), null);
            case STALE_FENCE -> new StaleFenceException(r.message());
            case NO_QUORUM -> new NoQuorumException(r.message());
            default -> null;
        };
    }

    private static boolean retryable(Throwable e) {
        Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        return c instanceof MemberUnreachableException;
    }

    private static Result rethrow(Throwable e) {
        Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (c instanceof RuntimeException r) {
            throw r;
        }
        throw new GridException(c.toString(), c);
    }

    /** A fence on the wire: the lock's name (null for none) and the token. */
    private static Wire.Out writeFence(Wire.Out out, Fence fence) {
        return out.bytes(fence == null ? null : fence.lock().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .i64(fence == null ? 0 : fence.token());
    }

    private static Fence readFence(Wire.In in) {
        byte[] lock = in.bytes();
        long token = in.i64();
        return lock == null ? null : new Fence(new String(lock, java.nio.charset.StandardCharsets.UTF_8), token);
    }

    private static Result decodeResult(byte[] reply) {
        Wire.In in = new Wire.In(reply);
        int status = in.u8();
        if (status == OK) {
            boolean flag = in.u8() == 1;
            byte[] returned = in.bytes();
            return new Result(OK, MapOp.Decision.keep(returned, flag), null);
        }
        if (status == FULL || status == STALE_FENCE || status == NO_QUORUM) {
            return new Result(status, null, in.str());
        }
        return Result.RETRY_RESULT;
    }

    private static byte[] encodeResult(Result r) {
        if (r.status() == OK) {
            return new Wire.Out(16 + (r.decision().returned() == null ? 0 : r.decision().returned().length))
                    .u8(OK).u8(r.decision().flag() ? 1 : 0).bytes(r.decision().returned()).toArray();
        }
        if (r.status() == FULL || r.status() == STALE_FENCE || r.status() == NO_QUORUM) {
            return new Wire.Out(64).u8(r.status()).str(r.message()).toArray();
        }
        return new byte[] {(byte) r.status()};
    }

    private Result readLocal(MapState m, MapOp op, int p, byte[] key) {
        Part part = m.group.parts[p];
        synchronized (part) { // a push may swap or close the store: read under the monitor
            if (part.state != State.COMPLETE) {
                return Result.RETRY_RESULT;
            }
            PartitionStore store = m.stores[p];
            return new Result(OK, op.decide(store == null ? null : store.get(key), null, null), null);
        }
    }

    // ------------------------------------------------------------------------------------------------ primary side

    private CompletableFuture<byte[]> onMapOp(byte[] payload) {
        Wire.In in = new Wire.In(payload);
        MapOp op = MapOp.of(in.u8());
        long viewKey = in.i64();
        MapState m = mapState(in.str());
        int p = in.i32();
        byte[] key = in.bytes();
        byte[] value = in.bytes();
        byte[] expected = in.bytes();
        Fence fence = readFence(in);
        return executeAsPrimary(m, op, p, key, value, expected, fence, viewKey).thenApply(PartitionService::encodeResult);
    }

    /** Decides and applies one operation here as the primary, and (for writes) replicates it. */
    private CompletableFuture<Result> executeAsPrimary(MapState m, MapOp op, int p, byte[] key, byte[] value,
                                                       byte[] expected, Fence fence, long viewKey) {
        Topology t = topology;
        if (t == null || t.key != viewKey || leaving || closed || !t.table(m.group.backups).primary(p).equals(self)) {
            return CompletableFuture.completedFuture(Result.RETRY_RESULT);
        }
        Part part = m.group.parts[p];
        if (op.read) {
            return CompletableFuture.completedFuture(readLocal(m, op, p, key));
        }
        List<CompletableFuture<byte[]>> acks = new ArrayList<>();
        MapOp.Decision d;
        synchronized (part) {
            // checked again under the monitor: a new view installed since the check above may already have sent this
            // partition to its new primary (onPull sends under this monitor); a write applied here now would reach
            // only the old view's backups and be acknowledged, then lost
            if (part.state != State.COMPLETE || topology != t) {
                return CompletableFuture.completedFuture(Result.RETRY_RESULT);
            }
            boolean fenceRaised = false;
            if (fence != null) {
                if (!t.takesFencedWrites()) {
                    return CompletableFuture.completedFuture(new Result(NO_QUORUM, null, "map '" + m.name + "': a fenced"
                            + " write needs a majority of the lock group " + fenceQuorum + " in the view, but node '" + self
                            + "' sees " + t.fenceQuorumSeen + " of them (cut off from the rest?); nothing was written"));
                }
                Long highest = part.fences.get(fence.lock());
                if (highest != null && fence.token() < highest) {
                    return CompletableFuture.completedFuture(new Result(STALE_FENCE, null, "map '" + m.name
                            + "': fence " + fence.token() + " of lock '" + fence.lock() + "' is below " + highest
                            + ", already seen by partition " + p + "; the lock has had a newer holder, nothing was written"));
                }
                fenceRaised = highest == null || fence.token() > highest;
                part.fences.put(fence.lock(), fence.token());
            }
            PartitionStore store = m.store(p);
            d = op.decide(store.get(key), value, expected);
            byte[] backup = null;
            if (d.change() == MapOp.Change.NONE && fenceRaised) {
                // a fenced write that changed nothing (a putIfAbsent that found the key, a remove of an absent key)
                // still raised the partition's fence: the backups learn it too, or a promoted backup would take a
                // lower fence the old primary had refused
                backup = encodeBackup(t.key, m.name, p, key, part.version, null, fence, true);
            }
            if (d.change() != MapOp.Change.NONE) {
                // (view id, count): a write the primary of an older view applied but could not replicate never
                // ties with one acknowledged in this view, so the freshest copy is the one with the highest version
                long version = Math.max(part.version, t.view.id() << 32) + 1;
                StoredEntry entry = null;
                try {
                    if (d.change() == MapOp.Change.WRITE) {
                        long now = System.currentTimeMillis();
                        entry = new StoredEntry(version, 0, now, d.value());
                        store.put(key, entry);
                    } else {
                        store.remove(key);
                    }
                } catch (StoreFullException e) {
                    return CompletableFuture.completedFuture(new Result(FULL, null, e.getMessage()));
                }
                part.version = version;
                backup = encodeBackup(t.key, m.name, p, key, version, entry, fence, false);
            }
            for (String b : backup == null ? List.<String>of() : t.table(m.group.backups).backups(p)) {
                acks.add(membership.request(t.byName.get(b), BACKUP, backup, timeout, true));
            }
        }
        Result ok = new Result(OK, d, null);
        if (acks.isEmpty() || m.options.asyncBackups()) {
            return CompletableFuture.completedFuture(ok);
        }
        CompletableFuture<Result> done = new CompletableFuture<>();
        AtomicInteger pending = new AtomicInteger(acks.size());
        java.util.concurrent.atomic.AtomicBoolean refused = new java.util.concurrent.atomic.AtomicBoolean();
        for (CompletableFuture<byte[]> ack : acks) {
            ack.whenComplete((reply, error) -> {
                if (error != null) {
                    Throwable c = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    if (c instanceof GridTimeoutException te) {
                        done.completeExceptionally(new GridTimeoutException("map '" + m.name + "': a backup of partition "
                                + p + " did not acknowledge a write in time; the write may have taken effect", te));
                        return;
                    }
                    // a backup that left the view was one of this view's owners: the next view has other backups,
                    // which get the write only when it is tried again there (DESIGN.md decision 4)
                    refused.set(true);
                } else if (reply[0] != OK) {
                    refused.set(true);
                }
                if (pending.decrementAndGet() == 0) {
                    done.complete(refused.get() ? Result.RETRY_RESULT : ok);
                }
            });
        }
        return done;
    }

    /** Backup kinds: the entry was removed, written, or only the fence was raised (the data is unchanged). */
    private static final int BACKUP_REMOVE = 0;
    private static final int BACKUP_WRITE = 1;
    private static final int BACKUP_FENCE_ONLY = 2;

    private static byte[] encodeBackup(long viewKey, String map, int p, byte[] key, long version, StoredEntry entry,
                                       Fence fence, boolean fenceOnly) {
        Wire.Out out = new Wire.Out(key.length + (entry == null ? 0 : entry.value().length) + 96)
                .i64(viewKey).str(map).i32(p).bytes(key);
        writeFence(out, fence).i64(version);
        if (fenceOnly) {
            return out.u8(BACKUP_FENCE_ONLY).toArray();
        }
        if (entry == null) {
            return out.u8(BACKUP_REMOVE).toArray();
        }
        return out.u8(BACKUP_WRITE).i64(entry.version()).i64(entry.expiresAt()).i64(entry.touchedAt()).bytes(entry.value())
                .toArray();
    }

    /**
     * Runs one operation on each key, one request per primary rather than one per key. Keys whose primary answers
     * retry (ownership moving) go on alone through {@link #invoke}. The decisions come back in key order.
     */
    CompletableFuture<List<MapOp.Decision>> invokeAll(MapState m, MapOp op, List<byte[]> keys, List<byte[]> values,
                                                      Fence fence) {
        if (closed) {
            return CompletableFuture.failedFuture(new GridClosedException("node '" + self + "' is closed"));
        }
        Topology t = topology;
        int n = keys.size();
        List<CompletableFuture<MapOp.Decision>> each = new ArrayList<>(java.util.Collections.nCopies(n, null));
        if (t == null) {
            for (int i = 0; i < n; i++) {
                each.set(i, invoke(m, op, keys.get(i), values == null ? null : values.get(i), null, fence));
            }
        } else {
            PartitionTable table = t.table(m.group.backups);
            Map<String, List<Integer>> byOwner = new HashMap<>();
            for (int i = 0; i < n; i++) {
                int p = partitioner.partitionOf(keys.get(i));
                byOwner.computeIfAbsent(table.primary(p), k -> new ArrayList<>()).add(i);
            }
            for (Map.Entry<String, List<Integer>> e : byOwner.entrySet()) {
                List<Integer> idx = e.getValue();
                CompletableFuture<List<Result>> results;
                if (e.getKey().equals(self)) {
                    List<CompletableFuture<Result>> local = new ArrayList<>();
                    for (int i : idx) {
                        byte[] key = keys.get(i);
                        local.add(executeAsPrimary(m, op, partitioner.partitionOf(key), key,
                                values == null ? null : values.get(i), null, fence, t.key));
                    }
                    results = CompletableFuture.allOf(local.toArray(CompletableFuture[]::new))
                            .thenApply(v -> local.stream().map(CompletableFuture::join).toList());
                } else {
                    Wire.Out out = new Wire.Out(4096).u8(op.ordinal()).i64(t.key).str(m.name);
                    writeFence(out, fence).i32(idx.size());
                    for (int i : idx) {
                        byte[] key = keys.get(i);
                        out.i32(partitioner.partitionOf(key)).bytes(key).bytes(values == null ? null : values.get(i));
                    }
                    results = membership.request(t.byName.get(e.getKey()), MAP_BATCH, out.toArray(), timeout)
                            .thenApply(reply -> {
                                Wire.In in = new Wire.In(reply);
                                List<Result> rs = new ArrayList<>();
                                for (int k = in.i32(); k > 0; k--) {
                                    rs.add(decodeResult(in.bytes()));
                                }
                                return rs;
                            })
                            .exceptionally(err -> {
                                if (!retryable(err)) {
                                    rethrow(err);
                                }
                                return idx.stream().map(i -> Result.RETRY_RESULT).toList();
                            });
                }
                for (int k = 0; k < idx.size(); k++) {
                    int i = idx.get(k);
                    int pos = k;
                    each.set(i, results.thenCompose(rs -> {
                        Result r = rs.get(pos);
                        if (r.status() == OK) {
                            return CompletableFuture.completedFuture(r.decision());
                        }
                        GridException refused = refusal(r);
                        if (refused != null) {
                            return CompletableFuture.failedFuture(refused);
                        }
                        return invoke(m, op, keys.get(i), values == null ? null : values.get(i), null, fence);
                    }));
                }
            }
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<MapOp.Decision> out = new ArrayList<>(n);
            for (CompletableFuture<MapOp.Decision> f : each) {
                out.add(f.join());
            }
            return out;
        });
    }

    private CompletableFuture<byte[]> onBatch(byte[] payload) {
        Wire.In in = new Wire.In(payload);
        MapOp op = MapOp.of(in.u8());
        long viewKey = in.i64();
        MapState m = mapState(in.str());
        Fence fence = readFence(in);
        List<CompletableFuture<Result>> results = new ArrayList<>();
        for (int k = in.i32(); k > 0; k--) {
            int p = in.i32();
            byte[] key = in.bytes();
            byte[] value = in.bytes();
            results.add(executeAsPrimary(m, op, p, key, value, null, fence, viewKey));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Wire.Out out = new Wire.Out(4096).i32(results.size());
            for (CompletableFuture<Result> r : results) {
                out.bytes(encodeResult(r.join()));
            }
            return out.toArray();
        });
    }

    // ------------------------------------------------------------------------------------------------ backup side

    private CompletableFuture<byte[]> onBackup(Member from, byte[] payload) {
        Wire.In in = new Wire.In(payload);
        long viewKey = in.i64();
        MapState m = mapState(in.str());
        int p = in.i32();
        byte[] key = in.bytes();
        Fence fence = readFence(in);
        long version = in.i64();
        int kind = in.u8();
        StoredEntry entry = kind == BACKUP_WRITE ? new StoredEntry(in.i64(), in.i64(), in.i64(), in.bytes()) : null;
        Topology t = topology;
        if (t == null || t.key != viewKey || !t.table(m.group.backups).primary(p).equals(from.name()) || leaving) {
            // (a leaving node has handed its copies to the next view's owners: a write it took now would miss them)
            return CompletableFuture.completedFuture(new byte[] {STALE});
        }
        Part part = m.group.parts[p];
        synchronized (part) {
            if (fence != null) {
                part.fences.merge(fence.lock(), fence.token(), Math::max);
            }
            if (kind == BACKUP_FENCE_ONLY) {
                return CompletableFuture.completedFuture(new byte[] {OK}); // fences live beside the copy, held already
            }
            PartitionStore target;
            CompletableFuture<byte[]> reply;
            if (part.state == State.COMPLETE) {
                target = m.store(p);
                reply = null;
            } else {
                // not held yet: the snapshot this node pulls from the same primary is sent after this write, so it
                // includes it; the primary hears OK once that snapshot is installed (or STALE if it never is)
                reply = new CompletableFuture<>();
                part.awaitingCopy.add(new PendingBackup(from, reply));
                if (part.incoming == null || !from.equals(part.incomingFrom)) {
                    return reply;
                }
                // the snapshot is arriving: this write came after its start, so it goes on top of it
                target = part.incoming.computeIfAbsent(m.name, n -> PartitionStore.create(n, p, partitionCount, m.options.sizing()));
            }
            try {
                if (entry == null) {
                    target.remove(key);
                } else {
                    target.put(key, entry);
                }
                if (reply == null) {
                    part.version = Math.max(part.version, version);
                } else {
                    part.incomingVersion = Math.max(part.incomingVersion, version);
                }
            } catch (StoreFullException e) {
                log.error("{}: backup of map '{}' partition {} is full; the backup copy misses a write: {}", self, m.name, p,
                        e.getMessage());
                if (reply != null) {
                    part.awaitingCopy.removeIf(w -> w.reply() == reply);
                }
                return CompletableFuture.completedFuture(new byte[] {FULL});
            }
            return reply != null ? reply : CompletableFuture.completedFuture(new byte[] {OK});
        }
    }

    // ------------------------------------------------------------------------------------------------ moving data

    /** Installs a view: resets what must be pulled and starts pulling. Runs on the timer thread. */
    private void onView(ClusterView view, boolean merged) {
        if (closed) {
            return;
        }
        Topology previous = topology;
        boolean first = previous == null;
        log.debug("{}: installing view {} (merged: {})", self, view, merged);
        Topology t = new Topology(view);
        topology = t;
        firstTable.countDown();
        long now = System.currentTimeMillis();
        for (Group g : groups) {
            PartitionTable table = t.table(g.backups);
            for (int p = 0; p < partitionCount; p++) {
                Part part = g.parts[p];
                synchronized (part) {
                    boolean owner = table.owners(p).contains(self);
                    boolean wasOwner = !first && previous.table(g.backups).owners(p).contains(self);
                    // backup writes waiting for a copy pulled in the old view: their primary retries in this one
                    part.answerAwaiting(null);
                    if (first) {
                        part.state = view.size() == 1 ? State.COMPLETE : State.NONE;
                    } else if ((owner && !wasOwner && !part.handedOff) || (merged && owner)) {
                        // whatever this node kept from an older view may have missed writes since: pull afresh, but
                        // keep the old copy meanwhile, as it may be the freshest one left. After a merge every owner
                        // does, the primary too: it asks every member and keeps the freshest copy, so a node that
                        // started alone (empty, but complete in its own view) does not wipe the partitions it is
                        // primary for when it merges into the cluster that holds them
                        keepAsCandidate(g, part);
                    }
                    if (owner) {
                        part.notOwnedSince = 0;
                    } else if (part.notOwnedSince == 0) {
                        part.notOwnedSince = now;
                    }
                    if (part.state != State.COMPLETE) {
                        part.expectedPush = 0; // a pull for an older view is void; pull again
                    }
                    part.handedOff = false;
                }
            }
        }
        tick();
    }

    /** Keeps a copy from an earlier ownership as a candidate for pulls, or forgets a half-received one. */
    private void keepAsCandidate(Group g, Part part) {
        if (part.holdsCopy()) {
            log.debug("{}: partition {}/{} newly owned; keeping the old copy (version {}) until a fresh one arrives",
                    self, part.id, g.backups, part.version);
            discardIncoming(part);
            part.state = State.KEPT;
        } else {
            drop(g, part);
        }
    }

    /** Every 200 ms and after each view: pull what is owned but not held, drop what is held but no longer owned. */
    private void tick() {
        Topology t = topology;
        if (t == null || closed) {
            return;
        }
        long now = System.currentTimeMillis();
        for (Group g : groups) {
            PartitionTable table = t.table(g.backups);
            for (int p = 0; p < partitionCount; p++) {
                Part part = g.parts[p];
                boolean owner = table.owners(p).contains(self);
                synchronized (part) {
                    if (owner && part.state != State.COMPLETE) {
                        boolean stuck = part.expectedPush != 0 && now - part.pullStarted > timeout.toMillis();
                        if (part.expectedPush == 0 || stuck) {
                            startPull(t, g, part, table);
                        }
                    } else if (!owner && part.state != State.NONE && part.notOwnedSince != 0
                            && now - part.notOwnedSince > DROP_GRACE_MS) {
                        if (!part.holdsCopy()) {
                            drop(g, part);
                        } else if (now - part.releaseAsked > RELEASE_ASK_MS) {
                            part.releaseAsked = now;
                            releaseOnceOwnersHold(t, g, part, table);
                        }
                    }
                }
            }
        }
    }

    /**
     * Drops a copy this node no longer owns once every owner holds the partition, not before: until then it may be
     * the freshest copy left if the primary crashes while its backups rebuild theirs.
     */
    private void releaseOnceOwnersHold(Topology t, Group g, Part part, PartitionTable table) {
        List<Member> owners = table.owners(part.id).stream().map(t.byName::get).toList();
        List<CompletableFuture<byte[]>> answers = requestEach(owners, pullRequest(QUERY, t, g, part.id, 0));
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
            if (error != null || answers.stream().anyMatch(a -> a.join()[0] != OK)) {
                return; // asked again later
            }
            onTimer(() -> {
                synchronized (part) {
                    if (topology == t && !table.owners(part.id).contains(self) && part.holdsCopy()) {
                        drop(g, part);
                    }
                }
            });
        });
    }

    /** Asks for a partition's data. Called with the partition's monitor held. */
    private void startPull(Topology t, Group g, Part part, PartitionTable table) {
        long pullId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        if (part.state != State.KEPT) {
            part.state = State.RECEIVING;
        }
        part.expectedPush = pullId;
        part.pullStarted = System.currentTimeMillis();
        discardIncoming(part);
        String primary = table.primary(part.id);
        byte[] ask = pullRequest(SEND, t, g, part.id, pullId);
        List<Member> sources = new ArrayList<>();
        if (!primary.equals(self)) {
            sources.add(t.byName.get(primary));
        } else {
            for (Member m : t.view.members()) {
                if (!m.name().equals(self) && t.byName.get(m.name()) == m) {
                    sources.add(m);
                }
            }
        }
        if (sources.isEmpty()) {
            takeOwnCopy(part); // alone: what it kept (if anything) is all there is
            return;
        }
        if (!primary.equals(self)) {
            askToSend(sources.get(0), ask, part, pullId);
            return;
        }
        // The new primary asks every member what it holds, then pulls from the freshest holder (or keeps its own copy
        // if that is the freshest): versions only grow along the chain of primaries, so a copy left over from an older
        // view never wins over a newer one.
        List<CompletableFuture<byte[]>> answers = requestEach(sources, pullRequest(QUERY, t, g, part.id, pullId));
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).whenComplete((ignored, error) -> {
            Member best = null;
            long bestVersion = -1;
            boolean allAnswered = true;
            for (int i = 0; i < answers.size(); i++) {
                byte[] r = answers.get(i).isCompletedExceptionally() ? null : answers.get(i).getNow(null);
                if (r == null || r[0] == RETRY) {
                    allAnswered = false;
                } else if (r[0] == OK) {
                    long version = new Wire.In(r).i64AfterStatus();
                    if (version > bestVersion) {
                        bestVersion = version;
                        best = sources.get(i);
                    }
                }
            }
            synchronized (part) {
                if (part.expectedPush != pullId) {
                    return;
                }
                long ownVersion = part.state == State.KEPT ? part.version : -1;
                log.debug("{}: view {}: partition {}/{} query answered (all: {}), freshest {} at version {}", self,
                        t.view.id(), part.id, g.backups, allAnswered, best, bestVersion);
                if (!allAnswered) {
                    part.expectedPush = 0; // someone is on another view or did not answer: ask again on the next tick
                } else if (best != null && bestVersion > ownVersion) {
                    askToSend(best, ask, part, pullId);
                } else {
                    // no member holds a fresher copy than this node kept: it is the partition (with none kept, the
                    // partition is empty, or every copy is lost)
                    takeOwnCopy(part);
                    part.expectedPush = 0;
                }
            }
        });
    }

    /** A PULL request for partition {@code p} of group {@code g} in view {@code t}: {@code QUERY} or {@code SEND}. */
    private static byte[] pullRequest(int mode, Topology t, Group g, int p, long pullId) {
        return new Wire.Out(40).u8(mode).i64(t.key).u8(g.backups).i32(p).i64(pullId).toArray();
    }

    /** Sends one PULL request to each member; the answers in the members' order. */
    private List<CompletableFuture<byte[]>> requestEach(List<Member> members, byte[] request) {
        List<CompletableFuture<byte[]>> answers = new ArrayList<>();
        for (Member m : members) {
            answers.add(membership.request(m, PULL, request, timeout));
        }
        return answers;
    }

    /** Asks one holder to send a partition; if it will not, the next tick asks again. */
    private void askToSend(Member source, byte[] ask, Part part, long pullId) {
        membership.request(source, PULL, ask, timeout).whenComplete((r, e) -> {
            if (e != null || r[0] != PUSHING) {
                synchronized (part) {
                    if (part.expectedPush == pullId && part.incoming == null) {
                        part.expectedPush = 0;
                    }
                }
            }
        });
    }

    /** Takes what this node kept of a partition (nothing, if it kept none) as the partition. */
    private void takeOwnCopy(Part part) {
        log.debug("{}: partition {} taken as {}: no member holds a fresher copy", self, part.id,
                part.state == State.KEPT ? "kept at version " + part.version : "empty");
        discardIncoming(part);
        part.state = State.COMPLETE;
    }

    /** A member asks for a partition; if this node holds it, send it, ordered, under the partition's monitor. */
    private byte[] onPull(Member from, byte[] payload) {
        Wire.In in = new Wire.In(payload);
        int mode = in.u8();
        long viewKey = in.i64();
        Group g = groups[in.u8()];
        int p = in.i32();
        long pullId = in.i64();
        Topology t = topology;
        if (t == null || t.key != viewKey) {
            return new byte[] {RETRY};
        }
        Part part = g.parts[p];
        long start = System.nanoTime();
        synchronized (part) {
            if (mode == QUERY) {
                return part.holdsCopy() ? new Wire.Out(16).u8(OK).i64(part.version).toArray() : new byte[] {NONE};
            }
            if (!part.holdsCopy()) {
                return new byte[] {NONE}; // receiving is not holding: a pull answered by a receiver would wait in a circle
            }
            if (part.state == State.KEPT && t.table(g.backups).primary(p).equals(self)) {
                // a primary still looking for the freshest copy must not hand its old one to its backups: they would
                // take it as the partition and keep it after the primary pulled a fresher one
                return new byte[] {NONE};
            }
            List<CompletableFuture<byte[]>> sent = new ArrayList<>();
            long bytes = sendSnapshot(from, g, part, pullId, sent);
            long movedBytes = bytes;
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).whenComplete((ok, e) -> {
                if (e == null) {
                    bytesMoved.increment(movedBytes);
                    moveTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                }
            });
        }
        return new byte[] {PUSHING};
    }

    /**
     * Sends a partition's data, every map of its group, as begin, chunks and end, ordered, so that writes this node
     * sends the receiver later arrive after it. Call with the partition's monitor held. Returns the bytes sent.
     */
    private long sendSnapshot(Member to, Group g, Part part, long pushId, List<CompletableFuture<byte[]>> sent) {
        int p = part.id;
        sent.add(membership.request(to, PUSH, new Wire.Out(32).u8(BEGIN).u8(g.backups).i32(p).i64(pushId).toArray(),
                timeout, true));
        long bytes = 0;
        for (MapState m : maps.values()) {
            if (m.group != g || m.stores[p] == null) {
                continue;
            }
            Wire.Out[] chunk = {newChunk(g, p, pushId, m.name)};
            long[] total = {0};
            m.stores[p].forEach((key, entry) -> {
                chunk[0].bytes(key).i64(entry.version()).i64(entry.expiresAt()).i64(entry.touchedAt()).bytes(entry.value());
                if (chunk[0].size() >= CHUNK_BYTES) {
                    total[0] += chunk[0].size();
                    sent.add(membership.request(to, PUSH, chunk[0].toArray(), timeout, true));
                    chunk[0] = newChunk(g, p, pushId, m.name);
                }
            });
            total[0] += chunk[0].size();
            sent.add(membership.request(to, PUSH, chunk[0].toArray(), timeout, true));
            bytes += total[0];
        }
        Wire.Out end = new Wire.Out(64).u8(END).u8(g.backups).i32(p).i64(pushId).i64(part.version).i32(part.fences.size());
        part.fences.forEach((lock, token) -> end.str(lock).i64(token));
        sent.add(membership.request(to, PUSH, end.toArray(), timeout, true));
        return bytes;
    }

    private static Wire.Out newChunk(Group g, int p, long pushId, String map) {
        return new Wire.Out(CHUNK_BYTES + 1024).u8(CHUNK).u8(g.backups).i32(p).i64(pushId).str(map);
    }

    /** Receives the pieces of a partition this node pulled (or that a leaving member handed it). */
    private byte[] onPush(Member from, byte[] payload) {
        Wire.In in = new Wire.In(payload);
        int kind = in.u8();
        Group g = groups[in.u8()];
        int p = in.i32();
        long pushId = in.i64();
        Part part = g.parts[p];
        synchronized (part) {
            switch (kind) {
                case BEGIN -> {
                    boolean handoff = pushId < 0 && (part.state != State.COMPLETE || !ownsNow(g, p));
                    if (part.incoming == null && (pushId == part.expectedPush || handoff)) {
                        part.expectedPush = pushId;
                        part.incoming = new HashMap<>();
                        part.incomingFrom = from;
                        part.incomingBytes = 0;
                        part.incomingVersion = 0;
                        if (handoff && part.state != State.KEPT) {
                            part.state = State.RECEIVING;
                        }
                    }
                }
                case CHUNK -> {
                    if (part.incoming != null && pushId == part.expectedPush && from.equals(part.incomingFrom)) {
                        MapState m = mapState(in.str());
                        PartitionStore store = part.incoming.computeIfAbsent(m.name,
                                n -> PartitionStore.create(n, p, partitionCount, m.options.sizing()));
                        part.incomingBytes += payload.length;
                        while (in.more()) {
                            byte[] key = in.bytes();
                            store.put(key, new StoredEntry(in.i64(), in.i64(), in.i64(), in.bytes()));
                        }
                    }
                }
                case END -> {
                    if (part.incoming != null && pushId == part.expectedPush && from.equals(part.incomingFrom)) {
                        long version = in.i64();
                        for (int n = in.i32(); n > 0; n--) {
                            part.fences.merge(in.str(), in.i64(), Math::max);
                        }
                        for (MapState m : maps.values()) {
                            if (m.group == g) {
                                PartitionStore old = m.stores[p];
                                m.stores[p] = part.incoming.remove(m.name);
                                if (old != null) {
                                    old.close();
                                }
                            }
                        }
                        for (PartitionStore orphan : part.incoming.values()) {
                            orphan.close(); // a map created meanwhile by another thread: nothing to keep
                        }
                        part.version = Math.max(version, part.incomingVersion);
                        part.answerAwaiting(from);
                        log.debug("{}: partition {}/{} received from {} (push {}), version {}", self, p, g.backups, from,
                                pushId, part.version);
                        part.state = State.COMPLETE;
                        part.notOwnedSince = ownsNow(g, p) ? 0 : System.currentTimeMillis(); // a hand-off waits for its view
                        part.handedOff = pushId < 0;
                        part.incoming = null;
                        part.incomingFrom = null;
                        part.expectedPush = 0;
                        partitionsMoved.increment();
                    }
                }
                default -> throw new IllegalStateException("unknown push kind " + kind);
            }
        }
        return new byte[] {OK};
    }

    private boolean ownsNow(Group g, int p) {
        Topology t = topology;
        return t != null && t.table(g.backups).owners(p).contains(self);
    }

    /** Forgets a partition this node no longer owns. Called with its monitor held. */
    private void drop(Group g, Part part) {
        log.debug("{}: partition {}/{} dropped (was {})", self, part.id, g.backups, part.state);
        for (MapState m : maps.values()) {
            if (m.group == g && m.stores[part.id] != null) {
                m.stores[part.id].close();
                m.stores[part.id] = null;
            }
        }
        discardIncoming(part);
        part.answerAwaiting(null);
        part.state = State.NONE;
        part.version = 0;
        part.notOwnedSince = 0;
    }

    /** Forgets a push half received. Called with the partition's monitor held. */
    private static void discardIncoming(Part part) {
        if (part.incoming != null) {
            part.incoming.values().forEach(PartitionStore::close);
        }
        part.incoming = null;
        part.incomingFrom = null;
    }

    // ------------------------------------------------------------------------------------------------ size, clear

    /** Entries of a map in the partitions this node is primary for (or holds at all). */
    long localEntries(String map, boolean primaryOnly) {
        MapState m = maps.get(map);
        Topology t = topology;
        if (m == null || t == null) {
            return 0;
        }
        PartitionTable table = t.table(m.group.backups);
        long n = 0;
        for (int p = 0; p < partitionCount; p++) {
            if (primaryOnly && !table.primary(p).equals(self)) {
                continue;
            }
            synchronized (m.group.parts[p]) {
                if (m.group.parts[p].state == State.COMPLETE && m.stores[p] != null) {
                    n += m.stores[p].size();
                }
            }
        }
        return n;
    }

    long offHeapBytes(String map) {
        MapState m = maps.get(map);
        if (m == null) {
            return 0;
        }
        long n = 0;
        for (int p = 0; p < partitionCount; p++) {
            synchronized (m.group.parts[p]) {
                if (m.stores[p] != null) {
                    n += m.stores[p].offHeapBytes();
                }
            }
        }
        return n;
    }

    private int ownedCount(boolean primary) {
        Topology t = topology;
        if (t == null) {
            return 0;
        }
        PartitionTable table = t.table(defaultBackups);
        return primary ? table.partitionsOwnedBy(self).size() : table.backupsHeldBy(self).size();
    }

    private byte[] onSize(byte[] payload) {
        return new Wire.Out(16).i64(localEntries(new Wire.In(payload).str(), true)).toArray();
    }

    private byte[] onClear(byte[] payload) {
        MapState m = mapState(new Wire.In(payload).str());
        for (int p = 0; p < partitionCount; p++) {
            Part part = m.group.parts[p];
            synchronized (part) {
                if (m.stores[p] != null) {
                    m.stores[p].clear();
                }
                PartitionStore incoming = part.incoming == null ? null : part.incoming.get(m.name);
                if (incoming != null) {
                    incoming.clear(); // a snapshot being received would otherwise bring the entries back
                }
            }
        }
        return new byte[] {OK};
    }

    /** Sum of every member's primary entries. Approximate while partitions move. */
    CompletableFuture<Long> size(MapState m) {
        return allMembers(MAP_SIZE, new Wire.Out(64).str(m.name).toArray())
                .thenApply(replies -> replies.stream().mapToLong(r -> new Wire.In(r).i64()).sum());
    }

    /** Clears the map on every member. Writes racing with the clear may survive it. */
    CompletableFuture<Void> clear(MapState m) {
        return allMembers(MAP_CLEAR, new Wire.Out(64).str(m.name).toArray()).thenApply(r -> null);
    }

    private CompletableFuture<List<byte[]>> allMembers(short type, byte[] payload) {
        Topology t = topology;
        if (t == null) {
            return CompletableFuture.failedFuture(new GridException("node '" + self + "' has not joined yet"));
        }
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        for (Member m : t.byName.values()) {
            replies.add(membership.request(m, type, payload, timeout));
        }
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
                .thenApply(v -> replies.stream().map(CompletableFuture::join).toList());
    }

    // ------------------------------------------------------------------------------------------------ leaving

    /**
     * Stops serving (and taking backup writes), hands every partition this node owns to each owner of the next view
     * that does not already hold it, and waits (up to the request timeout) for the hand-offs to be acknowledged. Call
     * before leaving the view. Idempotent.
     */
    public void handOff() {
        if (leaving || closed) {
            return;
        }
        leaving = true;
        Topology t = topology;
        if (t == null || t.byName.size() < 2) {
            return;
        }
        List<String> remaining = new ArrayList<>(t.byName.keySet());
        remaining.remove(self);
        List<CompletableFuture<byte[]>> sent = new ArrayList<>();
        for (Group g : groups) {
            if (maps.values().stream().noneMatch(m -> m.group == g)) {
                continue;
            }
            PartitionTable now = t.table(g.backups);
            PartitionTable next = PartitionTable.compute(t.view.id() + 1, remaining, partitionCount, g.backups);
            for (int p = 0; p < partitionCount; p++) {
                if (!now.owners(p).contains(self)) {
                    continue;
                }
                Part part = g.parts[p];
                synchronized (part) {
                    if (part.state != State.COMPLETE) {
                        continue;
                    }
                    // every owner of the next view that does not hold it now gets this copy, which is final (this
                    // node takes no more writes), so leaving never leaves a partition on fewer copies
                    for (String heir : next.owners(p)) {
                        if (!now.owners(p).contains(heir)) {
                            long pushId = -ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
                            sendSnapshot(t.byName.get(heir), g, part, pushId, sent);
                        }
                    }
                }
            }
        }
        try {
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("{}: not every partition hand-off was acknowledged before leaving: {}", self, e.toString());
        }
    }

    /** Hands off (unless the node crashed), then frees every store. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        for (MapState m : maps.values()) {
            for (int p = 0; p < partitionCount; p++) {
                synchronized (m.group.parts[p]) {
                    if (m.stores[p] != null) {
                        m.stores[p].close();
                        m.stores[p] = null;
                    }
                }
            }
        }
        for (Meter meter : meters) {
            registry.remove(meter);
        }
    }

    String nodeName() {
        return self;
    }

    Membership membership() {
        return membership;
    }

    Duration timeout() {
        return timeout;
    }

    /** Views of different splits may share an id; the coordinator tells them apart. */
    private static long viewKey(ClusterView view) {
        return view.id() * 1_000_003L + view.coordinator().name().hashCode();
    }
}
