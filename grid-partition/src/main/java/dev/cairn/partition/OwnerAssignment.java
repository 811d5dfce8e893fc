package dev.cairn.partition;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Computes who owns which partition: the engine behind {@link PartitionTable}. A pure function of the member names,
 * the partition count and the backup count; see {@link PartitionTable} for the rules it keeps.
 *
 * <p>How it works. Every (partition, member) pair gets a score, a 64-bit hash of the member's name and the partition
 * number (rendezvous, or highest-random-weight, hashing). All pairs are sorted once, best score first. Primaries are
 * then handed out greedily in that order: a partition goes to the first member it meets that is still under the
 * balance limit. With no limit this would be plain rendezvous hashing, which on a join moves only the partitions the
 * joiner wins, but whose loads spread like a Poisson variable (at 40 members and 271 partitions some member would
 * hold 13). With the limit it is the stable matching between partitions and members under capacities: balanced, at
 * the price of some extra moves when a member's place in the matching shifts.
 *
 * <p>The limit alone bounds loads from above only: members the scores disfavour can end well below the mean (56 of
 * 271 at 4 members for some names, mean 67.75). So the pass also keeps a floor, the {@link #lowerLimit lower limit}.
 * It counts its <em>slack</em>: the partitions still unassigned minus those the members below the floor still need.
 * A member at or above the floor may take a partition only while the slack is positive; a member below it takes any
 * partition it meets. Until the slack runs out this is exactly the greedy pass above; after, the last partitions go,
 * still best pair first, to the members below the floor. It cannot get stuck: every member below the floor meets
 * every partition.
 *
 * <p>Backups are handed out the same way, level by level, never twice to one partition and each member kept under the
 * backup limit. The first backup of a partition is first offered to its <em>successor</em>: the member that will be
 * its primary if the current primary leaves (found by running the primary pass without that member, which is exactly
 * what every node computes after the leave). So when a primary crashes, its partitions go to the backups that already
 * hold their data, as far as the backup limit let the successors be chosen. If the greedy pass leaves a partition
 * short of a backup because every member it may use is at the limit, a breadth-first search finds a chain of backup
 * moves that frees a place (an augmenting path), so the limit holds whenever it can be met. Then members below the
 * backup floor are raised to it: walking the pairs best first, such a member takes a backup place of the pair's
 * partition from a member above the floor (the last backup first, and a successor's first-backup place only if
 * nothing else is left); what that cannot settle, because of the distinct-owner rule, an augmenting path does.
 *
 * <p>Where every member owns every partition (backups = members - 1), primaries are balanced exactly (loads differ
 * by at most one), because a member's backup count is then the partition count minus its primary count.
 *
 * <p>Cost: sorting the {@code P × N} pairs, plus one primary pass per member for the successors, {@code O(P × N²)};
 * a few milliseconds for 271 partitions and 40 members, a few seconds for 16,384 partitions and 256 members.
 */
final class OwnerAssignment {
    static final int NONE = -1;
    private static final int ROOT = -2;

    private final int members;
    private final int partitions;
    private final int backups;
    private final int requestedBackups;
    /** All (partition, member) pairs, best first: the high half orders by score, the low half is the pair index. */
    private final long[] order;

    private OwnerAssignment(List<String> sortedNames, int partitions, int requestedBackups) {
        this.members = sortedNames.size();
        this.partitions = partitions;
        this.requestedBackups = requestedBackups;
        this.backups = Math.min(requestedBackups, members - 1);
        long[] nameHashes = new long[members];
        for (int m = 0; m < members; m++) {
            nameHashes[m] = nameHash(sortedNames.get(m));
        }
        order = new long[partitions * members];
        for (int p = 0; p < partitions; p++) {
            long partitionHash = Murmur3.fmix64((p + 1L) * 0x9E3779B97F4A7C15L);
            for (int m = 0; m < members; m++) {
                long score = Murmur3.fmix64(nameHashes[m] ^ partitionHash);
                long rank = Integer.MAX_VALUE - (score >>> 33); // 31 bits, smaller is better
                order[p * members + m] = rank << 32 | (p * members + m);
            }
        }
        Arrays.sort(order);
    }

    /**
     * The owners of every partition, as indexes into {@code sortedNames}: {@code result[p][0]} is the primary,
     * {@code result[p][1..]} the backups in order. The caller has checked the arguments.
     */
    static int[][] assign(List<String> sortedNames, int partitions, int requestedBackups) {
        return new OwnerAssignment(sortedNames, partitions, requestedBackups).run();
    }

    /** The most partitions one member may hold when {@code copies} are spread over {@code members}. */
    static int limit(long copies, int members) {
        long ceilMean = (copies + members - 1) / members;
        long tenPercentAbove = copies * 11 / (members * 10L);
        return (int) Math.max(ceilMean, tenPercentAbove);
    }

    /**
     * The fewest partitions one member may hold when {@code copies} are spread over {@code members}:
     * {@code min(floor(copies / members), ceil(0.9 × copies / members))}, at most 10% below the mean.
     */
    static int lowerLimit(long copies, int members) {
        long floorMean = copies / members;
        long tenPercentBelow = (copies * 9 + members * 10L - 1) / (members * 10L);
        return (int) Math.min(floorMean, tenPercentBelow);
    }

    private static long nameHash(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        long high = Murmur3.hash32(bytes, 0, bytes.length, 0x5bd1e995);
        long low = Murmur3.hash32(bytes, 0, bytes.length, 0x1b873593) & 0xffffffffL;
        return Murmur3.fmix64(high << 32 | low);
    }

    private int[][] run() {
        int[] primaries = primaries(NONE);
        int[][] owners = new int[partitions][backups + 1];
        for (int p = 0; p < partitions; p++) {
            Arrays.fill(owners[p], NONE);
            owners[p][0] = primaries[p];
        }
        if (backups == 0) {
            return owners;
        }
        int[] successors = successors(primaries);
        if (backups == members - 1) {
            everyMemberOwnsEverything(owners, successors);
        } else {
            assignBackups(owners, successors);
        }
        return owners;
    }

    /** Primaries computed as if {@code absent} (or no one, if {@link #NONE}) were not a member. */
    private int[] primaries(int absent) {
        int present = absent == NONE ? members : members - 1;
        int[] primary = new int[partitions];
        Arrays.fill(primary, NONE);
        int[] load = new int[members];
        boolean everyoneOwnsAll = Math.min(requestedBackups, present - 1) == present - 1;
        if (everyoneOwnsAll && present > 1) {
            greedyPrimaries(primary, load, absent, 0, partitions / present);
        }
        greedyPrimaries(primary, load, absent, lowerLimit(partitions, present), limit(partitions, present));
        return primary;
    }

    /**
     * Hands out the partitions without a primary, best pair first, each to a member under {@code upper}, while
     * keeping enough of them back for every member to reach {@code lower}. The slack is the number of partitions
     * left minus the number the members below {@code lower} still need; a member at or above {@code lower} may take a
     * partition only while the slack is positive. A member below {@code lower} takes any partition it meets, so when
     * the slack runs out the remaining partitions go, still best pair first, to the members that need them.
     */
    private void greedyPrimaries(int[] primary, int[] load, int absent, int lower, int upper) {
        int left = 0;
        for (int p : primary) {
            left += p == NONE ? 1 : 0;
        }
        long slack = left;
        for (int m = 0; m < members; m++) {
            slack -= m == absent ? 0 : Math.max(0, lower - load[m]);
        }
        for (int i = 0; i < order.length && left > 0; i++) {
            int pair = (int) order[i];
            int p = pair / members;
            int m = pair - p * members;
            if (m == absent || primary[p] != NONE || load[m] >= upper) {
                continue;
            }
            boolean needed = load[m] < lower;
            if (needed || slack > 0) {
                primary[p] = m;
                load[m]++;
                left--;
                slack -= needed ? 0 : 1;
            }
        }
    }

    /** For each partition, the member that would be its primary if its current primary left. */
    private int[] successors(int[] primaries) {
        int[] successor = new int[partitions];
        Arrays.fill(successor, NONE);
        if (members < 2) {
            return successor;
        }
        for (int leaver = 0; leaver < members; leaver++) {
            int[] without = null;
            for (int p = 0; p < partitions; p++) {
                if (primaries[p] == leaver) {
                    if (without == null) {
                        without = primaries(leaver);
                    }
                    successor[p] = without[p];
                }
            }
        }
        return successor;
    }

    private void everyMemberOwnsEverything(int[][] owners, int[] successors) {
        int[] filled = new int[partitions];
        for (int p = 0; p < partitions; p++) {
            owners[p][1] = successors[p];
            filled[p] = 2;
        }
        for (int i = 0; i < order.length && backups > 1; i++) {
            int pair = (int) order[i];
            int p = pair / members;
            int m = pair - p * members;
            if (filled[p] <= backups && !owns(owners[p], m, filled[p])) {
                owners[p][filled[p]++] = m;
            }
        }
    }

    private void assignBackups(int[][] owners, int[] successors) {
        int cap = limit((long) partitions * backups, members);
        int[] load = new int[members];
        for (int level = 1; level <= backups; level++) {
            int left = partitions;
            for (int pass = level == 1 ? 0 : 1; pass < 2; pass++) {
                for (int i = 0; i < order.length && left > 0; i++) {
                    int pair = (int) order[i];
                    int p = pair / members;
                    int m = pair - p * members;
                    boolean candidate = pass == 0 ? m == successors[p] : !owns(owners[p], m, level);
                    if (candidate && owners[p][level] == NONE && load[m] < cap) {
                        owners[p][level] = m;
                        load[m]++;
                        left--;
                    }
                }
            }
            for (int p = 0; p < partitions && left > 0; p++) {
                if (owners[p][level] == NONE) {
                    repair(owners, p, level, load, cap);
                    left--;
                }
            }
        }
        raiseBackups(owners, successors, load, lowerLimit((long) partitions * backups, members));
    }

    /**
     * Brings every member up to {@code lower} backups, taking places only from members above it, so the backup limit
     * and the distinct owners still hold. First directly, walking the pairs best first (a successor's first-backup
     * place is taken only on the second walk); then, for what is left, along augmenting paths.
     */
    private void raiseBackups(int[][] owners, int[] successors, int[] load, int lower) {
        int deficit = 0;
        for (int m = 0; m < members; m++) {
            deficit += Math.max(0, lower - load[m]);
        }
        for (int pass = 0; pass < 2 && deficit > 0; pass++) {
            for (int i = 0; i < order.length && deficit > 0; i++) {
                int pair = (int) order[i];
                int p = pair / members;
                int m = pair - p * members;
                if (load[m] >= lower || owns(owners[p], m, backups + 1)) {
                    continue;
                }
                for (int j = backups; j >= 1; j--) {
                    int d = owners[p][j];
                    if (load[d] > lower && (pass == 1 || j != 1 || d != successors[p])) {
                        owners[p][j] = m;
                        load[d]--;
                        load[m]++;
                        deficit--;
                        break;
                    }
                }
            }
        }
        for (int m = 0; m < members && deficit > 0; m++) {
            while (load[m] < lower && raiseAlongPath(owners, m, load, lower)) {
                deficit--;
            }
        }
    }

    /**
     * Gives {@code receiver} one more backup by a chain of moves: it takes a place from a member, which takes one from
     * another, and so on, until a member above {@code lower} gives one up. Breadth first, so the chain is as short as
     * can be. Returns false if there is no such chain.
     */
    private boolean raiseAlongPath(int[][] owners, int receiver, int[] load, int lower) {
        int[] parent = new int[members];
        int[] viaPartition = new int[members];
        int[] viaLevel = new int[members];
        Arrays.fill(parent, NONE);
        parent[receiver] = ROOT;
        int[] queue = new int[members];
        int head = 0;
        int tail = 0;
        queue[tail++] = receiver;
        int end = NONE;
        while (head < tail && end == NONE) {
            int x = queue[head++];
            for (int p = 0; p < partitions && end == NONE; p++) {
                if (owns(owners[p], x, backups + 1)) {
                    continue;
                }
                for (int j = 1; j <= backups; j++) {
                    int y = owners[p][j];
                    if (parent[y] == NONE) {
                        parent[y] = x;
                        viaPartition[y] = p;
                        viaLevel[y] = j;
                        queue[tail++] = y;
                        if (load[y] > lower) {
                            end = y;
                            break;
                        }
                    }
                }
            }
        }
        if (end == NONE) {
            return false;
        }
        load[end]--;
        load[receiver]++;
        for (int y = end; parent[y] != ROOT; y = parent[y]) {
            owners[viaPartition[y]][viaLevel[y]] = parent[y];
        }
        return true;
    }

    /**
     * Gives partition {@code stuck} a backup at {@code level} when the greedy pass found every member it may use at
     * the limit. Searches, breadth first, for a chain of backup moves that ends at a member under the limit: an
     * augmenting path, so it finds room whenever an assignment within the limit exists.
     */
    private void repair(int[][] owners, int stuck, int level, int[] load, int cap) {
        int[] parent = new int[members];
        int[] viaPartition = new int[members];
        int[] viaLevel = new int[members];
        Arrays.fill(parent, NONE);
        int[] queue = new int[members];
        int head = 0;
        int tail = 0;
        for (int m = 0; m < members; m++) {
            if (!owns(owners[stuck], m, backups + 1)) {
                parent[m] = ROOT;
                queue[tail++] = m;
            }
        }
        int end = NONE;
        while (head < tail && end == NONE) {
            int m = queue[head++];
            if (load[m] < cap) {
                end = m;
                break;
            }
            for (int p = 0; p < partitions; p++) {
                for (int j = 1; j <= backups; j++) {
                    if (owners[p][j] != m) {
                        continue;
                    }
                    for (int next = 0; next < members; next++) {
                        if (parent[next] == NONE && !owns(owners[p], next, backups + 1)) {
                            parent[next] = m;
                            viaPartition[next] = p;
                            viaLevel[next] = j;
                            queue[tail++] = next;
                        }
                    }
                }
            }
        }
        if (end == NONE) {
            // No assignment within the limit exists; keep every partition fully owned rather than fail.
            end = leastLoadedEligible(owners[stuck], load);
            owners[stuck][level] = end;
        } else {
            int current = end;
            while (parent[current] != ROOT) {
                owners[viaPartition[current]][viaLevel[current]] = current;
                current = parent[current];
            }
            owners[stuck][level] = current;
        }
        load[end]++;
    }

    private int leastLoadedEligible(int[] owners, int[] load) {
        int best = NONE;
        for (int m = 0; m < members; m++) {
            if (!owns(owners, m, backups + 1) && (best == NONE || load[m] < load[best])) {
                best = m;
            }
        }
        return best;
    }

    /** Whether {@code m} is among the first {@code count} owners ({@link #NONE} marks an owner not yet chosen). */
    private static boolean owns(int[] owners, int m, int count) {
        for (int i = 0; i < count; i++) {
            if (owners[i] == m) {
                return true;
            }
        }
        return false;
    }
}
