package dev.cairn.partition;

import java.util.Arrays;

import dev.cairn.EntryOptions;
import dev.cairn.Priority;
import dev.cairn.membership.Wire;

/**
 * An operation on one key, decided by the key's primary from the entry as it stands. The same decision runs on the
 * primary whether the call came from this node or another, so each operation's semantics live in its record;
 * replication ships only the decided outcome. The set is open for what comes next (entry processors, counters): a new
 * operation is a new record with its wire tag, its decision and its fields on the wire.
 */
sealed interface Op {
    /** The tag that names this operation on the wire; see {@link #read}. */
    int tag();

    /** True for an operation that changes nothing (served without an invocation id, never replicated). */
    default boolean isRead() {
        return false;
    }

    /** What the operation does to the entry {@code current} (null when absent). */
    Decision decide(StoredEntry current);

    /** The operation's own fields after its tag; see {@link #read}. */
    default void writeFields(Wire.Out out) {
    }

    /**
     * Whether the caller is answered the value the entry held before (put, replace, remove): a backup then records
     * the outcome from its own copy, which is the primary's, rather than receiving it.
     */
    default boolean returnsPrevious() {
        return false;
    }

    /** The value written by a put-style operation, else null; its size is checked before anything is decided. */
    default byte[] value() {
        return null;
    }

    /**
     * The time to live a write gives its entry, in milliseconds: -1 for the map's default ({@link dev.cairn.Expiry}),
     * 0 for never.
     */
    default long ttlMillis() {
        return -1;
    }

    /** The priority a write gives its entry, or null to keep the entry's own ({@link Priority#NORMAL} for a new one). */
    default Priority priority() {
        return null;
    }

    record Get() implements Op {
        static final Get INSTANCE = new Get();

        public int tag() { return 0; }

        @Override
        public boolean isRead() { return true; }

        public Decision decide(StoredEntry current) {
            byte[] now = valueOf(current);
            return Decision.keep(now, now != null);
        }
    }

    record Contains() implements Op {
        static final Contains INSTANCE = new Contains();

        public int tag() { return 1; }

        @Override
        public boolean isRead() { return true; }

        public Decision decide(StoredEntry current) {
            return Decision.keep(null, current != null);
        }
    }

    /** Stores the value; returns the previous one. */
    record Put(byte[] value, EntryOptions options) implements Op {
        Put(byte[] value) {
            this(value, EntryOptions.DEFAULT);
        }

        @Override
        public boolean returnsPrevious() { return true; }

        public int tag() { return 2; }

        public Decision decide(StoredEntry current) {
            return Decision.write(valueOf(current), true, value);
        }

        @Override
        public long ttlMillis() { return options.ttlMillis(); }

        @Override
        public Priority priority() { return options.priority(); }

        @Override
        public void writeFields(Wire.Out out) { writeOptions(out.bytes(value), options); }
    }

    /** Stores the value; returns nothing. */
    record Set(byte[] value, EntryOptions options) implements Op {
        Set(byte[] value) {
            this(value, EntryOptions.DEFAULT);
        }

        public int tag() { return 3; }

        public Decision decide(StoredEntry current) {
            return Decision.write(null, true, value);
        }

        @Override
        public long ttlMillis() { return options.ttlMillis(); }

        @Override
        public Priority priority() { return options.priority(); }

        @Override
        public void writeFields(Wire.Out out) { writeOptions(out.bytes(value), options); }
    }

    /** Stores the value if the key is absent; returns the value already there, or null when it stored it. */
    record PutIfAbsent(byte[] value, EntryOptions options) implements Op {
        PutIfAbsent(byte[] value) {
            this(value, EntryOptions.DEFAULT);
        }

        public int tag() { return 4; }

        public Decision decide(StoredEntry current) {
            return current == null ? Decision.write(null, true, value) : Decision.keep(current.value(), false);
        }

        @Override
        public long ttlMillis() { return options.ttlMillis(); }

        @Override
        public Priority priority() { return options.priority(); }

        @Override
        public void writeFields(Wire.Out out) { writeOptions(out.bytes(value), options); }
    }

    /** Replaces the value if the key is present; returns the previous value, or null when absent. */
    record Replace(byte[] value) implements Op {
        @Override
        public boolean returnsPrevious() { return true; }

        public int tag() { return 5; }

        public Decision decide(StoredEntry current) {
            return current != null ? Decision.write(current.value(), true, value) : Decision.keep(null, false);
        }

        @Override
        public void writeFields(Wire.Out out) { out.bytes(value); }
    }

    /** Replaces the value if it equals {@code expected} byte for byte; the flag says whether it did. */
    record ReplaceIfEquals(byte[] expected, byte[] value) implements Op {
        public int tag() { return 6; }

        public Decision decide(StoredEntry current) {
            return current != null && Arrays.equals(current.value(), expected)
                    ? Decision.write(current.value(), true, value) : Decision.keep(valueOf(current), false);
        }

        @Override
        public void writeFields(Wire.Out out) { out.bytes(expected).bytes(value); }
    }

    /** Removes the key; returns the previous value. */
    record Remove() implements Op {
        static final Remove INSTANCE = new Remove();

        @Override
        public boolean returnsPrevious() { return true; }

        public int tag() { return 7; }

        public Decision decide(StoredEntry current) {
            return current != null ? Decision.delete(current.value(), true) : Decision.keep(null, false);
        }
    }

    /** Removes the key if its value equals {@code expected} byte for byte; the flag says whether it did. */
    record RemoveIfEquals(byte[] expected) implements Op {
        public int tag() { return 8; }

        public Decision decide(StoredEntry current) {
            return current != null && Arrays.equals(current.value(), expected)
                    ? Decision.delete(current.value(), true) : Decision.keep(valueOf(current), false);
        }

        @Override
        public void writeFields(Wire.Out out) { out.bytes(expected); }
    }

    /**
     * Sets the time to live of an entry that is present: {@code ttlMillis} from now, or 0 to make it live for ever
     * (persist); the flag says whether the key was present. Its value and priority stay as they are.
     */
    record Expire(long ttlMillis) implements Op {
        public int tag() { return 9; }

        public Decision decide(StoredEntry current) {
            return current != null ? Decision.write(null, true, current.value()) : Decision.keep(null, false);
        }

        @Override
        public void writeFields(Wire.Out out) { out.i64(ttlMillis); }
    }

    /** Reads when an entry expires: its expiry in epoch milliseconds as 8 bytes (0 for never), or null when absent. */
    record ExpiresAt() implements Op {
        static final ExpiresAt INSTANCE = new ExpiresAt();

        public int tag() { return 10; }

        @Override
        public boolean isRead() { return true; }

        public Decision decide(StoredEntry current) {
            return current == null ? Decision.keep(null, false)
                    : Decision.keep(java.nio.ByteBuffer.allocate(Long.BYTES).putLong(current.expiresAt()).array(), true);
        }
    }

    private static Wire.Out writeOptions(Wire.Out out, EntryOptions options) {
        return out.i64(options.ttlMillis()).u8(options.priority().ordinal());
    }

    private static EntryOptions readOptions(Wire.In in) {
        long ttl = in.i64();
        Priority priority = Messages.enumOf(Priority.values(), in.u8(), "priority");
        if (ttl < -1) {
            throw new IllegalArgumentException("malformed message: a time to live of " + ttl + " ms");
        }
        return new EntryOptions(ttl < 0 ? null : java.time.Duration.ofMillis(ttl), priority);
    }

    /** Writes the tag and the fields of {@code op}. */
    static Wire.Out write(Wire.Out out, Op op) {
        out.u8(op.tag());
        op.writeFields(out);
        return out;
    }

    /** Reads an operation that {@link #write} wrote; an unknown tag is an {@link IllegalArgumentException}. */
    static Op read(Wire.In in) {
        int tag = in.u8();
        return switch (tag) {
            case 0 -> Get.INSTANCE;
            case 1 -> Contains.INSTANCE;
            case 2 -> new Put(in.bytes(), readOptions(in));
            case 3 -> new Set(in.bytes(), readOptions(in));
            case 4 -> new PutIfAbsent(in.bytes(), readOptions(in));
            case 5 -> new Replace(in.bytes());
            case 6 -> new ReplaceIfEquals(in.bytes(), in.bytes());
            case 7 -> Remove.INSTANCE;
            case 8 -> new RemoveIfEquals(in.bytes());
            case 9 -> {
                long ttl = in.i64();
                if (ttl < 0) {
                    throw new IllegalArgumentException("malformed message: a time to live of " + ttl + " ms");
                }
                yield new Expire(ttl);
            }
            case 10 -> ExpiresAt.INSTANCE;
            default -> throw new IllegalArgumentException("unknown map operation tag " + tag);
        };
    }

    private static byte[] valueOf(StoredEntry e) {
        return e == null ? null : e.value();
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
