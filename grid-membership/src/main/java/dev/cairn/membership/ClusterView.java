package dev.cairn.membership;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One view of the cluster: the members every node in it agrees on, in the same order on every node.
 *
 * @param id      increases with every view this node installs; views of different splits may share an id
 * @param members the members in view order; the first is the coordinator
 */
public record ClusterView(long id, List<Member> members) {
    public ClusterView {
        members = List.copyOf(members);
    }

    /** The oldest member, which coordinates joins and leaves. */
    public Member coordinator() {
        return members.get(0);
    }

    public int size() {
        return members.size();
    }

    /** The members' names in view order. */
    public List<String> names() {
        return members.stream().map(Member::name).collect(Collectors.toList());
    }

    @Override
    public String toString() {
        return "view " + id + " " + names();
    }
}
