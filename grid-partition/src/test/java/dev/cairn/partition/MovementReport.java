package dev.cairn.partition;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Measures how much of a {@link PartitionTable} changes when one member joins or leaves. The tests assert bounds on
 * these figures; {@link #main} prints them so they can be quoted.
 */
final class MovementReport {
    private MovementReport() {
    }

    /** Members {@code node-0 .. node-(n-1)}. */
    static List<String> names(int n) {
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            names.add("node-" + i);
        }
        return names;
    }

    /**
     * What changed between two tables.
     *
     * @param primariesMoved      partitions whose primary differs
     * @param primariesMovedAmong partitions whose primary moved from one member of both views to another
     * @param copiesCreated       (partition, member) ownerships in {@code after} that {@code before} lacked: data to
     *                            copy
     */
    record Change(int primariesMoved, int primariesMovedAmong, int copiesCreated) {
    }

    static Change compare(PartitionTable before, PartitionTable after) {
        Set<String> both = new HashSet<>(before.members());
        both.retainAll(after.members());
        int moved = 0;
        int among = 0;
        int created = 0;
        for (int p = 0; p < before.partitionCount(); p++) {
            String was = before.primary(p);
            String is = after.primary(p);
            if (!was.equals(is)) {
                moved++;
                if (both.contains(was) && both.contains(is)) {
                    among++;
                }
            }
            List<String> had = before.owners(p);
            for (String owner : after.owners(p)) {
                if (!had.contains(owner)) {
                    created++;
                }
            }
        }
        return new Change(moved, among, created);
    }

    /** The share of partitions that must move to a joiner for it to hold its share: P / (members after the join). */
    static double idealJoinMoves(int partitions, int membersAfter) {
        return (double) partitions / membersAfter;
    }

    /** Of the partitions {@code leaver} was primary for, how many went to their first backup. */
    static int promoted(PartitionTable before, PartitionTable after, String leaver) {
        int promoted = 0;
        for (int p : before.partitionsOwnedBy(leaver)) {
            List<String> backups = before.backups(p);
            if (!backups.isEmpty() && backups.get(0).equals(after.primary(p))) {
                promoted++;
            }
        }
        return promoted;
    }

    public static void main(String[] args) {
        int partitions = args.length > 0 ? Integer.parseInt(args[0]) : Partitioner.DEFAULT_PARTITION_COUNT;
        int backupCount = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        System.out.println(report(partitions, backupCount, new int[] {3, 10, 39}));
    }

    /**
     * For each size {@code n}: the join of {@code node-n} to {@code node-0 .. node-(n-1)}, then the leave of each
     * of the {@code n+1} members in turn, summed over the leavers.
     */
    static String report(int partitions, int backupCount, int[] sizes) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                "Partition table movement, %d partitions, %d backups (ideal join = P / members after)%n",
                partitions, backupCount));
        for (int n : sizes) {
            PartitionTable small = PartitionTable.compute(1, names(n), partitions, backupCount);
            PartitionTable large = PartitionTable.compute(2, names(n + 1), partitions, backupCount);
            Change join = compare(small, large);
            double ideal = idealJoinMoves(partitions, n + 1);
            int among = 0;
            int worstAmong = 0;
            int orphans = 0;
            int promoted = 0;
            for (String leaver : large.members()) {
                List<String> rest = new ArrayList<>(large.members());
                rest.remove(leaver);
                PartitionTable after = PartitionTable.compute(3, rest, partitions, backupCount);
                int moved = compare(large, after).primariesMovedAmong();
                among += moved;
                worstAmong = Math.max(worstAmong, moved);
                orphans += large.partitionsOwnedBy(leaver).size();
                promoted += promoted(large, after, leaver);
            }
            out.append(String.format("join %2d->%-2d primaries moved %3d / ideal %5.1f = %.2f, %2d of them"
                    + " between staying members; data copies made %3d",
                    n, n + 1, join.primariesMoved(), ideal, join.primariesMoved() / ideal, join.primariesMovedAmong(),
                    join.copiesCreated()));
            out.append(String.format(" | leave %2d->%-2d staying members' primaries moved avg %4.1f max %2d;"
                    + " orphans promoted from first backup %s%n",
                    n + 1, n, (double) among / (n + 1), worstAmong,
                    backupCount == 0 ? "n/a" : String.format("%.0f%%", 100.0 * promoted / orphans)));
        }
        return out.toString();
    }
}
