package dev.cairn.locks;

import dev.cairn.membership.Wire;

/**
 * A command for {@link LockStateMachine}, as it travels through the Raft log.
 *
 * <p>Encoding ({@link Wire}: big-endian; a string is {@code length:int} and its UTF-8 bytes; a boolean one byte, 0 or
 * 1): {@code type:byte session:long invocation:long}
 * followed by the fields of that type:
 * <pre>
 * OPEN_SESSION  node:str                     (session is 0; the state machine assigns one)
 * HEARTBEAT     -                            (no time: liveness is judged on the proposer's clock at EXPIRE)
 * CLOSE_SESSION -
 * EXPIRE        now:long timeoutMillis:long  (session is 0)
 * LOCK, WRITE_LOCK, READ_LOCK      name:str thread:long reentrancyLimit:int wait:boolean
 * UNLOCK, WRITE_UNLOCK, READ_UNLOCK name:str thread:long
 * CANCEL_WAIT   readWrite:boolean name:str thread:long
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
        Wire.Out out = new Wire.Out(32 + 3 * c.name.length());
        out.u8(c.type.ordinal()).i64(c.session).i64(c.invocation);
        switch (c.type) {
            case OPEN_SESSION -> out.str(c.name);
            case EXPIRE -> out.i64(c.now).i64(c.timeout);
            case LOCK, READ_LOCK, WRITE_LOCK -> out.str(c.name).i64(c.thread).i32(c.limit).bool(c.waits);
            case UNLOCK, READ_UNLOCK, WRITE_UNLOCK -> out.str(c.name).i64(c.thread);
            case CANCEL_WAIT -> out.bool(c.readWrite).str(c.name).i64(c.thread);
            case POLL -> out.i64(c.now);
            case HEARTBEAT, CLOSE_SESSION, LOCKS -> { }
        }
        return out.toArray();
    }

    /** Reads a command; a malformed one fails with {@link IllegalArgumentException} naming what was wrong. */
    static LockCommand decode(byte[] bytes) {
        Wire.In in = new Wire.In(bytes);
        int t = in.u8();
        if (t >= Type.VALUES.length) {
            throw new IllegalArgumentException("unknown lock command type " + t);
        }
        Type type = Type.VALUES[t];
        long session = in.i64();
        long invocation = in.i64();
        String name = "";
        long thread = 0;
        int limit = 0;
        boolean wait = false;
        boolean readWrite = false;
        long now = 0;
        long timeout = 0;
        switch (type) {
            case OPEN_SESSION -> {
                name = in.str();
                checkName("node", name);
            }
            case EXPIRE -> {
                now = in.i64();
                timeout = in.i64();
            }
            case LOCK, READ_LOCK, WRITE_LOCK -> {
                name = in.str();
                thread = in.i64();
                limit = in.i32();
                wait = in.bool();
                readWrite = type != Type.LOCK;
                checkName("name", name);
                if (limit < 1) {
                    throw new IllegalArgumentException("reentrancyLimit must be at least 1, was " + limit);
                }
            }
            case UNLOCK, READ_UNLOCK, WRITE_UNLOCK -> {
                name = in.str();
                thread = in.i64();
                readWrite = type != Type.UNLOCK;
                checkName("name", name);
            }
            case CANCEL_WAIT -> {
                readWrite = in.bool();
                name = in.str();
                thread = in.i64();
                checkName("name", name);
            }
            case POLL -> now = in.i64();
            case HEARTBEAT, CLOSE_SESSION, LOCKS -> { }
        }
        if (in.more()) {
            throw new IllegalArgumentException("unexpected bytes after a " + type + " command of " + bytes.length + " bytes");
        }
        return new LockCommand(type, session, invocation, name, thread, limit, wait, readWrite, now, timeout);
    }
}
