package dev.cairn.membership;

import java.util.List;

/**
 * Told of changes to the cluster. Calls arrive in view order on one thread per node, never on a JGroups thread, so a
 * slow listener delays only later events. For each new view: first one call per member that joined, left or crashed,
 * then {@link #merged} if the view heals a split, then {@link #viewChanged}.
 */
public interface MembershipListener {
    /** A member entered the view (a new node, a restart, or a member of another split after a merge). */
    default void memberJoined(Member member, ClusterView view) {
    }

    /** A member closed gracefully and announced its leave. */
    default void memberLeft(Member member, ClusterView view) {
    }

    /** A member left the view without announcing it: it crashed, hung past the failure timeout, or was cut off. */
    default void memberCrashed(Member member, ClusterView view) {
    }

    /** Splits of the cluster found each other again and formed {@code view}; {@code subgroups} are the views merged. */
    default void merged(ClusterView view, List<ClusterView> subgroups) {
    }

    /** A new view was installed. */
    default void viewChanged(ClusterView view) {
    }
}
