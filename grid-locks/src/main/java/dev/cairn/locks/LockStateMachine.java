package dev.cairn.locks;

import dev.cairn.locks.LockResult.Error;
import dev.cairn.locks.LockResult.Grant;
import dev.cairn.locks.LockResult.Holder;
import dev.cairn.locks.LockResult.LockInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The replicated lock state: sessions, mutexes, read-write locks, their waiters and fences. Raft applies
 * the same commands ({@link LockCommand}) in the same order on every member, so this class must be a pure
 * function of that sequence: no clock (time arrives only inside EXPIRE, decision 7), no
 * randomness, and every collection whose order can reach a result or a snapshot is ordered
 * ({@link TreeMap}, {@link LinkedHashMap}, {@link ArrayDeque}). Hash maps are used for look-ups only.
 *
 * <p><b>Owners and sessions.</b> An owner is (session, thread). A node opens a session and keeps it
 * alive with heartbeats (any command of the session counts). Time enters only through EXPIRE, proposed
 * periodically by the leader and stamped with its clock: each EXPIRE marks the sessions heard from since
 * the previous one as alive at its time, and ends those not heard from for longer than the timeout. So
 * liveness is measured on one clock, the proposer's, never by comparing a node's clock with another's
 * (a client whose clock runs ahead could otherwise never expire). A new leader's clock may differ from
 * the old one's; a time that goes backwards counts as alive, and a new leader waits one timeout before
 * it proposes, so every live session has been heard from by its first EXPIRE. Ended sessions' waits are
 * withdrawn, their locks released and handed to the next waiters with new fences. Any later command of an ended session
 * answers SESSION_EXPIRED, which the client turns into {@code LockOwnershipLostException}.
 *
 * <p><b>Retries.</b> A client re-sends a command whose answer it did not get with the same invocation id,
 * and applies it once: invocation ids rise per client, and each owner thread has at most one command
 * out at a time, so the session keeps, per thread, the last invocation applied and its result (Raft
 * dissertation, 6.3, with the thread as the client). The same invocation again returns that result
 * and changes nothing; an older one is a stale duplicate and is refused (STALE_INVOCATION) unapplied.
 * This holds however long a retry takes, unlike a window of recent results. HEARTBEAT, CLOSE_SESSION and
 * POLL need no memory: applying them twice is the same as once. OPEN_SESSION has no session yet: it is
 * deduplicated by (node, invocation id), so a node must not reuse an invocation id for OPEN_SESSION
 * (start from a random or time-based value per process).
 *
 * <p><b>Learning of a grant after WAITING.</b> When an unlock, cancel, close or expiry hands a lock to a
 * waiter, the grant (lock, thread, fence) is queued in the waiter's session with the next number of
 * that session. The client reads the queue with POLL(session, ack): the grants numbered above ack,
 * dropping those up to it, so a poll whose answer was lost returns the same grants again and none is
 * lost; the client acks the last number it received. To avoid polling blindly, the member that applied
 * the command can call {@link #lastGrants()} right after {@code apply} and send a wake-up hint to the
 * waiting node, which then polls; the hint carries no authority, the poll does. A grant carries the
 * invocation that began its wait (or last renewed it, when the owner asked again), so the client hands it
 * only to that wait, never to a later one of the same thread.
 * CANCEL_WAIT racing a grant answers GRANTED with the fence (and removes that grant from the queue), so
 * a timed-out tryLock learns it holds the lock after all and can keep or release it.
 *
 * <p><b>Fences and the life of a lock.</b> A lock exists in the state only while someone holds or waits for it: the
 * release, cancel or session end that leaves it with neither removes it, so the state and its snapshots hold only the
 * locks in use, however many names were ever used. Its fences must still rise across that removal (DESIGN.md decisions 5
 * and 6: a partition refuses a write with a fence below the highest it saw for the lock's name), so fences come from one
 * counter for all locks, saved in snapshots: every write grant (a mutex, or a read-write lock's write side) takes the
 * next value. A re-entrant acquire answers its holder's fence again; a read grant carries fence 0.
 *
 * <p><b>Read-write locks.</b> Many readers or one writer. A new reader waits when any writer waits
 * (writers are not starved), except an owner already holding the read or the write lock (re-entrance
 * and downgrade). A reader asking for the write lock is refused (UPGRADE_REFUSED). Waiters are granted
 * in FIFO order: a writer at the head alone, or every reader at the head up to the first writer.
 *
 * <p><b>Deadlocks.</b> An owner waits for at most one lock. It waits for the holders of that lock that
 * conflict with its mode and for the conflicting waiters queued before it. A request that would wait
 * is first checked: when a path of such edges leads from its blockers back to the requester, it is
 * refused with DEADLOCK naming the cycle, and nothing changes for the others.
 */
final class LockStateMachine {

    /** Threads per session whose last answer is kept for retries; the longest unheard-from are dropped beyond. */
    static final int REMEMBERED_THREADS = 4096;
    /** OPEN_SESSION results kept for deduplication. */
    static final int RECENT_OPENS = 1024;
    /** Undelivered grants kept per session; the oldest are dropped beyond this (the LOCKS view still tells). */
    static final int MAX_PENDING_GRANTS = 1024;

    static final int SNAPSHOT_MAGIC = 0x434c4b05; // "CLK" v5: v4 (liveness, answers per thread, numbered
                                                          // grants, each wait's invocation) with one fence counter
                                                          // for all locks, and only locks in use

    record Owner(long session, long thread) { }

    /** A queued request; {@code invocation} is the command that began or last renewed it, echoed in its grant. */
    record Waiter(Owner owner, boolean write, long invocation) { }

    /** The last command a thread had applied, and its answer. */
    record Answered(long invocation, byte[] result) { }

    /** A grant waiting in its session's queue, numbered in that session. */
    record Queued(long seq, Grant grant) { }

    static final class Session {
        final long id;
        final String node;
        /** The time of the last EXPIRE at which this session was known alive; {@link Long#MIN_VALUE} before any. */
        long aliveAt;
        /** Whether a command of this session arrived since the last EXPIRE. */
        boolean heard;
        /** Per thread, oldest heard-from first. */
        final LinkedHashMap<Long, Answered> answered = new LinkedHashMap<>();
        long lastGrantSeq;
        final ArrayDeque<Queued> grants = new ArrayDeque<>();

        Session(long id, String node, long aliveAt, boolean heard) {
            this.id = id;
            this.node = node;
            this.aliveAt = aliveAt;
            this.heard = heard;
        }
    }

    /** A mutex is a lock with a write side only. */
    static final class Entry {
        final boolean readWrite;
        final String name;
        /** The fence of this entry's last write grant (its writer's while one holds it); 0 before any. */
        long fence;
        Owner writer;
        int writeHolds;
        final LinkedHashMap<Owner, Integer> readers = new LinkedHashMap<>();
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

        Entry(boolean readWrite, String name) {
            this.readWrite = readWrite;
            this.name = name;
        }

        String label() {
            return (readWrite ? "read-write lock \"" : "mutex \"") + name + '"';
        }
    }

    /** One edge of a deadlock cycle: {@code waiter} waits for {@code lock} because of {@code blocker}. */
    private record Hop(Owner waiter, Entry lock, boolean write, Owner blocker) { }

    long lastSessionId;
    /**
     * The last fence handed out by any lock. Every write grant takes the next value, so fences rise per lock because
     * they rise across all locks, through an entry's removal and re-creation too (an entry is kept only while in use).
     */
    long lastFence;
    final TreeMap<Long, Session> sessions = new TreeMap<>();
    final LinkedHashMap<String, byte[]> recentOpens = new LinkedHashMap<>();
    final TreeMap<String, Entry> mutexes = new TreeMap<>();
    final TreeMap<String, Entry> rwLocks = new TreeMap<>();
    /** Derived from the waiter queues (rebuilt on restore); look-ups only. */
    final Map<Owner, Entry> waiting = new HashMap<>();
    /** The wait-for graph over {@link #waiting}: whether a new wait would close a cycle, and which. */
    private final WaitForGraph graph = new WaitForGraph(waiting, this::describe);
    /** Grants made by the last {@link #apply}, for wake-up hints; not part of the replicated state. */
    private final List<Grant> lastGrants = new ArrayList<>();

    LockStateMachine() {
    }

    /** Applies one committed command and answers its encoded {@link LockResult}. */
    byte[] apply(byte[] command) {
        lastGrants.clear();
        LockCommand c;
        try {
            c = LockCommand.decode(command);
        } catch (RuntimeException e) { // IllegalArgumentException naming the fault; any other must not stop the log
            return LockResult.error(Error.BAD_COMMAND, "malformed lock command: " + e.getMessage()).encode();
        }
        switch (c.type()) {
            case OPEN_SESSION:
                return openSession(c);
            case EXPIRE:
                return expire(c.now(), c.timeout()).encode();
            case LOCKS:
                return locksView().encode();
            default:
                break;
        }
        Session s = sessions.get(c.session());
        if (s == null) {
            return (c.type() == LockCommand.Type.CLOSE_SESSION ? LockResult.ok()
                    : LockResult.sessionExpired(c.session())).encode();
        }
        s.heard = true;
        boolean perThread = switch (c.type()) {
            case HEARTBEAT, CLOSE_SESSION, POLL -> false;
            default -> true;
        };
        if (perThread) {
            Answered last = s.answered.get(c.thread());
            if (last != null && c.invocation() == last.invocation()) {
                return last.result().clone();
            }
            if (last != null && c.invocation() < last.invocation()) {
                return LockResult.error(Error.STALE_INVOCATION, "invocation " + c.invocation() + " of " + describe(
                        new Owner(s.id, c.thread())) + " is older than its last, " + last.invocation() + ": not applied").encode();
            }
        }
        byte[] result = execute(s, c).encode();
        if (perThread && sessions.containsKey(s.id)) {
            s.answered.remove(c.thread());
            s.answered.put(c.thread(), new Answered(c.invocation(), result));
            if (s.answered.size() > REMEMBERED_THREADS) {
                Iterator<Long> oldest = s.answered.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
        return result.clone();
    }

    /** The node that opened {@code session}, or null when it has ended. */
    String nodeOf(long session) {
        Session s = sessions.get(session);
        return s == null ? null : s.node;
    }

    /** The grants the last {@link #apply} handed to waiters (for wake-up hints only). */
    List<Grant> lastGrants() {
        return List.copyOf(lastGrants);
    }

    private LockResult execute(Session s, LockCommand c) {
        Owner owner = new Owner(s.id, c.thread());
        return switch (c.type()) {
            case HEARTBEAT -> LockResult.ok(); // being heard from is all it does
            case CLOSE_SESSION -> {
                endSessions(List.of(s.id));
                yield LockResult.ok();
            }
            case LOCK, WRITE_LOCK -> acquire(owner, c, true);
            case READ_LOCK -> acquire(owner, c, false);
            case UNLOCK, WRITE_UNLOCK -> release(owner, c, true);
            case READ_UNLOCK -> release(owner, c, false);
            case CANCEL_WAIT -> cancelWait(s, owner, c);
            case POLL -> {
                while (!s.grants.isEmpty() && s.grants.peekFirst().seq() <= c.ack()) {
                    s.grants.pollFirst();
                }
                List<Grant> grants = new ArrayList<>(s.grants.size());
                s.grants.forEach(q -> grants.add(q.grant()));
                yield LockResult.grants(grants, s.grants.isEmpty() ? c.ack() : s.grants.peekLast().seq());
            }
            case OPEN_SESSION, EXPIRE, LOCKS -> throw new IllegalStateException("handled in apply: " + c.type());
        };
    }

    private byte[] openSession(LockCommand c) {
        String key = c.name() + '\u0000' + c.invocation();
        byte[] prior = recentOpens.get(key);
        if (prior != null) {
            return prior.clone();
        }
        long id = ++lastSessionId;
        sessions.put(id, new Session(id, c.name(), Long.MIN_VALUE, true));
        byte[] result = LockResult.sessionOpened(id).encode();
        recentOpens.put(key, result);
        if (recentOpens.size() > RECENT_OPENS) {
            Iterator<String> oldest = recentOpens.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        return result.clone();
    }

    private LockResult expire(long now, long timeout) {
        if (timeout <= 0) {
            return LockResult.error(Error.BAD_COMMAND, "sessionTimeoutMillis must be positive, was " + timeout);
        }
        List<Long> expired = new ArrayList<>();
        for (Session s : sessions.values()) {
            if (s.heard || s.aliveAt == Long.MIN_VALUE || now < s.aliveAt) {
                s.aliveAt = now; // heard from since the last EXPIRE, new, or a leader whose clock is behind
                s.heard = false;
            } else if (now - s.aliveAt > timeout) {
                expired.add(s.id);
            }
        }
        endSessions(expired);
        return LockResult.expired(expired);
    }

    /** Removes the sessions, withdraws their waits, releases their locks and grants the next waiters. */
    private void endSessions(List<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        Set<Long> ended = new HashSet<>(ids);
        for (long id : ids) {
            sessions.remove(id);
        }
        waiting.keySet().removeIf(o -> ended.contains(o.session()));
        for (TreeMap<String, Entry> locks : List.of(mutexes, rwLocks)) {
            for (Iterator<Entry> it = locks.values().iterator(); it.hasNext(); ) {
                Entry e = it.next();
                boolean changed = e.waiters.removeIf(w -> ended.contains(w.owner().session()));
                changed |= e.readers.keySet().removeIf(o -> ended.contains(o.session()));
                if (e.writer != null && ended.contains(e.writer.session())) {
                    e.writer = null;
                    e.writeHolds = 0;
                    changed = true;
                }
                if (changed) {
                    promote(e);
                    if (unused(e)) {
                        it.remove();
                    }
                }
            }
        }
    }

    private LockResult acquire(Owner o, LockCommand c, boolean write) {
        Entry current = waiting.get(o);
        if (current != null && current.readWrite == c.readWrite() && current.name.equals(c.name())
                && current.waiters.stream().anyMatch(w -> w.owner().equals(o) && w.write() == write)) {
            // asked again for what it waits for (a client that lost track): wait on, the grant now answering this
            // invocation, which is the one the client waits on
            List<Waiter> queue = new ArrayList<>(current.waiters);
            current.waiters.clear();
            for (Waiter w : queue) {
                current.waiters.addLast(w.owner().equals(o) ? new Waiter(o, write, c.invocation()) : w);
            }
            return LockResult.waiting();
        }
        if (current != null) {
            return LockResult.error(Error.ALREADY_WAITING, describe(o) + " already waits for " + current.label()
                    + "; a thread waits for one lock at a time");
        }
        TreeMap<String, Entry> locks = c.readWrite() ? rwLocks : mutexes;
        Entry e = locks.computeIfAbsent(c.name(), n -> new Entry(c.readWrite(), n));
        int limit = c.limit();
        if (write) {
            if (o.equals(e.writer)) {
                if (e.writeHolds >= limit) {
                    return reentrancyLimit(o, e, limit);
                }
                e.writeHolds++;
                return LockResult.granted(e.fence, e.writeHolds);
            }
            if (e.readers.containsKey(o)) {
                return LockResult.error(Error.UPGRADE_REFUSED, describe(o) + " holds the read lock of " + e.label()
                        + " and asked for its write lock: upgrading is refused, release the read lock first");
            }
            if (e.writer == null && e.readers.isEmpty() && e.waiters.isEmpty()) {
                e.writer = o;
                e.writeHolds = 1;
                e.fence = ++lastFence;
                return LockResult.granted(e.fence, 1);
            }
        } else {
            Integer holds = e.readers.get(o);
            if (holds != null) {
                if (holds >= limit) {
                    return reentrancyLimit(o, e, limit);
                }
                e.readers.put(o, holds + 1);
                return LockResult.granted(0, holds + 1);
            }
            if (o.equals(e.writer) || (e.writer == null && e.waiters.isEmpty())) {
                e.readers.put(o, 1);
                return LockResult.granted(0, 1);
            }
        }
        if (!c.waits()) {
            return LockResult.notAcquired(e.label() + " is held by " + holdersText(e));
        }
        String cycle = graph.cycleClosedBy(o, e, write);
        if (cycle != null) {
            return LockResult.deadlock(cycle);
        }
        e.waiters.addLast(new Waiter(o, write, c.invocation()));
        waiting.put(o, e);
        return LockResult.waiting();
    }

    private LockResult reentrancyLimit(Owner o, Entry e, int limit) {
        return LockResult.error(Error.REENTRANCY_LIMIT, describe(o) + " already holds " + e.label() + " " + limit
                + (limit == 1 ? " time and it is not re-entrant" : " times, the re-entrancy limit"));
    }

    private LockResult release(Owner o, LockCommand c, boolean write) {
        Entry e = (c.readWrite() ? rwLocks : mutexes).get(c.name());
        String label = (c.readWrite() ? "read-write lock \"" : "mutex \"") + c.name() + '"';
        String side = c.readWrite() ? (write ? "the write lock of " : "the read lock of ") : "";
        if (write) {
            if (e == null || !o.equals(e.writer)) {
                return notOwner(o, side + label, e);
            }
            int left = --e.writeHolds;
            if (left == 0) {
                e.writer = null;
                promote(e);
                dropIfUnused(e);
            }
            return LockResult.released(left);
        }
        Integer holds = e == null ? null : e.readers.get(o);
        if (holds == null) {
            return notOwner(o, side + label, e);
        }
        if (holds == 1) {
            e.readers.remove(o);
            promote(e);
            dropIfUnused(e);
            return LockResult.released(0);
        }
        e.readers.put(o, holds - 1);
        return LockResult.released(holds - 1);
    }

    private LockResult notOwner(Owner o, String what, Entry e) {
        String holders = e == null ? "nobody" : holdersText(e);
        return LockResult.error(Error.NOT_OWNER, describe(o) + " is not owner of " + what + "; held by " + holders);
    }

    private LockResult cancelWait(Session s, Owner o, LockCommand c) {
        Entry e = (c.readWrite() ? rwLocks : mutexes).get(c.name());
        if (e != null && waiting.get(o) == e) {
            e.waiters.removeIf(w -> w.owner().equals(o));
            waiting.remove(o);
            promote(e);
            dropIfUnused(e);
            return LockResult.cancelled();
        }
        if (e != null && (o.equals(e.writer) || e.readers.containsKey(o))) {
            // The grant won the race with the timeout: tell the caller, and do not report it twice.
            s.grants.removeIf(q -> q.grant().readWrite() == e.readWrite && q.grant().lock().equals(e.name)
                    && q.grant().thread() == o.thread());
            return o.equals(e.writer) ? LockResult.granted(e.fence, e.writeHolds)
                    : LockResult.granted(0, e.readers.get(o));
        }
        return LockResult.error(Error.NOT_WAITING, describe(o) + " neither waits for nor holds "
                + (c.readWrite() ? "read-write lock \"" : "mutex \"") + c.name() + '"');
    }

    /** Grants waiters from the head of the queue while they are compatible with the holders. */
    private void promote(Entry e) {
        while (!e.waiters.isEmpty()) {
            Waiter w = e.waiters.peekFirst();
            if (w.write()) {
                if (e.writer == null && e.readers.isEmpty()) {
                    e.waiters.pollFirst();
                    e.writer = w.owner();
                    e.writeHolds = 1;
                    e.fence = ++lastFence;
                    grant(e, w, e.fence);
                }
                return;
            }
            if (e.writer != null) {
                return;
            }
            e.waiters.pollFirst();
            e.readers.put(w.owner(), 1);
            grant(e, w, 0);
        }
    }

    private static boolean unused(Entry e) {
        return e.writer == null && e.readers.isEmpty() && e.waiters.isEmpty();
    }

    /**
     * Removes a lock nobody holds or waits for, so that the state and its snapshots hold only locks in use (issue 12,
     * defect 11). Nothing is lost: its fence lives on in {@link #lastFence}, which the next grant of any lock exceeds.
     */
    private void dropIfUnused(Entry e) {
        if (unused(e)) {
            (e.readWrite ? rwLocks : mutexes).remove(e.name);
        }
    }

    private void grant(Entry e, Waiter w, long fence) {
        waiting.remove(w.owner());
        Grant g = new Grant(w.owner().session(), e.readWrite, e.name, w.owner().thread(), w.write(), fence, w.invocation());
        lastGrants.add(g);
        Session s = sessions.get(w.owner().session());
        if (s != null) {
            s.grants.addLast(new Queued(++s.lastGrantSeq, g));
            if (s.grants.size() > MAX_PENDING_GRANTS) {
                s.grants.pollFirst();
            }
        }
    }

    // ---- deadlock detection: see WaitForGraph ----

    private String describe(Owner o) {
        Session s = sessions.get(o.session());
        return (s == null ? "session " + o.session() : s.node) + "/thread " + o.thread();
    }

    private String holdersText(Entry e) {
        List<String> holders = new ArrayList<>();
        if (e.writer != null) {
            holders.add(describe(e.writer) + (e.readWrite ? " (write)" : ""));
        }
        for (Owner r : e.readers.keySet()) {
            holders.add(describe(r) + " (read)");
        }
        if (holders.isEmpty()) {
            holders.add("waiters ahead: " + e.waiters.size());
        }
        return String.join(", ", holders);
    }

    // ---- diagnostics ----

    private LockResult locksView() {
        List<LockInfo> infos = new ArrayList<>();
        for (TreeMap<String, Entry> locks : List.of(mutexes, rwLocks)) {
            for (Entry e : locks.values()) {
                List<Holder> holders = new ArrayList<>();
                if (e.writer != null) {
                    holders.add(holder(e.writer, true, e.writeHolds));
                }
                for (Map.Entry<Owner, Integer> r : e.readers.entrySet()) {
                    holders.add(holder(r.getKey(), false, r.getValue()));
                }
                List<Holder> waiters = new ArrayList<>();
                for (Waiter w : e.waiters) {
                    waiters.add(holder(w.owner(), w.write(), 0));
                }
                infos.add(new LockInfo(e.readWrite, e.name, e.fence, holders, waiters));
            }
        }
        return LockResult.locks(infos);
    }

    private Holder holder(Owner o, boolean write, int holds) {
        Session s = sessions.get(o.session());
        return new Holder(o.session(), s == null ? "" : s.node, o.thread(), write, holds);
    }

    // ---- snapshots ----

    /** The whole replicated state; {@link #restore} of it yields a machine that answers identically. */
    byte[] snapshot() {
        return LockStateSnapshots.write(this);
    }

    /**
     * A machine in the state {@code snapshot} was taken in.
     *
     * @throws IllegalArgumentException naming what was wrong, when {@code snapshot} is not a lock state snapshot of this
     *                                  version
     */
    static LockStateMachine restore(byte[] snapshot) {
        return LockStateSnapshots.read(snapshot);
    }
}
