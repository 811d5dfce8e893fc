package dev.cairn.locks;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.cairn.locks.LockStateMachine.Answered;
import dev.cairn.locks.LockStateMachine.Entry;
import dev.cairn.locks.LockStateMachine.Owner;
import dev.cairn.locks.LockStateMachine.Queued;
import dev.cairn.locks.LockStateMachine.Session;
import dev.cairn.locks.LockStateMachine.Waiter;
import dev.cairn.membership.Wire;

/**
 * The lock state's snapshot format (v5), written and read in one place: the replicated state of a
 * {@link LockStateMachine} as Raft saves it, and the machine a snapshot restores, which answers identically.
 */
final class LockStateSnapshots {
    private LockStateSnapshots() {
    }

    /** The whole replicated state of {@code m}; {@link #read} of it yields a machine that answers identically. */
    static byte[] write(LockStateMachine m) {
        Wire.Out out = new Wire.Out(256);
        out.i32(LockStateMachine.SNAPSHOT_MAGIC).i64(m.lastSessionId).i64(m.lastFence);
        out.i32(m.sessions.size());
        for (Session s : m.sessions.values()) {
            out.i64(s.id).str(s.node).i64(s.aliveAt).bool(s.heard);
            out.i32(s.answered.size());
            for (Map.Entry<Long, Answered> r : s.answered.entrySet()) {
                out.i64(r.getKey()).i64(r.getValue().invocation()).bytes(r.getValue().result());
            }
            out.i64(s.lastGrantSeq);
            out.i32(s.grants.size());
            for (Queued q : s.grants) {
                out.i64(q.seq());
                LockResult.writeGrant(out, q.grant());
            }
        }
        out.i32(m.recentOpens.size());
        for (Map.Entry<String, byte[]> r : m.recentOpens.entrySet()) {
            out.str(r.getKey()).bytes(r.getValue());
        }
        for (TreeMap<String, Entry> locks : List.of(m.mutexes, m.rwLocks)) {
            out.i32(locks.size());
            for (Entry e : locks.values()) {
                out.str(e.name).i64(e.fence).bool(e.writer != null);
                if (e.writer != null) {
                    writeOwner(out, e.writer);
                    out.i32(e.writeHolds);
                }
                out.i32(e.readers.size());
                for (Map.Entry<Owner, Integer> r : e.readers.entrySet()) {
                    writeOwner(out, r.getKey());
                    out.i32(r.getValue());
                }
                out.i32(e.waiters.size());
                for (Waiter w : e.waiters) {
                    writeOwner(out, w.owner());
                    out.bool(w.write()).i64(w.invocation());
                }
            }
        }
        return out.toArray();
    }

    /**
     * A machine in the state {@code snapshot} was taken in.
     *
     * @throws IllegalArgumentException naming what was wrong, when {@code snapshot} is not a v5 lock state snapshot
     */
    static LockStateMachine read(byte[] snapshot) {
        Wire.In in = new Wire.In(snapshot);
        int magic = snapshot.length < 4 ? 0 : in.i32();
        if (magic != LockStateMachine.SNAPSHOT_MAGIC) {
            throw new IllegalArgumentException("not a lock state snapshot of this version: magic 0x"
                    + Integer.toHexString(magic) + " in " + snapshot.length + " bytes, expected 0x"
                    + Integer.toHexString(LockStateMachine.SNAPSHOT_MAGIC));
        }
        try {
            LockStateMachine m = new LockStateMachine();
            m.lastSessionId = in.i64();
            m.lastFence = in.i64();
            for (int n = in.count(); n > 0; n--) {
                Session s = new Session(in.i64(), in.str(), in.i64(), in.bool());
                for (int r = in.count(); r > 0; r--) {
                    s.answered.put(in.i64(), new Answered(in.i64(), nonNull(in.bytes(), "a remembered answer")));
                }
                s.lastGrantSeq = in.i64();
                for (int g = in.count(); g > 0; g--) {
                    s.grants.addLast(new Queued(in.i64(), LockResult.readGrant(in)));
                }
                m.sessions.put(s.id, s);
            }
            for (int n = in.count(); n > 0; n--) {
                m.recentOpens.put(in.str(), nonNull(in.bytes(), "a remembered session open"));
            }
            for (TreeMap<String, Entry> locks : List.of(m.mutexes, m.rwLocks)) {
                boolean readWrite = locks == m.rwLocks;
                for (int n = in.count(); n > 0; n--) {
                    Entry e = new Entry(readWrite, in.str());
                    e.fence = in.i64();
                    if (in.bool()) {
                        e.writer = readOwner(in);
                        e.writeHolds = in.i32();
                    }
                    for (int r = in.count(); r > 0; r--) {
                        e.readers.put(readOwner(in), in.i32());
                    }
                    for (int w = in.count(); w > 0; w--) {
                        Waiter waiter = new Waiter(readOwner(in), in.bool(), in.i64());
                        e.waiters.addLast(waiter);
                        m.waiting.put(waiter.owner(), e);
                    }
                    locks.put(e.name, e);
                }
            }
            if (in.more()) {
                throw new IllegalArgumentException("unexpected bytes after the lock state");
            }
            return m;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed lock state snapshot of " + snapshot.length + " bytes: "
                    + e.getMessage(), e);
        }
    }

    private static byte[] nonNull(byte[] b, String what) {
        if (b == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        return b;
    }

    private static void writeOwner(Wire.Out out, Owner o) {
        out.i64(o.session()).i64(o.thread());
    }

    private static Owner readOwner(Wire.In in) {
        return new Owner(in.i64(), in.i64());
    }
}
