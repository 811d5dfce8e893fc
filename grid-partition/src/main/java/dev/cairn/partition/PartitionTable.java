package dev.cairn.partition;

import dev.cairn.MapOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.cairn.membership.ClusterView;

/**
 * Who owns each partition in one view: a primary and up to {@code backupCount} backups per partition, all distinct
 * members. Every node computes the table from the view alone, with no communication and no memory of earlier tables
 * (DESIGN decision 3), so a node that has just joined, or the two halves of a merged split, arrive at the same table.
 * The table is a function of the <em>set</em> of member names, the partition count and the backup count; the order of
 * the names in the view does not change it. It carries the view id so a request routed by a stale table can be told
 * to retry.
 *
 * <h2>What the table guarantees</h2>
 * With {@code N} members, {@code P} partitions and {@code b = min(backupCount, N - 1)} backups per partition:
 * <ul>
 *   <li><b>Distinct owners.</b> Each partition has one primary and exactly {@code b} backups, {@code b + 1} distinct
 *       members.</li>
 *   <li><b>Balance.</b> No member is primary for more than {@code max(ceil(P/N), floor(1.1 * P/N))} partitions, and
 *       none holds more than {@code max(ceil(bP/N), floor(1.1 * bP/N))} backups. That is: at most 10% above the mean,
 *       except where the mean is so small that 10% is less than one partition, where the limit is the mean rounded up
 *       (271 partitions over 100 members: at most 3 each). And from below: every member is primary for at least
 *       {@code min(floor(P/N), ceil(0.9 * P/N))} partitions and holds at least
 *       {@code min(floor(bP/N), ceil(0.9 * bP/N))} backups: at most 10% below the mean, or the mean rounded down
 *       where 10% is less than one partition. So with 4 members and 271 partitions each member is primary for 61 to
 *       74 of them, 25% ± 10% of 25%.</li>
 *   <li><b>Little movement.</b> When a member joins, it takes about its share of primaries and a few others move
 *       with it: over joins from 1 to 40 members, 1.8 times the ideal {@code P/(N+1)} on average at 271 partitions
 *       (about 3 times at worst, on joins where the balance limits shift) and 1.25 times at 1024. When a member leaves,
 *       most of its partitions go to their first backup, which already holds the data, and most other partitions keep
 *       their primary. No history-free rule can promise that <em>every</em> other partition keeps its primary on every
 *       leave while also keeping the balance limits: that promise forces each partition to rank all names in one fixed
 *       order, which is rendezvous hashing without a limit, whose loads spread far past it. So these are measured
 *       bounds (see {@code MovementReport} and {@code PartitionTableTest}), not absolutes.</li>
 * </ul>
 *
 * <p>The assignment is rendezvous hashing under capacities; see the engine's documentation for the algorithm.
 * Immutable and thread-safe.
 */
public final class PartitionTable {
    /** The most backups a partition may have. */
    public static final int MAX_BACKUP_COUNT = dev.cairn.MapOptions.MAX_BACKUP_COUNT;

    /** The most partitions a table may have. */
    public static final int MAX_PARTITION_COUNT = 65_536;

    /** Bounds the work and memory of one computation, which scores every (partition, member) pair. */
    static final long MAX_PAIRS = 1L << 24;

    private final long viewId;
    private final int partitionCount;
    private final int backupCount;
    private final List<String> members;
    private final Map<String, Integer> indexOf;
    /** owners[p][0] is the primary, owners[p][1..] the backups, as indexes into {@link #members}. */
    private final int[][] owners;
    private final List<List<Integer>> primaryOf;
    private final List<List<Integer>> backupOf;

    private PartitionTable(long viewId, int partitionCount, int backupCount, List<String> members, int[][] owners) {
        this.viewId = viewId;
        this.partitionCount = partitionCount;
        this.backupCount = backupCount;
        this.members = members;
        this.owners = owners;
        this.indexOf = new HashMap<>();
        List<List<Integer>> primaries = new ArrayList<>();
        List<List<Integer>> backups = new ArrayList<>();
        for (int m = 0; m < members.size(); m++) {
            indexOf.put(members.get(m), m);
            primaries.add(new ArrayList<>());
            backups.add(new ArrayList<>());
        }
        for (int p = 0; p < partitionCount; p++) {
            primaries.get(owners[p][0]).add(p);
            for (int i = 1; i < owners[p].length; i++) {
                backups.get(owners[p][i]).add(p);
            }
        }
        this.primaryOf = primaries.stream().map(List::copyOf).toList();
        this.backupOf = backups.stream().map(List::copyOf).toList();
    }

    /**
     * Computes the table for a view.
     *
     * @param viewId         the id of the view the members come from
     * @param members        the members' names, each once; their order does not matter
     * @param partitionCount how many partitions, 1 to {@value #MAX_PARTITION_COUNT}
     * @param backupCount    how many backups each partition should have, 0 to {@value #MAX_BACKUP_COUNT}; a partition
     *                       gets fewer when there are not enough other members
     * @throws IllegalArgumentException naming the argument and its value, if one is out of range, if {@code members} is
     *                                  empty or holds a null, an empty or a repeated name, or if
     *                                  {@code partitionCount × members} exceeds 16,777,216
     */
    public static PartitionTable compute(long viewId, List<String> members, int partitionCount, int backupCount) {
        Objects.requireNonNull(members, "members");
        if (partitionCount < 1 || partitionCount > MAX_PARTITION_COUNT) {
            throw new IllegalArgumentException(
                    "partitionCount must be between 1 and " + MAX_PARTITION_COUNT + ", was " + partitionCount);
        }
        if (backupCount < 0 || backupCount > MAX_BACKUP_COUNT) {
            throw new IllegalArgumentException(
                    "backupCount must be between 0 and " + MAX_BACKUP_COUNT + ", was " + backupCount);
        }
        if (members.isEmpty()) {
            throw new IllegalArgumentException("members must not be empty, was []");
        }
        List<String> sorted = new ArrayList<>(members.size());
        for (String name : members) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("members must not contain a null or empty name, was " + members);
            }
            sorted.add(name);
        }
        Collections.sort(sorted);
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).equals(sorted.get(i - 1))) {
                throw new IllegalArgumentException(
                        "members must not repeat a name, \"" + sorted.get(i) + "\" appears twice in " + members);
            }
        }
        if ((long) partitionCount * sorted.size() > MAX_PAIRS) {
            throw new IllegalArgumentException("partitionCount × members must be at most " + MAX_PAIRS + ", was "
                    + partitionCount + " × " + sorted.size());
        }
        List<String> names = List.copyOf(sorted);
        return new PartitionTable(viewId, partitionCount, backupCount, names,
                OwnerAssignment.assign(names, partitionCount, backupCount));
    }

    /** Computes the table for a cluster view: {@link #compute} over the view's id and member names. */
    public static PartitionTable of(ClusterView view, int partitionCount, int backupCount) {
        Objects.requireNonNull(view, "view");
        return compute(view.id(), view.names(), partitionCount, backupCount);
    }

    /** The id of the view this table was computed from. */
    public long viewId() {
        return viewId;
    }

    public int partitionCount() {
        return partitionCount;
    }

    /** The backups each partition was asked to have; {@link #backups} holds fewer when the view is too small. */
    public int backupCount() {
        return backupCount;
    }

    /** The members' names in the table's canonical (sorted) order. */
    public List<String> members() {
        return members;
    }

    /** The member that serves reads and writes of {@code partition}. */
    public String primary(int partition) {
        return members.get(owners[checked(partition)][0]);
    }

    /** The members holding copies of {@code partition}, in promotion order: the first replaces a dead primary. */
    public List<String> backups(int partition) {
        int[] row = owners[checked(partition)];
        List<String> names = new ArrayList<>(row.length - 1);
        for (int i = 1; i < row.length; i++) {
            names.add(members.get(row[i]));
        }
        return Collections.unmodifiableList(names);
    }

    /** The primary followed by the backups of {@code partition}. */
    public List<String> owners(int partition) {
        int[] row = owners[checked(partition)];
        List<String> names = new ArrayList<>(row.length);
        for (int m : row) {
            names.add(members.get(m));
        }
        return Collections.unmodifiableList(names);
    }

    /** The partitions {@code member} is primary for, ascending; empty if it is not in the view. */
    public List<Integer> partitionsOwnedBy(String member) {
        Integer m = indexOf.get(member);
        return m == null ? List.of() : primaryOf.get(m);
    }

    /** The partitions {@code member} holds a backup of, ascending; empty if it is not in the view. */
    public List<Integer> backupsHeldBy(String member) {
        Integer m = indexOf.get(member);
        return m == null ? List.of() : backupOf.get(m);
    }

    private int checked(int partition) {
        if (partition < 0 || partition >= partitionCount) {
            throw new IllegalArgumentException(
                    "partition must be between 0 and " + (partitionCount - 1) + ", was " + partition);
        }
        return partition;
    }

    /** Equal when computed for the same view id, members, partition count and backup count (and so owners). */
    @Override
    public boolean equals(Object o) {
        return o instanceof PartitionTable other
                && viewId == other.viewId
                && partitionCount == other.partitionCount
                && backupCount == other.backupCount
                && members.equals(other.members)
                && Arrays.deepEquals(owners, other.owners);
    }

    @Override
    public int hashCode() {
        return Objects.hash(viewId, partitionCount, backupCount, members, Arrays.deepHashCode(owners));
    }

    @Override
    public String toString() {
        return "PartitionTable[view " + viewId + ", " + partitionCount + " partitions, " + backupCount + " backups, "
                + members.size() + " members]";
    }
}
