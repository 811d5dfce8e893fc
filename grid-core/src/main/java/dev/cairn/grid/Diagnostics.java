package dev.cairn.grid;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.cairn.GridException;
import dev.cairn.membership.Member;
import dev.cairn.membership.Membership;

/**
 * Probes for operators: how long a request takes to another member and back. Obtained from {@link Grid#diagnostics()}.
 */
public final class Diagnostics {
    /** Echo answered on the worker pool: the path every module's requests take. */
    static final short ECHO = dev.cairn.membership.RequestTypes.ECHO;
    /** Echo answered on the receiving JGroups thread: the floor of what the transport costs. */
    static final short ECHO_INLINE = dev.cairn.membership.RequestTypes.ECHO_INLINE;

    private final Membership membership;
    private final dev.cairn.locks.LockService locks;
    private final dev.cairn.partition.PartitionService partitions;
    private final Codec codec;

    Diagnostics(Membership membership, dev.cairn.locks.LockService locks, dev.cairn.partition.PartitionService partitions,
                Codec codec) {
        this.membership = membership;
        this.locks = locks;
        this.partitions = partitions;
        this.codec = codec;
        membership.handle(ECHO, (from, payload) -> CompletableFuture.completedFuture(payload));
        membership.handleInline(ECHO_INLINE, (from, payload) -> CompletableFuture.completedFuture(payload));
    }

    /**
     * Sends {@code payload} to {@code to}, which sends it back, and returns the round trip in nanoseconds.
     *
     * @param inline true to have the reply sent from the network thread, false to go through the worker pool as
     *               ordinary requests do
     * @throws GridException when the member does not answer in time or answers something else
     */
    public long ping(Member to, byte[] payload, boolean inline, Duration timeout) {
        long start = System.nanoTime();
        byte[] back = membership.call(to, inline ? ECHO_INLINE : ECHO, payload, timeout);
        long nanos = System.nanoTime() - start;
        if (!Arrays.equals(payload, back)) {
            throw new GridException("member '" + to.name() + "' echoed " + back.length + " bytes that differ from the "
                    + payload.length + " sent");
        }
        return nanos;
    }

    /**
     * Every entry of map {@code map} in the partitions this node owns and holds complete, primary or backup, decoded:
     * for comparing the copies of each key across nodes (a history check, an operator's audit). Partition by partition,
     * not one snapshot.
     */
    public void forEachLocalCopy(String map, java.util.function.BiConsumer<Object, Object> action) {
        partitions.forEachHeldEntry(map, (k, v) -> action.accept(codec.decode(k), codec.decode(v)));
    }

    /**
     * How many off-heap partition stores of map {@code map} this node has open: at most one per partition it holds,
     * none once the map is destroyed.
     */
    public int storesHeld(String map) {
        return partitions.storesHeld(map);
    }

    /**
     * Fault injection for tests and drills: cuts this node off from every other member, on the grid's channel and the
     * lock group's, both ways, as a network cut would. The others see it go silent and drop it from their view after
     * the failure timeout; it drops them. Its lock calls then fail (no quorum) and its session expires on the majority
     * side. Undone by {@link #reconnect()}.
     */
    public void cutOff() {
        membership.cutOff(true);
        locks.cutOff(true);
    }

    /**
     * Fault injection for tests and drills: cuts this node from the named members only, on both channels: it drops
     * what it receives from them and the unicasts it sends them. Run on every node of one side of a split naming the
     * other side, and on the other side naming this one, and the cluster splits in two while each side stays whole.
     * Undone by {@link #reconnect()}.
     */
    public void cutFrom(java.util.Collection<String> members) {
        membership.cutFrom(members);
        locks.cutFrom(members);
    }

    /**
     * The member this node's current table names as primary of {@code key} for maps with {@code backupCount} backups,
     * or {@code "-"} before this node has a table: for histories that record where an operation was routed.
     */
    public String primaryOf(Object key, int backupCount) {
        List<String> owners = ownersOf(key, backupCount);
        return owners.isEmpty() ? "-" : owners.get(0);
    }

    /**
     * The members this node's current table names as owners of {@code key}'s partition for maps with
     * {@code backupCount} backups, the primary first; empty before this node has a table.
     */
    public List<String> ownersOf(Object key, int backupCount) {
        try {
            return partitions.table(backupCount).owners(partitions.partitionOf(codec.encode(key)));
        } catch (GridException e) {
            return List.of();
        }
    }

    /** Undoes {@link #cutOff()} and {@link #cutFrom}; the split heals (MERGE3) within a few seconds. */
    public void reconnect() {
        membership.cutOff(false);
        locks.cutOff(false);
    }

    /**
     * One key that the merge of a healed split decided on this node (its partition's primary), decoded: the larger
     * side's value ({@code null} where it had none, and {@code existingRemoved} where it had removed the key), the other
     * side's ({@code null} where it removed the key), what the map's {@link dev.cairn.MergePolicy} kept ({@code null}:
     * removed) and how ({@code EXISTING}, {@code MERGING}, {@code NEW}, {@code REMOVED}). Until entry listeners come
     * (issue 16), this is where what a policy discarded can be seen.
     */
    public record MergeEvent(String map, Object key, Object existing, boolean existingRemoved, Object merging,
                             Object kept, String outcome) {
    }

    /**
     * Calls {@code listener} with every key of map {@code map} that a merge decides on this node, on the change feed's
     * thread, in each partition's order. Closing the handle stops it.
     */
    public AutoCloseable onMerge(String map, java.util.function.Consumer<MergeEvent> listener) {
        java.util.Objects.requireNonNull(map, "map");
        java.util.Objects.requireNonNull(listener, "listener");
        return partitions.subscribe(c -> {
            if (c.merge() != null && c.map().equals(map)) {
                listener.accept(new MergeEvent(map, codec.decode(c.key()), decodeOrNull(map, c.oldValue()),
                        c.merge().existingRemoved(), decodeOrNull(map, c.merge().mergingValue()),
                        decodeOrNull(map, c.newValue()), c.merge().outcome().name()));
            }
        });
    }

    private Object decodeOrNull(String map, byte[] stored) {
        return stored == null ? null : codec.decode(partitions.readable(map, stored));
    }

    /** Finds a member of the current view by name. */
    public Member member(String name) {
        return membership.members().stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new GridException("no member named '" + name + "' in " + membership.view()));
    }
}
