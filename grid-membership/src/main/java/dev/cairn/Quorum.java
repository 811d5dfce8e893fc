package dev.cairn;

/**
 * Which operations of a map need this node's side of a split to hold a majority of the cluster's expected members
 * ({@code GridConfig.expectedMembers}). On a side without one such an operation fails at once with
 * {@link NoQuorumException} and nothing is written there, so nothing acknowledged can be lost when the split heals.
 * Without an expected size (0) no side can tell it is the minority, and nothing is refused.
 */
public enum Quorum {
    /** {@link #WRITES} when the expected size is set, else {@link #NONE}: the default for every map. */
    DEFAULT,
    /** Nothing needs a majority: both sides of a split take writes. */
    NONE,
    /** Writes need a majority; reads are served on either side (a minority side may serve an older value). */
    WRITES,
    /** Reads and writes need a majority: a minority side serves nothing. */
    READS_AND_WRITES;

    /** Whether an operation (a write, or a read) needs a majority, for a cluster of {@code expectedMembers} (0: unset). */
    public boolean covers(boolean write, int expectedMembers) {
        if (expectedMembers <= 0) {
            return false;
        }
        return switch (this) {
            case DEFAULT, WRITES -> write;
            case NONE -> false;
            case READS_AND_WRITES -> true;
        };
    }
}
