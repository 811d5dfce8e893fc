package dev.cairn.locks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.locks.LockResult.Error;
import dev.cairn.locks.LockResult.Grant;
import dev.cairn.locks.LockResult.Kind;
import dev.cairn.locks.LockResult.LockInfo;
import dev.cairn.membership.Wire;
import java.util.List;
import org.junit.jupiter.api.Test;

class LockStateMachineTest {

    private LockStateMachine sm = new LockStateMachine();
    private long invocation = 1;

    private LockResult run(byte[] command) {
        return LockResult.decode(sm.apply(command));
    }

    private long open(String node) {
        LockResult r = run(LockCommand.openSession(invocation++, node));
        assertEquals(Kind.SESSION_OPENED, r.kind());
        return r.value();
    }

    /** The invocation of each owner's last acquire, which the grant of its wait echoes. */
    private final java.util.Map<String, Long> lastAcquire = new java.util.HashMap<>();

    private long acquireInvocation(long session, long thread) {
        lastAcquire.put(session + "/" + thread, invocation);
        return invocation++;
    }

    /** The grant the owner's last acquire is answered with once it waited. */
    private Grant grant(long session, boolean readWrite, String lock, long thread, boolean write, long fence) {
        return new Grant(session, readWrite, lock, thread, write, fence, lastAcquire.get(session + "/" + thread));
    }

    private LockResult lock(long session, String name, long thread) {
        return run(LockCommand.lock(session, acquireInvocation(session, thread), name, thread, 1, true));
    }

    private LockResult tryLock(long session, String name, long thread) {
        return run(LockCommand.lock(session, invocation++, name, thread, 1, false));
    }

    private LockResult unlock(long session, String name, long thread) {
        return run(LockCommand.unlock(session, invocation++, name, thread));
    }

    private LockResult read(long session, String name, long thread) {
        return run(LockCommand.readLock(session, acquireInvocation(session, thread), name, thread, 8, true));
    }

    private LockResult write(long session, String name, long thread) {
        return run(LockCommand.writeLock(session, acquireInvocation(session, thread), name, thread, 8, true));
    }

    private LockResult readUnlock(long session, String name, long thread) {
        return run(LockCommand.readUnlock(session, invocation++, name, thread));
    }

    private LockResult writeUnlock(long session, String name, long thread) {
        return run(LockCommand.writeUnlock(session, invocation++, name, thread));
    }

    private final java.util.Map<Long, Long> acks = new java.util.HashMap<>();

    /** Polls as a client does: acking the last grant it received, so each grant is seen once. */
    private List<Grant> poll(long session) {
        LockResult r = run(LockCommand.poll(session, invocation++, acks.getOrDefault(session, 0L)));
        assertEquals(Kind.GRANTS, r.kind());
        acks.put(session, r.value());
        return r.grants();
    }

    private static long granted(LockResult r) {
        assertEquals(Kind.GRANTED, r.kind(), () -> "expected GRANTED, got " + r);
        return r.fence();
    }

    private static void assertKind(Kind kind, LockResult r) {
        assertEquals(kind, r.kind(), () -> "expected " + kind + ", got " + r);
    }

    private static void assertError(Error error, LockResult r) {
        assertEquals(Kind.ERROR, r.kind(), () -> "expected ERROR " + error + ", got " + r);
        assertEquals(error, r.error(), r::message);
    }

    private LockInfo info(boolean readWrite, String name) {
        return run(LockCommand.locks()).locks().stream()
                .filter(l -> l.readWrite() == readWrite && l.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void fencesStrictlyIncreaseAcrossHoldersExpiryAndRestore() {
        long a = open("node-a");
        long b = open("node-b");
        long f1 = granted(lock(a, "job", 1));
        assertKind(Kind.RELEASED, unlock(a, "job", 1));
        long f2 = granted(lock(b, "job", 7));
        assertTrue(f2 > f1);
        assertKind(Kind.WAITING, lock(a, "job", 1));
        assertEquals(List.of(), run(LockCommand.expire(1_000, 1_000)).sessions());
        run(LockCommand.heartbeat(a, invocation++));
        assertEquals(List.of(b), run(LockCommand.expire(2_001, 1_000)).sessions());
        long f3 = poll(a).get(0).fence();
        assertTrue(f3 > f2);

        sm = LockStateMachine.restore(sm.snapshot());
        assertKind(Kind.RELEASED, unlock(a, "job", 1));
        long f4 = granted(lock(a, "job", 2));
        assertTrue(f4 > f3, f4 + " after " + f3);
        assertEquals(f4, info(false, "job").fence());
    }

    @Test
    void reentrantAcquireReturnsTheSameFenceUpToTheLimit() {
        long a = open("node-a");
        long fence = granted(run(LockCommand.lock(a, invocation++, "m", 1, 3, true)));
        LockResult second = run(LockCommand.lock(a, invocation++, "m", 1, 3, true));
        assertEquals(fence, granted(second));
        assertEquals(2, second.holds());
        assertEquals(fence, granted(run(LockCommand.lock(a, invocation++, "m", 1, 3, true))));
        LockResult fourth = run(LockCommand.lock(a, invocation++, "m", 1, 3, true));
        assertError(Error.REENTRANCY_LIMIT, fourth);
        assertTrue(fourth.message().contains("re-entrancy limit"), fourth.message());

        assertKind(Kind.RELEASED, unlock(a, "m", 1));
        assertEquals(1, unlock(a, "m", 1).holds());
        assertEquals(0, unlock(a, "m", 1).holds());

        granted(lock(a, "single", 1));
        LockResult again = lock(a, "single", 1);
        assertError(Error.REENTRANCY_LIMIT, again);
        assertTrue(again.message().contains("not re-entrant"), again.message());
    }

    @Test
    void unlockByANonOwnerIsRefusedAndChangesNothing() {
        long a = open("node-a");
        long b = open("node-b");
        long fence = granted(lock(a, "m", 1));
        LockResult other = unlock(b, "m", 1);
        assertError(Error.NOT_OWNER, other);
        assertTrue(other.message().contains("node-b/thread 1") && other.message().contains("node-a/thread 1"),
                other.message());
        assertError(Error.NOT_OWNER, unlock(a, "m", 2));
        assertError(Error.NOT_OWNER, unlock(a, "never-locked", 1));
        assertEquals(fence, info(false, "m").fence());
        assertEquals(1, info(false, "m").holders().size());
        assertKind(Kind.NOT_ACQUIRED, tryLock(b, "m", 1));
    }

    @Test
    void waitersAreGrantedInFifoOrderAndLearnOfItByPolling() {
        long a = open("node-a");
        long b = open("node-b");
        long c = open("node-c");
        long f1 = granted(lock(a, "m", 1));
        assertKind(Kind.WAITING, lock(c, "m", 3));
        assertKind(Kind.WAITING, lock(b, "m", 2));
        assertKind(Kind.WAITING, lock(a, "m", 4));
        assertEquals(List.of(), poll(c));

        unlock(a, "m", 1);
        assertEquals(List.of(grant(c, false, "m", 3, true, f1 + 1)), sm.lastGrants());
        long ack = acks.getOrDefault(c, 0L);
        LockResult polled = LockResult.decode(sm.apply(LockCommand.poll(c, invocation++, ack)));
        assertEquals(List.of(grant(c, false, "m", 3, true, f1 + 1)), polled.grants());
        // a poll whose answer was lost (so the same ack) answers the same grants; once acked, none is left
        assertEquals(polled, LockResult.decode(sm.apply(LockCommand.poll(c, invocation++, ack))));
        acks.put(c, polled.value());
        assertEquals(List.of(), poll(c));

        unlock(c, "m", 3);
        assertEquals(f1 + 2, poll(b).get(0).fence());
        unlock(b, "m", 2);
        assertEquals(f1 + 3, poll(a).get(0).fence());
        assertEquals(List.of(), info(false, "m").waiters());
    }

    @Test
    void anUnlockThatHandsTheLockOnAnswersZeroHoldsLeftAndACancelBehindTheHeadGrantsNothing() {
        long a = open("node-a");
        long b = open("node-b");
        long c = open("node-c");
        granted(lock(a, "m", 1));
        assertKind(Kind.WAITING, lock(b, "m", 1));
        assertKind(Kind.WAITING, lock(c, "m", 1));
        assertKind(Kind.CANCELLED, run(LockCommand.cancelWait(c, invocation++, false, "m", 1)));
        assertEquals(List.of(), sm.lastGrants());
        assertEquals(a, info(false, "m").holders().get(0).session());
        assertEquals(LockResult.released(0), unlock(a, "m", 1));
        assertEquals(b, poll(b).get(0).session());
    }

    @Test
    void expiryReleasesLocksCancelsWaitsAndGrantsTheNextWaiterANewFence() {
        long a = open("node-a");
        long b = open("node-b");
        long c = open("node-c");
        long fence = granted(lock(a, "m", 1));
        granted(lock(b, "other", 1));
        assertKind(Kind.WAITING, lock(b, "m", 2));
        assertKind(Kind.WAITING, lock(c, "m", 3));
        assertEquals(List.of(), run(LockCommand.expire(0, 1_000)).sessions()); // all heard from: alive at 0
        run(LockCommand.heartbeat(b, invocation++));
        run(LockCommand.heartbeat(c, invocation++));

        assertEquals(List.of(), run(LockCommand.expire(1_000, 1_000)).sessions()); // a: silent for exactly the timeout
        assertEquals(List.of(a), run(LockCommand.expire(1_001, 1_000)).sessions());
        long other = fence + 1; // b's fence of "other": fences come from one counter for all locks
        assertEquals(List.of(grant(b, false, "m", 2, true, other + 1)), poll(b));
        assertKind(Kind.SESSION_EXPIRED, unlock(a, "m", 1));
        assertKind(Kind.SESSION_EXPIRED, lock(a, "m", 1));

        // b falls silent while holding "m" and "other": c gets "m" with yet another fence
        assertEquals(List.of(), run(LockCommand.expire(2_000, 1_000)).sessions()); // b polled, c beat: alive at 2,000
        run(LockCommand.heartbeat(c, invocation++));
        assertEquals(List.of(b), run(LockCommand.expire(3_001, 1_000)).sessions());
        assertEquals(List.of(grant(c, false, "m", 3, true, other + 2)), poll(c));
        assertEquals(List.of("m"), run(LockCommand.locks()).locks().stream().map(LockInfo::name).toList(),
                "\"other\", released by the expiry, is gone");
        assertEquals(other + 2, info(false, "m").fence());
    }

    @Test
    void livenessIsJudgedOnTheProposersClockAloneAndAClockGoingBackCountsAsAlive() {
        long a = open("node-a");
        assertEquals(List.of(), run(LockCommand.expire(10_000, 1_000)).sessions()); // new: alive at 10,000
        // a new leader whose clock is behind: the silent session is alive at its time, not expired
        assertEquals(List.of(), run(LockCommand.expire(5_000, 1_000)).sessions());
        assertEquals(List.of(), run(LockCommand.expire(6_000, 1_000)).sessions());
        assertEquals(List.of(a), run(LockCommand.expire(6_001, 1_000)).sessions());
    }

    @Test
    void closingASessionReleasesItsLocks() {
        long a = open("node-a");
        long b = open("node-b");
        long fence = granted(lock(a, "m", 1));
        assertKind(Kind.WAITING, lock(b, "m", 1));
        assertKind(Kind.OK, run(LockCommand.closeSession(a, invocation++)));
        assertKind(Kind.OK, run(LockCommand.closeSession(a, invocation++)));
        assertEquals(fence + 1, poll(b).get(0).fence());
    }

    @Test
    void aDuplicateInvocationIsAppliedOnce() {
        long node = 77;
        byte[] open = LockCommand.openSession(node, "node-a");
        long a = LockResult.decode(sm.apply(open)).value();
        assertEquals(a, LockResult.decode(sm.apply(open)).value());
        long b = open("node-b");
        assertTrue(b > a);

        byte[] lockCommand = LockCommand.lock(a, 5, "m", 1, 2, true);
        LockResult first = LockResult.decode(sm.apply(lockCommand));
        byte[] before = sm.snapshot();
        assertEquals(first, LockResult.decode(sm.apply(lockCommand)));
        assertArrayEquals(before, sm.snapshot());
        assertEquals(1, info(false, "m").holders().get(0).holds());

        byte[] unlockCommand = LockCommand.unlock(a, 6, "m", 1);
        assertEquals(0, LockResult.decode(sm.apply(unlockCommand)).holds());
        granted(lock(b, "m", 1));
        assertEquals(LockResult.released(0), LockResult.decode(sm.apply(unlockCommand)));
        assertEquals(b, info(false, "m").holders().get(0).session());
    }

    @Test
    void aRetryIsAppliedOnceHoweverLateAndAStaleDuplicateIsRefusedUnapplied() {
        long a = open("node-a");
        long b = open("node-b");
        byte[] lockCommand = LockCommand.lock(a, 1_000, "m", 1, 1, true);
        LockResult first = LockResult.decode(sm.apply(lockCommand));
        assertKind(Kind.GRANTED, first);
        for (int i = 0; i < 10_000; i++) { // the session's other threads and background commands go on meanwhile
            run(i % 2 == 0 ? LockCommand.heartbeat(a, 2_000 + i) : LockCommand.poll(a, 2_000 + i, 0));
            run(LockCommand.lock(a, 20_000 + i, "other-" + (i % 50), 2 + i % 50, 2, false));
        }
        assertEquals(first, LockResult.decode(sm.apply(lockCommand)), "the retry answers the first result");
        assertEquals(1, info(false, "m").holders().get(0).holds());

        // the thread moved on (unlock, invocation 1_001); a late copy of its lock command must not take "m" again
        assertKind(Kind.RELEASED, run(LockCommand.unlock(a, 1_001, "m", 1)));
        granted(lock(b, "m", 1));
        LockResult stale = LockResult.decode(sm.apply(lockCommand));
        assertEquals(LockResult.Error.STALE_INVOCATION, stale.error(), stale.toString());
        assertEquals(List.of(), info(false, "m").waiters());
        assertEquals(b, info(false, "m").holders().get(0).session());
    }

    @Test
    void manyReadersShareAndOneWriterExcludes() {
        long a = open("node-a");
        long b = open("node-b");
        long c = open("node-c");
        assertEquals(0, granted(read(a, "rw", 1)));
        granted(read(b, "rw", 1));
        granted(read(c, "rw", 1));
        assertEquals(3, info(true, "rw").holders().size());
        assertKind(Kind.NOT_ACQUIRED, run(LockCommand.writeLock(a, invocation++, "rw", 2, 1, false)));
        assertKind(Kind.WAITING, write(a, "rw", 2));
        readUnlock(a, "rw", 1);
        readUnlock(b, "rw", 1);
        assertEquals(List.of(), poll(a));
        readUnlock(c, "rw", 1);
        long fence = poll(a).get(0).fence();
        assertEquals(1, fence);
        assertKind(Kind.NOT_ACQUIRED, run(LockCommand.readLock(b, invocation++, "rw", 1, 1, false)));
        assertKind(Kind.WAITING, read(b, "rw", 1));
        assertKind(Kind.WAITING, read(c, "rw", 1));
        writeUnlock(a, "rw", 2);
        assertEquals(1, poll(b).size());
        assertEquals(1, poll(c).size());
        assertEquals(2, info(true, "rw").holders().size());
        assertError(Error.NOT_OWNER, writeUnlock(b, "rw", 1));
    }

    @Test
    void aWaitingWriterIsNotStarvedByNewReaders() {
        long a = open("node-a");
        long b = open("node-b");
        long c = open("node-c");
        granted(read(a, "rw", 1));
        assertKind(Kind.WAITING, write(b, "rw", 1));
        assertKind(Kind.WAITING, read(c, "rw", 1));
        LockResult reentrant = read(a, "rw", 1);
        assertKind(Kind.GRANTED, reentrant);
        assertEquals(2, reentrant.holds(), "a re-entrant reader is not queued behind the writer");
        readUnlock(a, "rw", 1);
        readUnlock(a, "rw", 1);
        assertEquals(List.of(grant(b, true, "rw", 1, true, 1)), poll(b));
        assertEquals(List.of(), poll(c));
        writeUnlock(b, "rw", 1);
        assertEquals(List.of(grant(c, true, "rw", 1, false, 0)), poll(c));
    }

    @Test
    void downgradeIsAllowedAndUpgradeRefused() {
        long a = open("node-a");
        long b = open("node-b");
        long fence = granted(write(a, "rw", 1));
        assertKind(Kind.WAITING, read(b, "rw", 1));
        granted(read(a, "rw", 1));
        assertEquals(0, writeUnlock(a, "rw", 1).holds());
        assertEquals(List.of(grant(b, true, "rw", 1, false, 0)), poll(b), "downgraded: readers share");
        assertEquals(fence, info(true, "rw").fence());

        LockResult upgrade = write(b, "rw", 1);
        assertError(Error.UPGRADE_REFUSED, upgrade);
        assertTrue(upgrade.message().contains("upgrading is refused"), upgrade.message());
        assertEquals(2, info(true, "rw").holders().size());
    }

    @Test
    void twoOwnerMutexDeadlockIsRefusedNamingTheCycleAndTheOtherProceedsAfterTheVictimBacksOff() {
        long a = open("node-a");
        long b = open("node-b");
        granted(lock(a, "L1", 1));
        granted(lock(b, "L2", 2));
        assertKind(Kind.WAITING, lock(a, "L2", 1));
        LockResult victim = lock(b, "L1", 2);
        assertKind(Kind.DEADLOCK, victim);
        assertEquals("deadlock: node-b/thread 2 waits for mutex \"L1\" held by node-a/thread 1; "
                + "node-a/thread 1 waits for mutex \"L2\" held by node-b/thread 2", victim.message());
        assertEquals(1, info(false, "L2").waiters().size(), "a keeps waiting");
        assertEquals(List.of(), info(false, "L1").waiters());

        unlock(b, "L2", 2);
        assertEquals("L2", poll(a).get(0).lock());
    }

    @Test
    void threeOwnerMutexDeadlockIsRefusedAndTheOthersFinish() {
        long a = open("node-a");
        long b = open("node-b");
        long c = open("node-c");
        granted(lock(a, "L1", 1));
        granted(lock(b, "L2", 1));
        granted(lock(c, "L3", 1));
        assertKind(Kind.WAITING, lock(a, "L2", 1));
        assertKind(Kind.WAITING, lock(b, "L3", 1));
        LockResult victim = lock(c, "L1", 1);
        assertKind(Kind.DEADLOCK, victim);
        assertEquals("deadlock: node-c/thread 1 waits for mutex \"L1\" held by node-a/thread 1; "
                + "node-a/thread 1 waits for mutex \"L2\" held by node-b/thread 1; "
                + "node-b/thread 1 waits for mutex \"L3\" held by node-c/thread 1", victim.message());

        unlock(c, "L3", 1);
        assertEquals("L3", poll(b).get(0).lock());
        unlock(b, "L3", 1);
        unlock(b, "L2", 1);
        assertEquals("L2", poll(a).get(0).lock());
    }

    @Test
    void readWriteDeadlocksOfTwoAndThreeOwnersAreRefused() {
        long a = open("node-a");
        long b = open("node-b");
        long c = open("node-c");
        granted(read(a, "R1", 1));
        granted(write(b, "R2", 1));
        assertKind(Kind.WAITING, read(a, "R2", 1));
        LockResult two = write(b, "R1", 1);
        assertKind(Kind.DEADLOCK, two);
        assertEquals("deadlock: node-b/thread 1 waits for the write lock of read-write lock \"R1\" held by "
                + "node-a/thread 1; node-a/thread 1 waits for the read lock of read-write lock \"R2\" held by "
                + "node-b/thread 1", two.message());

        // three owners: a waits for b (R2), b now waits for reader c (R3), c/2 shares R1 with a
        granted(read(c, "R3", 1));
        assertKind(Kind.WAITING, write(b, "R3", 1));
        granted(read(c, "R1", 2));
        // c/1 asks for the write lock of R1, read by a and c/2: a waits for b, b waits for c/1
        LockResult three = write(c, "R1", 1);
        assertKind(Kind.DEADLOCK, three);
        assertTrue(three.message().startsWith("deadlock: node-c/thread 1 waits for the write lock of read-write "
                + "lock \"R1\" held by node-a/thread 1; node-a/thread 1 waits for the read lock of read-write lock "
                + "\"R2\" held by node-b/thread 1; node-b/thread 1 waits for the write lock of read-write lock "
                + "\"R3\" held by node-c/thread 1"), three.message());

        // the victim backs off: c releases R3, b gets it, then releases R2 and a proceeds
        readUnlock(c, "R3", 1);
        assertEquals(List.of(grant(b, true, "R3", 1, true, 2)), poll(b), "fence 1 went to b's write lock of R2");
        writeUnlock(b, "R2", 1);
        assertEquals(List.of(grant(a, true, "R2", 1, false, 0)), poll(a));
    }

    @Test
    void aReaderQueuedBehindAWaitingWriterWaitsForThatWriter() {
        long a = open("node-a");
        long b = open("node-b");
        long c = open("node-c");
        granted(read(a, "rw", 1));
        granted(lock(c, "M", 1));
        assertKind(Kind.WAITING, lock(b, "M", 1)); // b waits for c
        assertKind(Kind.WAITING, write(c, "rw", 2)); // c/2 waits for reader a
        assertError(Error.ALREADY_WAITING, read(b, "x", 1));
        assertKind(Kind.WAITING, lock(b, "M", 1)); // asking again for what it waits for: it waits on, still once
        assertEquals(1, info(false, "M").waiters().size());
        run(LockCommand.cancelWait(b, invocation++, false, "M", 1));
        // b's thread 1 now wants a read of rw, queued behind writer c/2 -> fine, no cycle
        assertKind(Kind.WAITING, read(b, "rw", 1));
        // c/2 is a writer waiting for a; a now asks for M held by c/1: no cycle (c/1 waits for nothing)
        assertKind(Kind.WAITING, lock(a, "M", 1));
        // c/1 asks for read of rw: it queues behind writer c/2 which waits for a which waits for c/1
        LockResult cycle = read(c, "rw", 1);
        assertKind(Kind.DEADLOCK, cycle);
        assertTrue(cycle.message().contains("queued behind node-c/thread 2"), cycle.message());
    }

    @Test
    void cancelWaitWithdrawsTheWaiterOrReportsAGrantThatWonTheRace() {
        long a = open("node-a");
        long b = open("node-b");
        long fence = granted(lock(a, "m", 1));
        assertKind(Kind.WAITING, lock(b, "m", 1));
        assertKind(Kind.CANCELLED, run(LockCommand.cancelWait(b, invocation++, false, "m", 1)));
        assertError(Error.NOT_WAITING, run(LockCommand.cancelWait(b, invocation++, false, "m", 1)));
        assertKind(Kind.WAITING, lock(b, "m", 1));
        unlock(a, "m", 1);
        LockResult late = run(LockCommand.cancelWait(b, invocation++, false, "m", 1));
        assertEquals(fence + 1, granted(late));
        assertEquals(List.of(), poll(b), "the grant is reported once");
    }

    @Test
    void theLocksViewListsHoldersWaitersAndFences() {
        long a = open("node-a");
        long b = open("node-b");
        granted(lock(a, "m", 1));
        lock(b, "m", 2);
        granted(read(a, "rw", 3));
        List<LockInfo> locks = run(LockCommand.locks()).locks();
        assertEquals(2, locks.size());
        assertEquals(new LockInfo(false, "m", 1, List.of(new LockResult.Holder(a, "node-a", 1, true, 1)),
                List.of(new LockResult.Holder(b, "node-b", 2, true, 0))), locks.get(0));
        assertEquals(new LockInfo(true, "rw", 0, List.of(new LockResult.Holder(a, "node-a", 3, false, 1)),
                List.of()), locks.get(1));
    }

    /** Issue 12, defect 11: lock entries were never removed, so the state and its snapshots grew with every name. */
    @Test
    void tenThousandLockNamesUsedAndReleasedLeaveNoLockInTheStateAndASmallSnapshot() {
        long a = open("node-a");
        long b = open("node-b");
        int before = sm.snapshot().length;
        for (int i = 0; i < 10_000; i++) {
            String name = "lock-" + i;
            switch (i % 5) {
                case 0 -> { // a mutex, held and released
                    granted(lock(a, name, 1));
                    assertKind(Kind.RELEASED, unlock(a, name, 1));
                }
                case 1 -> { // the read side, shared
                    granted(read(a, name, 1));
                    granted(read(b, name, 1));
                    readUnlock(b, name, 1);
                    readUnlock(a, name, 1);
                }
                case 2 -> { // the write side, handed to a waiter
                    granted(write(a, name, 1));
                    assertKind(Kind.WAITING, write(b, name, 1));
                    writeUnlock(a, name, 1);
                    assertEquals(1, poll(b).size());
                    writeUnlock(b, name, 1);
                }
                case 3 -> { // a wait given up on, then the holder releases
                    granted(lock(a, name, 1));
                    assertKind(Kind.WAITING, lock(b, name, 1));
                    assertKind(Kind.CANCELLED, run(LockCommand.cancelWait(b, invocation++, false, name, 1)));
                    unlock(a, name, 1);
                }
                default -> { // refused without waiting, then released
                    granted(lock(a, name, 1));
                    assertKind(Kind.NOT_ACQUIRED, tryLock(b, name, 1));
                    unlock(a, name, 1);
                }
            }
        }
        assertEquals(List.of(), run(LockCommand.locks()).locks());
        int after = sm.snapshot().length;
        assertTrue(after < 2_048, "a snapshot of two sessions and no lock in use has " + after + " bytes");
        assertTrue(after <= before + 1_024, "the snapshot grew from " + before + " to " + after + " bytes");

        // a session that ends holding and waiting leaves nothing behind either
        long c = open("node-c");
        for (int i = 0; i < 1_000; i++) {
            granted(lock(c, "held-" + i, i));
        }
        granted(lock(a, "busy", 1));
        assertKind(Kind.WAITING, lock(c, "busy", 1_000));
        assertKind(Kind.OK, run(LockCommand.closeSession(c, invocation++)));
        assertEquals(List.of("busy"), run(LockCommand.locks()).locks().stream().map(LockInfo::name).toList());
        unlock(a, "busy", 1);
        assertEquals(List.of(), run(LockCommand.locks()).locks());
    }

    @Test
    void aLockRemovedAndCreatedAgainHandsOutAFenceAboveEveryFenceOfAnyLockBefore() {
        long a = open("node-a");
        long b = open("node-b");
        long highest = 0;
        for (int round = 0; round < 5; round++) {
            long job = granted(lock(a, "job", 1));
            long other = granted(write(b, "other-" + round, 1));
            assertTrue(job > highest && other > job, job + ", " + other + " after " + highest);
            highest = other;
            unlock(a, "job", 1);
            writeUnlock(b, "other-" + round, 1);
            assertEquals(List.of(), run(LockCommand.locks()).locks(), "removed once unused");
        }
        // through a restart from a snapshot taken while no lock is in use, and an expiry that frees a lock
        sm = LockStateMachine.restore(sm.snapshot());
        long afterRestore = granted(lock(a, "job", 1));
        assertTrue(afterRestore > highest, afterRestore + " after " + highest);
        assertKind(Kind.WAITING, lock(b, "job", 1));
        run(LockCommand.expire(0, 1_000));
        run(LockCommand.heartbeat(b, invocation++));
        assertEquals(List.of(a), run(LockCommand.expire(1_001, 1_000)).sessions());
        long toWaiter = poll(b).get(0).fence();
        assertTrue(toWaiter > afterRestore, toWaiter + " after " + afterRestore);
        assertEquals(toWaiter, info(false, "job").fence());
        assertEquals(toWaiter, granted(run(LockCommand.lock(b, invocation++, "job", 1, 2, true))),
                "a re-entrant acquire answers the holder's fence");
        unlock(b, "job", 1);
        unlock(b, "job", 1);
        assertEquals(List.of(), run(LockCommand.locks()).locks());
        long recreated = granted(run(LockCommand.lock(b, invocation++, "job", 1, 2, true)));
        assertTrue(recreated > toWaiter);
        assertEquals(recreated, granted(run(LockCommand.lock(b, invocation++, "job", 1, 2, true))),
                "a re-entrant acquire answers the same fence");
    }

    @Test
    void aSnapshotTakenAfterRemovalsRestoresToAMachineThatAnswersIdentically() {
        long a = open("node-a");
        long b = open("node-b");
        for (int i = 0; i < 100; i++) {
            granted(lock(a, "gone-" + i, 1));
            unlock(a, "gone-" + i, 1);
        }
        granted(lock(a, "kept", 1));
        assertKind(Kind.WAITING, lock(b, "kept", 2));
        granted(read(b, "rw", 3));
        byte[] snapshot = sm.snapshot();
        LockStateMachine copy = LockStateMachine.restore(snapshot);
        assertArrayEquals(snapshot, copy.snapshot());
        List<byte[]> commands = List.of(
                LockCommand.lock(a, invocation++, "gone-7", 1, 1, true),
                LockCommand.unlock(a, invocation++, "kept", 1),
                LockCommand.poll(b, invocation++, 0),
                LockCommand.writeLock(a, invocation++, "rw", 4, 1, true),
                LockCommand.readUnlock(b, invocation++, "rw", 3),
                LockCommand.poll(a, invocation++, 0),
                LockCommand.lock(b, invocation++, "gone-8", 2, 1, true),
                LockCommand.locks());
        for (int i = 0; i < commands.size(); i++) {
            assertArrayEquals(sm.apply(commands.get(i)), copy.apply(commands.get(i)), "answer to command " + i);
        }
        assertEquals(List.of("gone-7", "gone-8", "kept", "rw"),
                run(LockCommand.locks()).locks().stream().map(LockInfo::name).toList());
        assertArrayEquals(sm.snapshot(), copy.snapshot());
    }

    @Test
    void aTruncatedOrOversizedCommandResultOrSnapshotFailsNamingTheFaultNeverWithAnIndexOrMemoryError() {
        long a = open("node-a");
        granted(lock(a, "m", 1));
        assertKind(Kind.WAITING, run(LockCommand.lock(open("node-b"), invocation++, "m", 1, 1, true)));
        byte[] command = LockCommand.lock(a, invocation++, "other", 2, 1, true);
        for (int length = 0; length < command.length; length++) {
            LockResult r = LockResult.decode(sm.apply(java.util.Arrays.copyOf(command, length)));
            assertError(Error.BAD_COMMAND, r);
            assertTrue(r.message().startsWith("malformed lock command: "), r.message());
        }
        byte[] longer = java.util.Arrays.copyOf(command, command.length + 1);
        assertTrue(LockResult.decode(sm.apply(longer)).message().contains("unexpected bytes after a LOCK command"));
        byte[] badBoolean = command.clone();
        badBoolean[badBoolean.length - 1] = 7;
        assertTrue(LockResult.decode(sm.apply(badBoolean)).message().contains("a boolean of 7"));

        byte[] snapshot = sm.snapshot();
        for (int length = 0; length < snapshot.length; length++) {
            byte[] cut = java.util.Arrays.copyOf(snapshot, length);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LockStateMachine.restore(cut));
            assertTrue(e.getMessage().contains("snapshot"), e.getMessage());
        }
        // a count of 2^31 - 1 sessions where the lock state begins: refused before anything is allocated
        byte[] huge = java.util.Arrays.copyOf(snapshot, 4 + 8 + 8 + 4);
        huge[20] = 0x7f;
        huge[21] = huge[22] = huge[23] = (byte) 0xff;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LockStateMachine.restore(huge));
        assertTrue(e.getMessage().contains("a count of 2147483647"), e.getMessage());
        byte[] old = snapshot.clone();
        old[3] = 4;
        e = assertThrows(IllegalArgumentException.class, () -> LockStateMachine.restore(old));
        assertTrue(e.getMessage().contains("magic 0x434c4b04") && e.getMessage().contains("expected 0x434c4b05"),
                e.getMessage());

        byte[] locks = sm.apply(LockCommand.locks());
        for (int length = 0; length < locks.length; length++) {
            byte[] cut = java.util.Arrays.copyOf(locks, length);
            assertThrows(IllegalArgumentException.class, () -> LockResult.decode(cut));
        }
        byte[] manyGrants = new Wire.Out(16).u8(Kind.GRANTS.ordinal()).i64(0).i32(Integer.MAX_VALUE).toArray();
        e = assertThrows(IllegalArgumentException.class, () -> LockResult.decode(manyGrants));
        assertTrue(e.getMessage().contains("a count of 2147483647"), e.getMessage());
    }

    @Test
    void badInputGetsAClearError() {
        assertError(Error.BAD_COMMAND, LockResult.decode(sm.apply(new byte[] {99})));
        assertError(Error.BAD_COMMAND, LockResult.decode(sm.apply(new byte[0])));
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> LockCommand.lock(1, 1, "x".repeat(LockCommand.MAX_NAME_LENGTH + 1), 1, 1, true));
        assertTrue(tooLong.getMessage().startsWith("name must have 1 to 256 characters, was 257"),
                tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LockCommand.lock(1, 1, "m", 1, 0, true));
        assertThrows(IllegalArgumentException.class, () -> LockCommand.expire(0, -1));
        assertKind(Kind.SESSION_EXPIRED, lock(42, "m", 1));
        assertFalse(run(LockCommand.locks()).locks().stream().anyMatch(l -> l.name().equals("m")));
    }
}
