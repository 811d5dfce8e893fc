package dev.cairn.partition;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.cairn.membership.ClusterView;
import dev.cairn.membership.Member;

/**
 * One view as this node sees it: the members by name, the partition table of every backup count derived from it
 * (decision 12: a function of the names alone), and whether a majority of the lock group is in it (fenced writes need
 * one). Immutable; a new view makes a new topology.
 */
final class Topology {
    final ClusterView view;
    /** Views of different splits may share an id; the key adds the coordinator, so it tells them apart. */
    final long key;
    final Map<String, Member> byName = new HashMap<>();
    private final PartitionTable[] tables = new PartitionTable[PartitionTable.MAX_BACKUP_COUNT + 1];
    private final Member self;
    private final List<String> fenceQuorum;
    /** How many of the lock group are in this view. */
    final long fenceQuorumSeen;
    /** The cluster size a map's quorum is counted against; 0 when not set. */
    private final int expectedMembers;
    /**
     * For a view that healed a split, the names of the members of each side, the largest side first (decision 67):
     * its copies are the ones the others' are merged into. Null for any other view.
     */
    final List<java.util.Set<String>> sides;

    /**
     * @param self            this node's member (this incarnation)
     * @param fenceQuorum     the lock group's names, empty for none
     * @param expectedMembers the cluster size maps' quorums are counted against, 0 for none
     * @param sides           for a view that merged subgroups, each subgroup's names, the largest first; else null
     */
    Topology(ClusterView view, Member self, int partitionCount, List<String> fenceQuorum, int expectedMembers,
             List<java.util.Set<String>> sides) {
        this.view = view;
        this.sides = sides;
        this.self = self;
        this.fenceQuorum = fenceQuorum;
        this.expectedMembers = expectedMembers;
        for (Member m : view.members()) {
            // two incarnations of one name (a node replaced while paused, then resumed): the later started wins, and
            // on a tie the later in the view, as a restarted node's newer incarnation is in a view that grew
            byName.merge(m.name(), m, (a, b) -> b.startedAt() >= a.startedAt() ? b : a);
        }
        this.key = keyOf(view);
        List<String> names = List.copyOf(byName.keySet());
        for (int b = 0; b < tables.length; b++) {
            tables[b] = PartitionTable.compute(view.id(), names, partitionCount, b);
        }
        this.fenceQuorumSeen = fenceQuorum.stream().filter(byName::containsKey).count();
    }

    PartitionTable table(int backups) {
        return tables[backups];
    }

    /** The most partitions any member holds, primaries and backups together, for maps with {@code backups} backups. */
    int mostHeld(int backups) {
        int most = mostHeld[backups];
        if (most == 0) {
            for (String name : byName.keySet()) {
                most = Math.max(most, tables[backups].partitionsOwnedBy(name).size()
                        + tables[backups].backupsHeldBy(name).size());
            }
            mostHeld[backups] = Math.max(1, most); // (racing threads compute the same figure)
        }
        return mostHeld[backups];
    }

    private final int[] mostHeld = new int[PartitionTable.MAX_BACKUP_COUNT + 1];

    /**
     * Whether the member named {@code name} in this view is this node's incarnation. Ownership is by name, so a node
     * paused, replaced under its name and then resumed would otherwise take itself for the owner the others route to.
     */
    boolean isSelf(String name) {
        Member m = byName.get(name);
        return m != null && m.equals(self);
    }

    boolean isPrimary(int backups, int p) {
        return isSelf(tables[backups].primary(p));
    }

    boolean isOwner(int backups, int p) {
        for (String owner : tables[backups].owners(p)) {
            if (isSelf(owner)) {
                return true;
            }
        }
        return false;
    }

    /** The primary of {@code p}, or null when its name has no member in this view. */
    Member primary(int backups, int p) {
        return byName.get(tables[backups].primary(p));
    }

    /** The members that hold backups of {@code p} in this view. */
    List<Member> backups(int backups, int p) {
        return tables[backups].backups(p).stream().map(byName::get).toList();
    }

    boolean takesFencedWrites() {
        return fenceQuorum.isEmpty() || fenceQuorumSeen > fenceQuorum.size() / 2;
    }

    String fenceQuorumRefusal(String map) {
        return "map '" + map + "': a fenced write needs a majority of the lock group " + fenceQuorum + " in the view, but"
                + " node '" + self.name() + "' sees " + fenceQuorumSeen + " of them (cut off from the rest?); nothing was"
                + " written";
    }

    /** The key of a view: its id and its coordinator, since views of different splits may share an id. */
    static long keyOf(dev.cairn.membership.ClusterView view) {
        return view.id() * 1_000_003L + view.coordinator().name().hashCode();
    }

    /** Whether fewer members than expected are in this view: a partition no member holds may be held by the others. */
    boolean missesMembers() {
        return expectedMembers > 0 && byName.size() < expectedMembers;
    }

    /** Why a partition whose current copies are all on members missing from this view serves nothing (decision 63). */
    String missingCopiesRefusal(String map, int partition, boolean write) {
        return "map '" + map + "': no member of this view holds a current copy of partition " + partition + ": its"
                + " last owners are among the members missing from it (node '" + self.name() + "' sees " + byName.size()
                + " of the " + expectedMembers + " expected: " + byName.keySet() + "); it serves again once they return,"
                + " or once " + expectedMembers + " members are back without them (then from the freshest copy left); "
                + (write ? "nothing was written" : "nothing was read");
    }

    /**
     * Why this view may not serve a write (or a read) of a map with {@code options}: its {@link dev.cairn.Quorum} needs
     * a majority of the expected members and this side holds fewer. Null when it may.
     */
    String quorumRefusal(String map, dev.cairn.MapOptions options, boolean write) {
        if (!options.quorum().covers(write, expectedMembers) || byName.size() > expectedMembers / 2) {
            return null;
        }
        return "map '" + map + "': " + (write ? "writes need" : "reads need") + " a majority of the " + expectedMembers
                + " expected members (" + (expectedMembers / 2 + 1) + "), but node '" + self.name() + "' sees "
                + byName.size() + ": " + byName.keySet() + " (cut off from the rest?); "
                + (write ? "nothing was written" : "nothing was read");
    }
}
