package dev.cairn.membership;

/**
 * Every request type on the grid's channel, one range per module, so that no two modules can take the same id and a
 * newcomer finds every message in one list. A request carries its type as its first two bytes.
 */
public final class RequestTypes {
    private RequestTypes() {
    }

    // grid-membership: below 0
    /** A node announcing its graceful leave. */
    public static final short LEAVING = -1;

    // grid-core (diagnostics): 0 to 9
    public static final short ECHO = 0;
    public static final short ECHO_INLINE = 1;

    // grid-partition: 10 to 19
    public static final short MAP_OP = 10;
    public static final short MAP_BATCH = 11;
    public static final short BACKUP = 12;
    public static final short PUSH = 13;
    public static final short MAP_SIZE = 14;
    public static final short MAP_CLEAR = 15;
    public static final short PULL = 16;
    public static final short RESYNC = 17;
    public static final short MAP_DESTROY = 18;
    /** A primary asking whether it is still in the others' view (its read lease). */
    public static final short LEASE = 19;

    // grid-locks: 20 to 29
    public static final short LOCK_COMMAND = 20;
    public static final short GRANT_HINT = 21;

    // grid-invalidation: 30 to 39
}
