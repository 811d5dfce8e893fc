package dev.cairn.grid;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.GridClosedException;
import dev.cairn.GridConfigException;
import dev.cairn.membership.ClusterView;
import dev.cairn.membership.Member;
import dev.cairn.membership.Membership;
import dev.cairn.membership.MembershipListener;
import dev.cairn.locks.FencedLock;
import dev.cairn.locks.GridReadWriteLock;
import dev.cairn.locks.LockService;
import dev.cairn.locks.LockSettings;
import dev.cairn.partition.PartitionService;
import dev.cairn.partition.PartitionSettings;
import dev.cairn.partition.PartitionTable;

/**
 * A Cairn node embedded in this application. Start one with {@link #start(GridConfig)}; close it to leave the cluster.
 *
 * <pre>{@code
 * try (Grid grid = Grid.start(GridConfig.builder().nodeName("a").seeds("10.0.0.1:7800").build())) {
 *     System.out.println(grid.members());
 * }
 * }</pre>
 */
public final class Grid implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Grid.class);
    private final GridConfig config;
    private final Membership membership;
    private final Codec codec;
    private final Diagnostics diagnostics;
    private final PartitionService partitions;
    private final LockService locks;
    private final Map<String, GridMap<?, ?>> maps = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private Grid(GridConfig config, Membership membership, Codec codec) {
        this.config = config;
        this.membership = membership;
        this.codec = codec;
        this.partitions = PartitionService.create(membership, new PartitionSettings(config.partitionCount(),
                config.backupCount(), config.requestTimeout(), config::mapOptions, config.lockGroup(), config.clock(),
                PartitionSettings.DEFAULT_DROP_GRACE), config.meterRegistry());
        try {
            this.locks = LockService.create(membership, new LockSettings(config.lockGroup(), config.lockDataDir(),
                    config.lockPortOffset(), config.lockSessionTimeout(), config.requestTimeout(), config.clock()));
        } catch (RuntimeException | Error e) {
            partitions.close(); // the lock group's member could not start (its port taken): nothing may be left
            throw e;
        }
        this.diagnostics = new Diagnostics(membership, locks, partitions, codec);
    }

    /**
     * Starts a node and joins the cluster; returns once the node has its first view. First checks that this JVM has
     * the flags Cairn's store needs ({@link JvmFlags}). A start that fails leaves nothing running: no thread, channel
     * or socket of this node is left behind.
     *
     * @throws GridConfigException when this JVM lacks flags the store needs, listing each and where flags go
     * @throws dev.cairn.GridException when the cluster cannot be joined (the port is taken, the stack is invalid)
     */
    public static Grid start(GridConfig config) {
        Objects.requireNonNull(config, "config");
        long started = System.nanoTime();
        JvmFlags.check(); // before anything is opened
        QuietChronicle.apply(); // before anything touches Chronicle
        Codec codec = new KryoCodec(config.codecClasses());
        Membership membership = Membership.create(config.channelSettings(), config.meterRegistry());
        Grid grid;
        try {
            grid = new Grid(config, membership, codec); // registers its request handlers before joining
        } catch (RuntimeException | Error e) {
            membership.close();
            throw e;
        }
        try {
            membership.join();
            grid.partitions.awaitReady(config.requestTimeout());
        } catch (RuntimeException | Error e) {
            grid.abandon();
            throw e;
        }
        log.info("{}", grid.startLine(System.nanoTime() - started));
        return grid;
    }

    /** The one line a start logs: what the node joined, as what, with how many members, where, and how long it took. */
    private String startLine(long nanos) {
        ClusterView v = membership.view();
        String where = localMember().physicalAddress();
        return "node '" + config.nodeName() + "' " + (v.size() <= 1 ? "founded" : "joined") + " cluster '"
                + config.clusterName() + "' (" + v.size() + (v.size() == 1 ? " member" : " members") + ") on "
                + (where.isEmpty() ? config.transport().name().toLowerCase(java.util.Locale.ROOT) + " transport" : where)
                + " in " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms"
                + (config.lockGroup().contains(config.nodeName()) ? ", a member of the lock group " + config.lockGroup() : "");
    }

    public GridConfig config() {
        return config;
    }

    /** This node. */
    public Member localMember() {
        return membership.localMember();
    }

    /** The members of the current view, in view order, this node included. */
    public List<Member> members() {
        return membership.members();
    }

    /** The current view. */
    public ClusterView view() {
        return membership.view();
    }

    /** Whether this side holds a majority of {@link GridConfig#expectedMembers()}; always true when that is 0. */
    public boolean hasQuorum() {
        return membership.hasQuorum();
    }

    /** Listeners run on one thread per node, in view order, never on a network thread. */
    public void addMembershipListener(MembershipListener listener) {
        membership.addListener(listener);
    }

    public void removeMembershipListener(MembershipListener listener) {
        membership.removeListener(listener);
    }

    /** The codec this node turns values into bytes with. */
    public Codec codec() {
        return codec;
    }

    /** Nanoseconds from the start of {@link #start} to the first view. */
    public long nanosToFirstView() {
        return membership.nanosToFirstView();
    }

    /**
     * The named map, created on first use. Maps with different names never share entries. Its options come from
     * {@link GridConfig.Builder#map}, and must be the same on every node.
     *
     * @throws IllegalArgumentException when the name is empty or longer than 200 characters
     */
    @SuppressWarnings("unchecked")
    public <K, V> GridMap<K, V> map(String name) {
        if (closed) {
            throw new GridClosedException("node '" + config.nodeName() + "' is closed");
        }
        return (GridMap<K, V>) maps.computeIfAbsent(name,
                n -> new GridMap<>(partitions.map(n), codec, config.requestTimeout(), this));
    }

    /**
     * The cluster-wide mutex named {@code name}, re-entrant. Needs {@link GridConfig#lockGroup()}.
     *
     * @throws IllegalArgumentException when the name is empty or longer than 256 characters
     */
    public FencedLock lock(String name) {
        return locks.lock(name, Integer.MAX_VALUE);
    }

    /** The mutex named {@code name}, re-entrant up to {@code reentrancyLimit} holds (1: not re-entrant). */
    public FencedLock lock(String name, int reentrancyLimit) {
        return locks.lock(name, reentrancyLimit);
    }

    /** The cluster-wide read-write lock named {@code name}, re-entrant. */
    public GridReadWriteLock readWriteLock(String name) {
        return locks.readWriteLock(name, Integer.MAX_VALUE);
    }

    /** The lock service: {@code locks().snapshot()} lists holders, waiters and fences per lock. */
    public LockService locks() {
        return locks;
    }

    /** The partition table for maps with the default backup count: who is primary and backup for what. */
    public PartitionTable partitionTable() {
        return partitions.table(config.backupCount());
    }

    /** Whether this node holds the data of every partition it owns (no moves under way towards it). */
    public boolean partitionsSettled() {
        return partitions.settled(config.backupCount());
    }

    public boolean isClosed() {
        return closed;
    }

    /** Round-trip probes for operators. */
    public Diagnostics diagnostics() {
        return diagnostics;
    }

    Membership membership() {
        return membership;
    }

    /**
     * Leaves the cluster gracefully: hands partitions to their next owners where those lack them, then leaves the
     * view; the others see this node leave at once. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!membership.isClosed()) {
            partitions.handOff();
        }
        locks.close(); // closes this node's lock session while the lock group can still be reached
        membership.close();
        partitions.close();
    }

    /** After a failed start: stops everything without handing anything off, as there is nothing to hand. */
    private void abandon() {
        closed = true;
        try {
            locks.close();
        } finally {
            try {
                membership.close();
            } finally {
                partitions.close();
            }
        }
    }
}
