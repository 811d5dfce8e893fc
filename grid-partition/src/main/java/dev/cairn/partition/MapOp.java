package dev.cairn.partition;

import java.util.Arrays;

/**
 * The single-key operations, each decided from the entry as it stands. The same decision runs on the primary whether
 * the call came from this node or another, so the semantics live in one place; replication ships only its outcome.
 */
enum MapOp {
    GET(true),
    CONTAINS(true),
    PUT(false),
    SET(false),
    PUT_IF_ABSENT(false),
    REPLACE(false),
    REPLACE_IF_EQUALS(false),
    REMOVE(false),
    REMOVE_IF_EQUALS(false);

    private static final MapOp[] ALL = values();

    final boolean read;

    MapOp(boolean read) {
        this.read = read;
    }

    static MapOp of(int code) {
        return ALL[code];
    }

    /**
     * What the operation does to the entry {@code current} (null when absent).
     *
     * @param value    the new value (put-style operations), else null
     * @param expected the value compared byte for byte (replace/remove if equals), else null
     */
    Decision decide(StoredEntry current, byte[] value, byte[] expected) {
        byte[] now = current == null ? null : current.value();
        return switch (this) {
            case GET -> Decision.keep(now, now != null);
            case CONTAINS -> Decision.keep(null, now != null);
            case PUT -> Decision.write(now, true, value);
            case SET -> Decision.write(null, true, value);
            case PUT_IF_ABSENT -> now == null ? Decision.write(null, true, value) : Decision.keep(now, false);
            case REPLACE -> now != null ? Decision.write(now, true, value) : Decision.keep(null, false);
            case REPLACE_IF_EQUALS -> now != null && Arrays.equals(now, expected)
                    ? Decision.write(now, true, value) : Decision.keep(now, false);
            case REMOVE -> now != null ? Decision.delete(now, true) : Decision.keep(null, false);
            case REMOVE_IF_EQUALS -> now != null && Arrays.equals(now, expected)
                    ? Decision.delete(now, true) : Decision.keep(now, false);
        };
    }

    /**
     * An operation's outcome.
     *
     * @param returned the value the caller gets back (the previous or current value, per operation), or null
     * @param flag     the caller's boolean (found, applied)
     * @param change   what to store: {@link Change#NONE}, {@link Change#WRITE} {@code value}, or {@link Change#DELETE}
     * @param value    the value to write when {@code change} is WRITE
     */
    record Decision(byte[] returned, boolean flag, Change change, byte[] value) {
        static Decision keep(byte[] returned, boolean flag) {
            return new Decision(returned, flag, Change.NONE, null);
        }

        static Decision write(byte[] returned, boolean flag, byte[] value) {
            return new Decision(returned, flag, Change.WRITE, value);
        }

        static Decision delete(byte[] returned, boolean flag) {
            return new Decision(returned, flag, Change.DELETE, null);
        }
    }

    enum Change { NONE, WRITE, DELETE }
}
