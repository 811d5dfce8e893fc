package dev.cairn.locks;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A command for {@link LockStateMachine}, as it travels through the Raft log.
 *
 * <p>Encoding (big-endian, {@link DataOutputStream}): {@code type:byte session:long invocation:long}
 * followed by the fields of that type:
 * <pre>
 * OPEN_SESSION  node:UTF                     (session is 0; the state machine assigns one)
 * HEARTBEAT     -                            (no time: liveness is judged on the proposer's clock at EXPIRE)
 * CLOSE_SESSION -
 * EXPIRE        now:long timeoutMillis:long  (session is 0)
 * LOCK, WRITE_LOCK, READ_LOCK      name:UTF thread:long reentrancyLimit:int wait:boolean
 * UNLOCK, WRITE_UNLOCK, READ_UNLOCK name:UTF thread:long
 * CANCEL_WAIT   readWrite:boolean name:UTF thread:long
 * POLL          ack:long                     (the last grant number received; kept in the record's now)
 * LOCKS         -                           (session and invocation are 0; a read)
 * </pre>
 * The static methods build each command; {@link #decode} reads one back. Arguments are checked
 * here so that a bad one fails on the caller's thread with a message naming it.
 */
record LockCommand(Type type, long session, long invocation, String name, long thread, int limit,
                   boolean waits, boolean readWrite, long now, long timeout) {

    /** POLL's ack: the number of the last grant the client received (carried in {@code now}). */
    long ack() {
        return now;
    }

    /** The longest lock name accepted, in characters. */
    static final int MAX_NAME_LENGTH = 256;

    enum Type {
        OPEN_SESSION, HEARTBEAT, CLOSE_SESSION, EXPIRE,
        LOCK, UNLOCK, READ_LOCK, READ_UNLOCK, WRITE_LOCK, WRITE_UNLOCK,
        CANCEL_WAIT, POLL, LOCKS;

        private static final Type[] VALUES = values();
    }

    static byte[] openSession(long invocation, String node) {
        checkName("node", node);
        return encode(new LockCommand(Type.OPEN_SESSION, 0, invocation, node, 0, 0, false, false, 0, 0));
    }

    static byte[] heartbeat(long session, long invocation) {
        return encode(new LockCommand(Type.HEARTBEAT, session, invocation, "", 0, 0, false, false, 0, 0));
    }

    static byte[] closeSession(long session, long invocation) {
        return encode(new LockCommand(Type.CLOSE_SESSION, session, invocation, "", 0, 0, false, false, 0, 0));
    }

    static byte[] expire(long now, long sessionTimeoutMillis) {
        if (sessionTimeoutMillis <= 0) {
            throw new IllegalArgumentException("sessionTimeoutMillis must be positive, was " + sessionTimeoutMillis);
        }
        return encode(new LockCommand(Type.EXPIRE, 0, 0, "", 0, 0, false, false, now, sessionTimeoutMillis));
    }

    /** Acquire the mutex {@code name}; with {@code wait} the owner is queued when it is held. */
    static byte[] lock(long session, long invocation, String name, long thread, int reentrancyLimit, boolean wait) {
        return acquire(Type.LOCK, session, invocation, name, thread, reentrancyLimit, wait);
    }

    static byte[] readLock(long session, long invocation, String name, long thread, int reentrancyLimit, boolean wait) {
        return acquire(Type.READ_LOCK, session, invocation, name, thread, reentrancyLimit, wait);
    }

    static byte[] writeLock(long session, long invocation, String name, long thread, int reentrancyLimit, boolean wait) {
        return acquire(Type.WRITE_LOCK, session, invocation, name, thread, reentrancyLimit, wait);
    }

    static byte[] unlock(long session, long invocation, String name, long thread) {
        return release(Type.UNLOCK, session, invocation, name, thread);
    }

    static byte[] readUnlock(long session, long invocation, String name, long thread) {
        return release(Type.READ_UNLOCK, session, invocation, name, thread);
    }

    static byte[] writeUnlock(long session, long invocation, String name, long thread) {
        return release(Type.WRITE_UNLOCK, session, invocation, name, thread);
    }

    /** Give up waiting for the mutex ({@code readWrite} false) or read-write lock {@code name}. */
    static byte[] cancelWait(long session, long invocation, boolean readWrite, String name, long thread) {
        checkName("name", name);
        return encode(new LockCommand(Type.CANCEL_WAIT, session, invocation, name, thread, 0, false, readWrite, 0, 0));
    }

    /** Fetch (and consume) the grants this session's waiters received since its last poll. */
    static byte[] poll(long session, long invocation, long ack) {
        return encode(new LockCommand(Type.POLL, session, invocation, "", 0, 0, false, false, ack, 0));
    }

    /** The diagnostic view of every lock; changes nothing. */
    static byte[] locks() {
        return encode(new LockCommand(Type.LOCKS, 0, 0, "", 0, 0, false, false, 0, 0));
    }

    private static byte[] acquire(Type type, long session, long invocation, String name, long thread, int limit,
                                  boolean wait) {
        checkName("name", name);
        if (limit < 1) {
            throw new IllegalArgumentException("reentrancyLimit must be at least 1, was " + limit);
        }
        return encode(new LockCommand(type, session, invocation, name, thread, limit, wait,
                type != Type.LOCK, 0, 0));
    }

    private static byte[] release(Type type, long session, long invocation, String name, long thread) {
        checkName("name", name);
        return encode(new LockCommand(type, session, invocation, name, thread, 0, false, type != Type.UNLOCK, 0, 0));
    }

    static void checkName(String what, String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException(what + " must have 1 to " + MAX_NAME_LENGTH + " characters, was "
                    + (name == null ? "null" : name.length() + " characters: \"" + abbreviate(name) + '"'));
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    static byte[] encode(LockCommand c) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(c.type.ordinal());
            out.writeLong(c.session);
            out.writeLong(c.invocation);
            switch (c.type) {
                case OPEN_SESSION -> out.writeUTF(c.name);
                case EXPIRE -> {
                    out.writeLong(c.now);
                    out.writeLong(c.timeout);
                }
                case LOCK, READ_LOCK, WRITE_LOCK -> {
                    out.writeUTF(c.name);
                    out.writeLong(c.thread);
                    out.writeInt(c.limit);
                    out.writeBoolean(c.waits);
                }
                case UNLOCK, READ_UNLOCK, WRITE_UNLOCK -> {
                    out.writeUTF(c.name);
                    out.writeLong(c.thread);
                }
                case CANCEL_WAIT -> {
                    out.writeBoolean(c.readWrite);
                    out.writeUTF(c.name);
                    out.writeLong(c.thread);
                }
                case POLL -> out.writeLong(c.now);
                case HEARTBEAT, CLOSE_SESSION, LOCKS -> { }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a command; a malformed one fails with {@link IOException} or {@link IllegalArgumentException}. */
    static LockCommand decode(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        int t = in.readUnsignedByte();
        if (t >= Type.VALUES.length) {
            throw new IllegalArgumentException("unknown lock command type " + t);
        }
        Type type = Type.VALUES[t];
        long session = in.readLong();
        long invocation = in.readLong();
        String name = "";
        long thread = 0;
        int limit = 0;
        boolean wait = false;
        boolean readWrite = false;
        long now = 0;
        long timeout = 0;
        switch (type) {
            case OPEN_SESSION -> {
                name = in.readUTF();
                checkName("node", name);
            }
            case EXPIRE -> {
                now = in.readLong();
                timeout = in.readLong();
            }
            case LOCK, READ_LOCK, WRITE_LOCK -> {
                name = in.readUTF();
                thread = in.readLong();
                limit = in.readInt();
                wait = in.readBoolean();
                readWrite = type != Type.LOCK;
                checkName("name", name);
                if (limit < 1) {
                    throw new IllegalArgumentException("reentrancyLimit must be at least 1, was " + limit);
                }
            }
            case UNLOCK, READ_UNLOCK, WRITE_UNLOCK -> {
                name = in.readUTF();
                thread = in.readLong();
                readWrite = type != Type.UNLOCK;
                checkName("name", name);
            }
            case CANCEL_WAIT -> {
                readWrite = in.readBoolean();
                name = in.readUTF();
                thread = in.readLong();
                checkName("name", name);
            }
            case POLL -> now = in.readLong();
            case HEARTBEAT, CLOSE_SESSION, LOCKS -> { }
        }
        if (in.available() != 0) {
            throw new IllegalArgumentException(in.available() + " unexpected bytes after a " + type + " command");
        }
        return new LockCommand(type, session, invocation, name, thread, limit, wait, readWrite, now, timeout);
    }
}
