package dev.cairn.membership;

/** The first byte of every reply of every module: how the request went. */
public enum Status {
    /** Done; what follows is the answer. */
    OK,
    /** Not served here now (another view, not the primary, not held yet): try again, perhaps elsewhere. */
    RETRY,
    /** The store has no room; a message follows. */
    FULL,
    /** A backup write from a member that is not this node's primary in its view, or while this node leaves. */
    STALE,
    /** A pull asked for a partition this node does not hold. */
    NONE,
    /** A pull's snapshot is on its way. */
    PUSHING,
    /** A fenced write below the partition's fence; a message follows. */
    STALE_FENCE,
    /** A fenced write on a side without the lock group's majority; a message follows. */
    NO_QUORUM,
    /** A value larger than a store can ever hold; a message follows. Nothing was written. */
    TOO_LARGE,
    /** A request this node could not read; a message follows. Nothing was applied. */
    MALFORMED,
    /** No answer within the time the request allowed; a message follows. */
    TIMEOUT,
    /** The handler failed; a message follows. */
    FAILED,
    /** A bounded map is full and its policy may evict nothing; a message follows. Nothing was written. */
    MAP_FULL;

    private static final Status[] ALL = values();

    public byte code() {
        return (byte) ordinal();
    }

    /** A reply of this status alone. */
    public byte[] reply() {
        return new byte[] {code()};
    }

    public static Status of(int code) {
        return code >= 0 && code < ALL.length ? ALL[code] : MALFORMED;
    }

    /** Whether a message string follows the status. */
    public boolean carriesMessage() {
        return this == FULL || this == MAP_FULL || this == STALE_FENCE || this == NO_QUORUM || this == TOO_LARGE || this == MALFORMED
                || this == TIMEOUT || this == FAILED;
    }
}
