package dev.cairn.locks;

import dev.cairn.membership.Wire;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link LockStateMachine#apply} answers, encoded with {@link Wire} (strings as {@code length:int} and UTF-8
 * bytes, booleans as one byte) as {@code kind:byte} followed by the fields of that kind:
 * <pre>
 * GRANTED         fence:long holds:int   (fence 0 for a read lock: only write locks and mutexes fence)
 * WAITING         -                      (queued; learn of the grant by POLL, see LockStateMachine)
 * NOT_ACQUIRED    message:str            (held by someone else and the caller would not wait)
 * RELEASED        holds:int              (holds left to the caller; 0 = released)
 * CANCELLED       -                      (the wait was withdrawn)
 * DEADLOCK        message:str            (the cycle, in order: owner, lock, owner, ...)
 * ERROR           error:byte message:str
 * SESSION_EXPIRED session:long           (unknown or expired session: its locks are gone)
 * SESSION_OPENED  session:long
 * OK              -
 * GRANTS          upTo:long n:int n * grant   (upTo: the number of the last grant, to ack in the next POLL;
 *                 grant = session:long readWrite:bool lock:str thread:long write:bool fence:long invocation:long)
 * EXPIRED         n:int n * session:long
 * LOCKS           n:int n * (readWrite:bool name:str fence:long holders waiters), each a list of
 *                 n:int n * (session:long node:str thread:long write:bool holds:int)
 * </pre>
 * {@code value} is the fence (GRANTED), the holds left (RELEASED), the session id (SESSION_*) or upTo (GRANTS).
 */
record LockResult(Kind kind, long value, int holds, Error error, String message, List<Grant> grants,
                  List<LockInfo> locks, List<Long> sessions) {

    enum Kind {
        GRANTED, WAITING, NOT_ACQUIRED, RELEASED, CANCELLED, DEADLOCK, ERROR, SESSION_EXPIRED, SESSION_OPENED, OK,
        GRANTS, EXPIRED, LOCKS;

        private static final Kind[] VALUES = values();
    }

    /** Why a command was refused; a client maps each to its exception. */
    enum Error {
        BAD_COMMAND, NOT_OWNER, REENTRANCY_LIMIT, UPGRADE_REFUSED, ALREADY_WAITING, NOT_WAITING, STALE_INVOCATION;

        private static final Error[] VALUES = values();
    }

    /**
     * A lock handed to a waiter of {@code session} after it was told WAITING. {@code invocation} is the command that
     * began (or last renewed) that wait: a client matches the grant to that wait only, so a grant of a wait its thread
     * gave up on (a timed-out tryLock racing the grant) can never satisfy a later wait of the same thread.
     */
    record Grant(long session, boolean readWrite, String lock, long thread, boolean write, long fence, long invocation) { }

    /** An owner holding ({@code holds} > 0) or waiting for ({@code holds} 0) a lock, in the LOCKS view. */
    record Holder(long session, String node, long thread, boolean write, int holds) { }

    /** One lock in the LOCKS view: holders (a mutex's owner, a writer and/or readers), waiters in order, fence. */
    record LockInfo(boolean readWrite, String name, long fence, List<Holder> holders, List<Holder> waiters) { }

    LockResult {
        message = message == null ? "" : message;
        grants = List.copyOf(grants);
        locks = List.copyOf(locks);
        sessions = List.copyOf(sessions);
    }

    private static LockResult of(Kind kind, long value, int holds, Error error, String message) {
        return new LockResult(kind, value, holds, error, message, List.of(), List.of(), List.of());
    }

    static LockResult granted(long fence, int holds) {
        return of(Kind.GRANTED, fence, holds, null, "");
    }

    static LockResult waiting() {
        return of(Kind.WAITING, 0, 0, null, "");
    }

    static LockResult notAcquired(String message) {
        return of(Kind.NOT_ACQUIRED, 0, 0, null, message);
    }

    static LockResult released(int holdsLeft) {
        return of(Kind.RELEASED, holdsLeft, holdsLeft, null, "");
    }

    static LockResult cancelled() {
        return of(Kind.CANCELLED, 0, 0, null, "");
    }

    static LockResult deadlock(String cycle) {
        return of(Kind.DEADLOCK, 0, 0, null, cycle);
    }

    static LockResult error(Error error, String message) {
        return of(Kind.ERROR, 0, 0, error, message);
    }

    static LockResult sessionExpired(long session) {
        return of(Kind.SESSION_EXPIRED, session, 0, null, "session " + session + " is unknown or expired");
    }

    static LockResult sessionOpened(long session) {
        return of(Kind.SESSION_OPENED, session, 0, null, "");
    }

    static LockResult ok() {
        return of(Kind.OK, 0, 0, null, "");
    }

    static LockResult grants(List<Grant> grants, long upTo) {
        return new LockResult(Kind.GRANTS, upTo, 0, null, "", grants, List.of(), List.of());
    }

    static LockResult expired(List<Long> sessions) {
        return new LockResult(Kind.EXPIRED, 0, 0, null, "", List.of(), List.of(), sessions);
    }

    static LockResult locks(List<LockInfo> locks) {
        return new LockResult(Kind.LOCKS, 0, 0, null, "", List.of(), locks, List.of());
    }

    /** The fence of a GRANTED result. */
    long fence() {
        return value;
    }

    byte[] encode() {
        Wire.Out out = new Wire.Out(16 + 3 * message.length());
        out.u8(kind.ordinal());
        switch (kind) {
            case GRANTED -> out.i64(value).i32(holds);
            case RELEASED -> out.i32(holds);
            case NOT_ACQUIRED, DEADLOCK -> out.str(message);
            case ERROR -> out.u8(error.ordinal()).str(message);
            case SESSION_EXPIRED, SESSION_OPENED -> out.i64(value);
            case GRANTS -> {
                out.i64(value).i32(grants.size());
                for (Grant g : grants) {
                    writeGrant(out, g);
                }
            }
            case EXPIRED -> {
                out.i32(sessions.size());
                for (long s : sessions) {
                    out.i64(s);
                }
            }
            case LOCKS -> {
                out.i32(locks.size());
                for (LockInfo l : locks) {
                    out.bool(l.readWrite()).str(l.name()).i64(l.fence());
                    writeHolders(out, l.holders());
                    writeHolders(out, l.waiters());
                }
            }
            case WAITING, CANCELLED, OK -> { }
        }
        return out.toArray();
    }

    /** Reads a result; a malformed one fails with {@link IllegalArgumentException} naming what was wrong. */
    static LockResult decode(byte[] bytes) {
        Wire.In in = new Wire.In(bytes);
        int k = in.u8();
        if (k >= Kind.VALUES.length) {
            throw new IllegalArgumentException("unknown lock result kind " + k + " in " + bytes.length + " bytes");
        }
        LockResult r = switch (Kind.VALUES[k]) {
            case GRANTED -> granted(in.i64(), in.i32());
            case WAITING -> waiting();
            case NOT_ACQUIRED -> notAcquired(in.str());
            case RELEASED -> released(in.i32());
            case CANCELLED -> cancelled();
            case DEADLOCK -> deadlock(in.str());
            case ERROR -> {
                int e = in.u8();
                if (e >= Error.VALUES.length) {
                    throw new IllegalArgumentException("unknown lock error " + e + " in " + bytes.length + " bytes");
                }
                yield error(Error.VALUES[e], in.str());
            }
            case SESSION_EXPIRED -> sessionExpired(in.i64());
            case SESSION_OPENED -> sessionOpened(in.i64());
            case OK -> ok();
            case GRANTS -> {
                long upTo = in.i64();
                int n = in.count();
                List<Grant> grants = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    grants.add(readGrant(in));
                }
                yield grants(grants, upTo);
            }
            case EXPIRED -> {
                int n = in.count();
                List<Long> sessions = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    sessions.add(in.i64());
                }
                yield expired(sessions);
            }
            case LOCKS -> {
                int n = in.count();
                List<LockInfo> locks = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    boolean readWrite = in.bool();
                    String name = in.str();
                    long fence = in.i64();
                    List<Holder> holders = readHolders(in);
                    locks.add(new LockInfo(readWrite, name, fence, holders, readHolders(in)));
                }
                yield locks(locks);
            }
        };
        if (in.more()) {
            throw new IllegalArgumentException("unexpected bytes after a " + r.kind() + " lock result of " + bytes.length
                    + " bytes");
        }
        return r;
    }

    static void writeGrant(Wire.Out out, Grant g) {
        out.i64(g.session()).bool(g.readWrite()).str(g.lock()).i64(g.thread()).bool(g.write()).i64(g.fence())
                .i64(g.invocation());
    }

    static Grant readGrant(Wire.In in) {
        return new Grant(in.i64(), in.bool(), in.str(), in.i64(), in.bool(), in.i64(), in.i64());
    }

    private static void writeHolders(Wire.Out out, List<Holder> holders) {
        out.i32(holders.size());
        for (Holder h : holders) {
            out.i64(h.session()).str(h.node()).i64(h.thread()).bool(h.write()).i32(h.holds());
        }
    }

    private static List<Holder> readHolders(Wire.In in) {
        int n = in.count();
        List<Holder> holders = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            holders.add(new Holder(in.i64(), in.str(), in.i64(), in.bool(), in.i32()));
        }
        return holders;
    }
}
