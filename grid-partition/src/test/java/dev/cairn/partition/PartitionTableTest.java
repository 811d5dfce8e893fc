package dev.cairn.partition;

import static dev.cairn.partition.MovementReport.compare;
import static dev.cairn.partition.MovementReport.idealJoinMoves;
import static dev.cairn.partition.MovementReport.names;
import static dev.cairn.partition.MovementReport.promoted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.cairn.membership.ClusterView;

class PartitionTableTest {
    private static final int MAX_MEMBERS = 40;
    private static final int[] PARTITION_COUNTS = {1, 7, 271, 1024};
    /** The partition counts the lower bound is checked at over every size. */
    private static final int[] FLOOR_PARTITION_COUNTS = {7, 271, 1024};
    /** Movement is measured where a partition is a small share of a member's load. */
    private static final int[] MOVEMENT_PARTITION_COUNTS = {271, 1024};

    /**
     * The balance rule, computed here independently of the engine: the most of {@code copies} one of {@code members}
     * may hold is {@code max(ceil(copies / members), floor(1.1 × copies / members))}.
     */
    private static long limit(long copies, int members) {
        long roundedUpMean = (copies + members - 1) / members;
        long tenPercentAbove = (long) Math.floor(1.1 * copies / members + 1e-9);
        return Math.max(roundedUpMean, tenPercentAbove);
    }

    /**
     * The floor, computed here independently of the engine: the fewest of {@code copies} one of {@code members} may
     * hold is {@code min(floor(copies / members), ceil(0.9 × copies / members))}.
     */
    private static long lowerLimit(long copies, int members) {
        long roundedDownMean = copies / members;
        long tenPercentBelow = (long) Math.ceil(0.9 * copies / members - 1e-9);
        return Math.min(roundedDownMean, tenPercentBelow);
    }

    /** Tables the movement tests share, by members, partition count and backup count. */
    private static final Map<List<Object>, PartitionTable> TABLES = new HashMap<>();

    private static PartitionTable table(int members, int partitions, int backups) {
        return table(names(members), partitions, backups);
    }

    private static PartitionTable table(List<String> members, int partitions, int backups) {
        return TABLES.computeIfAbsent(List.of(members, partitions, backups),
                key -> PartitionTable.compute(members.size(), members, partitions, backups));
    }

    private static List<String> without(List<String> members, String leaver) {
        List<String> rest = new ArrayList<>(members);
        rest.remove(leaver);
        return rest;
    }

    /** Every member up to 10 members, then 10 spread over the view (first and last included): keeps the tests quick. */
    private static List<String> leavers(List<String> members) {
        int n = members.size();
        if (n <= 10) {
            return members;
        }
        List<String> some = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            some.add(members.get(i * (n - 1) / 9));
        }
        return some;
    }

    @Test
    void everyPartitionHasAPrimaryAndDistinctBackups() {
        for (int partitions : PARTITION_COUNTS) {
            for (int backups = 0; backups <= 3; backups++) {
                for (int n = 1; n <= MAX_MEMBERS; n++) {
                    PartitionTable table = table(n, partitions, backups);
                    String where = partitions + " partitions, " + backups + " backups, " + n + " members";
                    int[] primaries = new int[n];
                    int[] held = new int[n];
                    for (int p = 0; p < partitions; p++) {
                        List<String> owners = table.owners(p);
                        assertEquals(Math.min(backups, n - 1) + 1, owners.size(), where + ", partition " + p);
                        assertEquals(owners.size(), new HashSet<>(owners).size(), where + ": repeated owner " + owners);
                        assertEquals(owners.get(0), table.primary(p));
                        assertEquals(owners.subList(1, owners.size()), table.backups(p));
                        assertTrue(table.partitionsOwnedBy(table.primary(p)).contains(p), where);
                        for (String backup : table.backups(p)) {
                            assertTrue(table.backupsHeldBy(backup).contains(p), where);
                        }
                        primaries[table.members().indexOf(table.primary(p))]++;
                        for (String backup : table.backups(p)) {
                            held[table.members().indexOf(backup)]++;
                        }
                    }
                    for (int m = 0; m < n; m++) {
                        String name = table.members().get(m);
                        assertEquals(primaries[m], table.partitionsOwnedBy(name).size(), where + ", " + name);
                        assertEquals(held[m], table.backupsHeldBy(name).size(), where + ", " + name);
                    }
                }
            }
        }
    }

    /**
     * The rule tested: with {@code N} members, {@code P} partitions and {@code b = min(B, N - 1)} backups, no member is
     * primary for more than {@code max(ceil(P/N), floor(1.1 P/N))} partitions nor holds more than
     * {@code max(ceil(bP/N), floor(1.1 bP/N))} backups.
     */
    @Test
    void noMemberHoldsMoreThanTenPercentAboveTheMean() {
        for (int partitions : PARTITION_COUNTS) {
            for (int backups = 0; backups <= 3; backups++) {
                for (int n = 1; n <= MAX_MEMBERS; n++) {
                    assertBalanced(table(n, partitions, backups));
                }
            }
        }
        for (int n : new int[] {64, 100, 271, 300}) {
            assertBalanced(table(n, 271, 1));
        }
    }

    /**
     * The lower bound: with {@code N} members and {@code P} partitions, every member is primary for at least
     * {@code min(floor(P/N), ceil(0.9 P/N))} partitions: at most 10% below the mean, except where 10% is less than one
     * partition, where the floor is the mean rounded down.
     */
    @Test
    void everyMemberHoldsAtLeastNinetyPercentOfTheMeanPrimaries() {
        for (int partitions : FLOOR_PARTITION_COUNTS) {
            for (int backups = 0; backups <= 3; backups++) {
                for (int n = 1; n <= MAX_MEMBERS; n++) {
                    PartitionTable table = table(n, partitions, backups);
                    long floor = lowerLimit(partitions, n);
                    for (String member : table.members()) {
                        int owned = table.partitionsOwnedBy(member).size();
                        assertTrue(owned >= floor, table + ": " + member + " is primary for " + owned
                                + " partitions, floor " + floor);
                    }
                }
            }
        }
    }

    /** Likewise for backups: with {@code b = min(B, N - 1)}, at least {@code min(floor(bP/N), ceil(0.9 bP/N))}. */
    @Test
    void everyMemberHoldsAtLeastNinetyPercentOfTheMeanBackups() {
        for (int partitions : FLOOR_PARTITION_COUNTS) {
            for (int backups = 0; backups <= 3; backups++) {
                for (int n = 1; n <= MAX_MEMBERS; n++) {
                    PartitionTable table = table(n, partitions, backups);
                    long floor = lowerLimit((long) partitions * Math.min(backups, n - 1), n);
                    for (String member : table.members()) {
                        int backed = table.backupsHeldBy(member).size();
                        assertTrue(backed >= floor, table + ": " + member + " holds " + backed
                                + " backups, floor " + floor);
                    }
                }
            }
        }
    }

    /**
     * The requirement as stated: with 4 members each owns 25% ± 10% of the primaries (relative: 0.9 to 1.1 times the
     * mean of 67.75), so 61 to 74 of 271, and likewise of the 271 backups. Names for which the upper limit alone left a
     * member short are included ("delta" had 60, "m9-d" 56).
     */
    @Test
    void fourMembersEachOwnTwentyFivePercentPlusOrMinusTenPercentOf271Partitions() {
        List<List<String>> views = new ArrayList<>();
        views.add(names(4));
        views.add(List.of("alpha", "bravo", "charlie", "delta"));
        views.add(List.of("m9-a", "m9-b", "m9-c", "m9-d"));
        views.add(List.of("m16-a", "m16-b", "m16-c", "m16-d"));
        Random random = new Random(4);
        while (views.size() < 200) {
            Set<String> members = new HashSet<>();
            while (members.size() < 4) {
                members.add(Long.toString(random.nextLong() & Long.MAX_VALUE, 36));
            }
            views.add(new ArrayList<>(members));
        }
        for (List<String> view : views) {
            PartitionTable table = PartitionTable.compute(1, view, 271, 1);
            for (String member : view) {
                int owned = table.partitionsOwnedBy(member).size();
                int backed = table.backupsHeldBy(member).size();
                assertTrue(owned >= 61 && owned <= 74, view + ": " + member + " is primary for " + owned);
                assertTrue(backed >= 61 && backed <= 74, view + ": " + member + " holds " + backed + " backups");
            }
        }
    }

    /** Any names, any sizes: the rule does not depend on the test's naming pattern. */
    @Test
    void randomViewsAreBalancedToo() {
        Random random = new Random(3);
        for (int i = 0; i < 300; i++) {
            int n = 1 + random.nextInt(60);
            Set<String> members = new HashSet<>();
            while (members.size() < n) {
                members.add(Long.toString(random.nextLong() & Long.MAX_VALUE, 36));
            }
            int partitions = 1 + random.nextInt(i % 2 == 0 ? 2000 : 60);
            PartitionTable table = PartitionTable.compute(i, new ArrayList<>(members), partitions, random.nextInt(4));
            assertBalanced(table);
        }
    }

    private static void assertBalanced(PartitionTable table) {
        int n = table.members().size();
        int partitions = table.partitionCount();
        int backups = Math.min(table.backupCount(), n - 1);
        long primaryLimit = limit(partitions, n);
        long backupLimit = limit((long) partitions * backups, n);
        long primaryFloor = lowerLimit(partitions, n);
        long backupFloor = lowerLimit((long) partitions * backups, n);
        long primaries = 0;
        long held = 0;
        for (String member : table.members()) {
            int owned = table.partitionsOwnedBy(member).size();
            int backed = table.backupsHeldBy(member).size();
            assertTrue(owned <= primaryLimit, table + ": " + member + " is primary for " + owned
                    + " partitions, limit " + primaryLimit);
            assertTrue(backed <= backupLimit, table + ": " + member + " holds " + backed
                    + " backups, limit " + backupLimit);
            assertTrue(owned >= primaryFloor, table + ": " + member + " is primary for " + owned
                    + " partitions, floor " + primaryFloor);
            assertTrue(backed >= backupFloor, table + ": " + member + " holds " + backed
                    + " backups, floor " + backupFloor);
            primaries += owned;
            held += backed;
        }
        assertEquals(partitions, primaries, table.toString());
        assertEquals((long) partitions * backups, held, table.toString());
    }

    @Test
    void theLimitIsTheMeanRoundedUpWhereTenPercentIsLessThanOnePartition() {
        assertEquals(3, limit(271, 100)); // mean 2.71
        assertEquals(7, limit(271, 40)); // mean 6.775, 10% above is 7.45
        assertEquals(99, limit(271, 3)); // mean 90.3, 10% above is 99.4
        assertEquals(112, limit(1024, 10)); // mean 102.4, 10% above is 112.6
        PartitionTable table = table(100, 271, 1);
        for (String member : table.members()) {
            assertTrue(table.partitionsOwnedBy(member).size() <= 3, member);
        }
        assertEquals(OwnerAssignment.limit(271, 100), limit(271, 100));
        assertEquals(OwnerAssignment.limit(271 * 3, 40), limit(271 * 3, 40));
    }

    @Test
    void theFloorIsTheMeanRoundedDownWhereTenPercentIsLessThanOnePartition() {
        assertEquals(61, lowerLimit(271, 4)); // mean 67.75, 10% below is 60.975
        assertEquals(2, lowerLimit(271, 100)); // mean 2.71
        assertEquals(6, lowerLimit(271, 40)); // mean 6.775, 10% below is 6.0975
        assertEquals(93, lowerLimit(1024, 10)); // mean 102.4, 10% below is 92.16
        assertEquals(0, lowerLimit(7, 40));
        assertEquals(9, lowerLimit(10, 1));
        for (long copies = 1; copies <= 3000; copies++) {
            for (int members = 1; members <= 300; members++) {
                assertEquals(limit(copies, members), OwnerAssignment.limit(copies, members), copies + " / " + members);
                assertEquals(lowerLimit(copies, members), OwnerAssignment.lowerLimit(copies, members),
                        copies + " / " + members);
            }
        }
    }

    @Test
    void theSameViewAlwaysGivesTheSameTable() {
        for (int backups = 0; backups <= 3; backups++) {
            for (int n = 1; n <= MAX_MEMBERS; n++) {
                PartitionTable first = table(n, 271, backups);
                PartitionTable second = table(n, 271, backups);
                assertEquals(first, second);
                assertEquals(first.hashCode(), second.hashCode());
            }
        }
    }

    @Test
    void theOrderOfTheMembersDoesNotChangeTheTable() {
        Random random = new Random(11);
        for (int backups = 0; backups <= 3; backups++) {
            for (int n = 1; n <= MAX_MEMBERS; n++) {
                List<String> shuffled = names(n);
                Collections.shuffle(shuffled, random);
                PartitionTable fromShuffled = PartitionTable.compute(n, shuffled, 271, backups);
                assertEquals(table(n, 271, backups), fromShuffled);
                assertEquals(fromShuffled, PartitionTable.compute(n, new ArrayList<>(shuffled), 271, backups));
            }
        }
    }

    /** Guards the two tests above: equality must look at the owners, not just the sizes. */
    @Test
    void differentMembersGiveDifferentOwners() {
        PartitionTable ours = PartitionTable.compute(1, List.of("a", "b", "c"), 271, 1);
        PartitionTable theirs = PartitionTable.compute(1, List.of("a", "b", "d"), 271, 1);
        assertNotEquals(ours, theirs);
        assertNotEquals(ours, PartitionTable.compute(2, List.of("a", "b", "c"), 271, 1));
        assertNotEquals(ours, PartitionTable.compute(1, List.of("a", "b", "c"), 271, 2));
        int same = 0;
        for (int p = 0; p < 271; p++) {
            same += ours.primary(p).equals(theirs.primary(p)) ? 1 : 0;
        }
        assertTrue(same < 271, "replacing c by d changed no primary");
    }

    /**
     * Pinned checksums: nodes of different builds or JVMs in one cluster must compute the same table, so a change to
     * the name hash, the scores or the assignment must be deliberate (and is a breaking change for rolling upgrades).
     * Last changed deliberately when the lower bound on each member's share was added.
     */
    @Test
    void theTableIsTheSameOnEveryJvm() {
        PartitionTable small = PartitionTable.compute(7, List.of("alpha", "bravo", "charlie"), 271, 1);
        assertEquals(List.of("alpha", "bravo"), small.owners(0));
        assertEquals(List.of("bravo", "alpha"), small.owners(1));
        assertEquals(9_308_591L, fingerprint(small));
        assertEquals(3_075_732_241L, fingerprint(table(10, 271, 2)));
        assertEquals(3_479_176_449L, fingerprint(table(40, 1024, 3)));
    }

    private static long fingerprint(PartitionTable table) {
        CRC32 crc = new CRC32();
        for (int p = 0; p < table.partitionCount(); p++) {
            crc.update(String.join(",", table.owners(p)).getBytes(StandardCharsets.UTF_8));
            crc.update(';');
        }
        return crc.getValue();
    }

    @Test
    void theTableCarriesTheViewAndItsSettings() {
        PartitionTable table = PartitionTable.compute(42, List.of("b", "a"), 271, 2);
        assertEquals(42, table.viewId());
        assertEquals(271, table.partitionCount());
        assertEquals(2, table.backupCount());
        assertEquals(List.of("a", "b"), table.members());
        assertEquals(1, table.backups(0).size(), "two members leave room for one backup");
    }

    @Test
    void aLoneMemberOwnsEverything() {
        PartitionTable table = PartitionTable.compute(1, List.of("solo"), 271, 3);
        assertEquals(271, table.partitionsOwnedBy("solo").size());
        assertEquals(List.of(), table.backups(270));
        assertEquals(List.of(), table.backupsHeldBy("solo"));
        assertEquals(List.of(), table.partitionsOwnedBy("stranger"));
        assertEquals(List.of(), table.backupsHeldBy("stranger"));
    }

    /**
     * Ideal: the joiner takes P/(N+1) primaries and nothing else moves. Measured over every join 1 to 40 members (and
     * printed by {@link MovementReportTest}): 1.76 times the ideal on average at 271 partitions, 1.25 at 1024.
     */
    @Test
    void aJoinMovesAtMostTwiceTheIdealShareOnAverage() {
        for (int partitions : MOVEMENT_PARTITION_COUNTS) {
            for (int backups = 0; backups <= 3; backups++) {
                double ratios = 0;
                for (int n = 1; n < MAX_MEMBERS; n++) {
                    int moved = compare(table(n, partitions, backups), table(n + 1, partitions, backups))
                            .primariesMoved();
                    ratios += moved / idealJoinMoves(partitions, n + 1);
                }
                double mean = ratios / (MAX_MEMBERS - 1);
                assertTrue(mean <= 2.0, partitions + " partitions, " + backups + " backups: joins moved " + mean
                        + " times the ideal share on average");
            }
        }
    }

    /**
     * Besides what the joiner takes, at most one partition in eight changes primary on any join from 1 to 40 members.
     * (Measured worst: 16 of 271 and 33 of 1024.) The joiner itself takes at least half its mean share (measured: at
     * least 90%, as the lower bound requires).
     */
    @Test
    void aJoinLeavesTheOtherPrimariesMostlyInPlace() {
        for (int partitions : MOVEMENT_PARTITION_COUNTS) {
            for (int backups = 0; backups <= 3; backups++) {
                for (int n = 1; n < MAX_MEMBERS; n++) {
                    PartitionTable before = table(n, partitions, backups);
                    PartitionTable after = table(n + 1, partitions, backups);
                    int among = compare(before, after).primariesMovedAmong();
                    assertTrue(among <= partitions / 8, partitions + " partitions, " + backups + " backups, join "
                            + n + "->" + (n + 1) + ": " + among + " primaries moved between members already there");
                    int taken = after.partitionsOwnedBy("node-" + n).size();
                    assertTrue(taken >= idealJoinMoves(partitions, n + 1) / 2,
                            "the joiner took only " + taken + " primaries at " + n + "->" + (n + 1));
                }
            }
        }
    }

    /**
     * Leaves from 2 to 40 members (of every member, or of ten spread over larger views): at most one partition in
     * eight whose primary stays changes primary. No history-free rule can keep every such primary and also the balance
     * limit (keeping them all on every leave forces each partition to rank all names in one fixed order, which is
     * rendezvous hashing without a limit), so this is a bound, not zero. Measured worst: 20 of 271, 33 of 1024.
     */
    @Test
    void aLeaveKeepsMostPrimariesOfStayingMembers() {
        for (int partitions : MOVEMENT_PARTITION_COUNTS) {
            for (int backups = 0; backups <= 1; backups++) {
                for (int n = 2; n <= MAX_MEMBERS; n++) {
                    PartitionTable before = table(n, partitions, backups);
                    for (String leaver : leavers(before.members())) {
                        PartitionTable after = table(without(before.members(), leaver), partitions, backups);
                        int among = compare(before, after).primariesMovedAmong();
                        assertTrue(among <= partitions / 8, partitions + " partitions, " + n + " members, " + leaver
                                + " leaves: " + among + " primaries of staying members moved");
                    }
                }
            }
        }
    }

    /**
     * When a primary leaves, its partitions should go to their first backup, which holds the data already. Counted over
     * the leavers of each size from 2 to 40 members. With two or more backups at least 85% at every size and 95% on
     * average (measured: 89% at worst, 97% on average). With one backup the backup limits cap how many partitions
     * can name their successor as backup: under a tight limit a leaver's partitions can only go to the few members
     * with room, and each of those may hold only so many backups. So at least 50% at every size and 75% on average
     * (measured at 271 partitions: 59% at worst, 80% on average; at 1024 partitions: 84% and 95%). Where every
     * member owns every partition it is all of them.
     */
    @Test
    void aLeaversPartitionsArePromotedFromTheirFirstBackup() {
        for (int partitions : MOVEMENT_PARTITION_COUNTS) {
            for (int backups = 1; backups <= 3; backups++) {
                double shares = 0;
                for (int n = 2; n <= MAX_MEMBERS; n++) {
                    PartitionTable before = table(n, partitions, backups);
                    int orphans = 0;
                    int promoted = 0;
                    for (String leaver : leavers(before.members())) {
                        PartitionTable after = table(without(before.members(), leaver), partitions, backups);
                        orphans += before.partitionsOwnedBy(leaver).size();
                        promoted += promoted(before, after, leaver);
                    }
                    double share = (double) promoted / orphans;
                    double bound = n <= backups + 1 ? 1.0 : backups == 1 ? 0.50 : 0.85;
                    assertTrue(share >= bound, partitions + " partitions, " + backups + " backups, " + n
                            + " members: " + promoted + " of " + orphans + " orphaned partitions promoted");
                    shares += share;
                }
                double mean = shares / (MAX_MEMBERS - 1);
                assertTrue(mean >= (backups == 1 ? 0.75 : 0.95),
                        partitions + " partitions, " + backups + " backups: " + mean + " promoted on average");
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirNameAndValue() {
        List<String> three = List.of("a", "b", "c");
        assertRejected("partitionCount must be between 1 and 65536, was 0",
                () -> PartitionTable.compute(1, three, 0, 1));
        assertRejected("partitionCount must be between 1 and 65536, was 65537",
                () -> PartitionTable.compute(1, three, 65_537, 1));
        assertRejected("backupCount must be between 0 and 3, was -1", () -> PartitionTable.compute(1, three, 271, -1));
        assertRejected("backupCount must be between 0 and 3, was 4", () -> PartitionTable.compute(1, three, 271, 4));
        assertRejected("members must not be empty, was []", () -> PartitionTable.compute(1, List.of(), 271, 1));
        assertRejected("members must not repeat a name, \"b\" appears twice in [b, a, b]",
                () -> PartitionTable.compute(1, List.of("b", "a", "b"), 271, 1));
        assertRejected("members must not contain a null or empty name, was [a, ]",
                () -> PartitionTable.compute(1, List.of("a", ""), 271, 1));
        assertRejected("members must not contain a null or empty name, was [a, null]",
                () -> PartitionTable.compute(1, Arrays.asList("a", null), 271, 1));
        assertRejected("partitionCount × members must be at most 16777216, was 65536 × 257",
                () -> PartitionTable.compute(1, names(257), 65_536, 1));
        assertRejected("members must not be empty, was []",
                () -> PartitionTable.of(new ClusterView(9, List.of()), 271, 1));
        PartitionTable table = PartitionTable.compute(1, three, 271, 1);
        assertRejected("partition must be between 0 and 270, was 271", () -> table.primary(271));
        assertRejected("partition must be between 0 and 270, was -1", () -> table.backups(-1));
        assertRejected("partition must be between 0 and 270, was 300", () -> table.owners(300));
    }

    private static void assertRejected(String message, Executable call) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
