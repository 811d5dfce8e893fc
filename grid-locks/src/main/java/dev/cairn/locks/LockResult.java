package dev.cairn.locks;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link LockStateMachine#apply} answers, encoded as {@code kind:byte} followed by the fields of
 * that kind:
 * <pre>
 * GRANTED         fence:long holds:int   (fence 0 for a read lock: only write locks and mutexes fence)
 * WAITING         -                      (queued; learn of the grant by POLL, see LockStateMachine)
 * NOT_ACQUIRED    message:UTF            (held by someone else and the caller would not wait)
 * RELEASED        holds:int              (holds left to the caller; 0 = released)
 * CANCELLED       -                      (the wait was withdrawn)
 * DEADLOCK        message:UTF            (the cycle, in order: owner, lock, owner, ...)
 * ERROR           error:byte message:UTF
 * SESSION_EXPIRED session:long           (unknown or expired session: its locks are gone)
 * SESSION_OPENED  session:long
 * OK              -
 * GRANTS          upTo:long n:int n * grant   (upTo: the number of the last grant, to ack in the next POLL;
 *                 grant = session:long readWrite:bool lock:UTF thread:long write:bool fence:long)
 * EXPIRED         n:int n * session:long
 * LOCKS           n:int n * (readWrite:bool name:UTF fence:long holders waiters), each a list of
 *                 n:int n * (session:long node:UTF thread:long write:bool holds:int)
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
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(32);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(kind.ordinal());
            switch (kind) {
                case GRANTED -> {
                    out.writeLong(value);
                    out.writeInt(holds);
                }
                case RELEASED -> out.writeInt(holds);
                case NOT_ACQUIRED, DEADLOCK -> out.writeUTF(message);
                case ERROR -> {
                    out.writeByte(error.ordinal());
                    out.writeUTF(message);
                }
                case SESSION_EXPIRED, SESSION_OPENED -> out.writeLong(value);
                case GRANTS -> {
                    out.writeLong(value);
                    out.writeInt(grants.size());
                    for (Grant g : grants) {
                        writeGrant(out, g);
                    }
                }
                case EXPIRED -> {
                    out.writeInt(sessions.size());
                    for (long s : sessions) {
                        out.writeLong(s);
                    }
                }
                case LOCKS -> {
                    out.writeInt(locks.size());
                    for (LockInfo l : locks) {
                        out.writeBoolean(l.readWrite());
                        out.writeUTF(l.name());
                        out.writeLong(l.fence());
                        writeHolders(out, l.holders());
                        writeHolders(out, l.waiters());
                    }
                }
                case WAITING, CANCELLED, OK -> { }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static LockResult decode(byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            Kind kind = Kind.VALUES[in.readUnsignedByte()];
            return switch (kind) {
                case GRANTED -> granted(in.readLong(), in.readInt());
                case WAITING -> waiting();
                case NOT_ACQUIRED -> notAcquired(in.readUTF());
                case RELEASED -> released(in.readInt());
                case CANCELLED -> cancelled();
                case DEADLOCK -> deadlock(in.readUTF());
                case ERROR -> {
                    Error error = Error.VALUES[in.readUnsignedByte()];
                    yield error(error, in.readUTF());
                }
                case SESSION_EXPIRED -> sessionExpired(in.readLong());
                case SESSION_OPENED -> sessionOpened(in.readLong());
                case OK -> ok();
                case GRANTS -> {
                    long upTo = in.readLong();
                    int n = in.readInt();
                    List<Grant> grants = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        grants.add(readGrant(in));
                    }
                    yield grants(grants, upTo);
                }
                case EXPIRED -> {
                    int n = in.readInt();
                    List<Long> sessions = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        sessions.add(in.readLong());
                    }
                    yield expired(sessions);
                }
                case LOCKS -> {
                    int n = in.readInt();
                    List<LockInfo> locks = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        boolean readWrite = in.readBoolean();
                        String name = in.readUTF();
                        long fence = in.readLong();
                        List<Holder> holders = readHolders(in);
                        locks.add(new LockInfo(readWrite, name, fence, holders, readHolders(in)));
                    }
                    yield locks(locks);
                }
            };
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("malformed lock result of " + bytes.length + " bytes", e);
        }
    }

    static void writeGrant(DataOutputStream out, Grant g) throws IOException {
        out.writeLong(g.session());
        out.writeBoolean(g.readWrite());
        out.writeUTF(g.lock());
        out.writeLong(g.thread());
        out.writeBoolean(g.write());
        out.writeLong(g.fence());
        out.writeLong(g.invocation());
    }

    static Grant readGrant(DataInputStream in) throws IOException {
        return new Grant(in.readLong(), in.readBoolean(), in.readUTF(), in.readLong(), in.readBoolean(), in.readLong(),
                in.readLong());
    }

    private static void writeHolders(DataOutputStream out, List<Holder> holders) throws IOException {
        out.writeInt(holders.size());
        for (Holder h : holders) {
            out.writeLong(h.session());
            out.writeUTF(h.node());
            out.writeLong(h.thread());
            out.writeBoolean(h.write());
            out.writeInt(h.holds());
        }
    }

    private static List<Holder> readHolders(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<Holder> holders = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            holders.add(new Holder(in.readLong(), in.readUTF(), in.readLong(), in.readBoolean(), in.readInt()));
        }
        return holders;
    }
}
