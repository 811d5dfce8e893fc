package dev.cairn.locks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.cairn.membership.LoopbackCluster;
import dev.cairn.membership.Membership;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FencedLockTest {
    record Node(Membership membership, LockService locks) implements AutoCloseable {
        @Override
        public void close() {
            locks.close();
            membership.close();
        }
    }

    private static LoopbackCluster<Node> cluster(Path dir) {
        return LoopbackCluster.start(3, Duration.ofSeconds(2), s -> {
            Membership m = Membership.create(s, new SimpleMeterRegistry());
            LockService locks = LockService.create(m, new LockSettings(List.of("n0", "n1", "n2"), dir, 0,
                    Duration.ofSeconds(3), Duration.ofSeconds(5)));
            m.join();
            return new Node(m, locks);
        }, Node::membership);
    }

    /**
     * A timed-out tryLock can race the grant of its wait: the grant reaches the node after the thread stopped waiting,
     * and the thread learns from its cancel that it holds the lock after all. That grant must never answer a later
     * wait of the same thread on the same lock, or the thread would think it holds a lock someone else holds.
     */
    @Test
    void aGrantOfAWaitGivenUpOnNeverAnswersALaterWait(@TempDir Path dir) throws Exception {
        try (var cluster = cluster(dir)) {
            FencedLock byB = cluster.node(1).locks().lock("race", 1);
            long first = byB.lockAndGetFence();
            LockClient a = cluster.node(0).locks().client();
            long s = a.session();
            long thread = 4242; // the thread of node a whose tryLock timed out, driven here step by step
            assertEquals(LockResult.Kind.WAITING, a.call(LockCommand.lock(s, 1_000, "race", thread, 1, true)).kind());
            // the thread gave up (no waiter registered any more); b unlocks and the grant reaches node a unclaimed
            byB.unlock();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> a.unclaimedGrants() == 1);
            LockResult cancelled = a.call(LockCommand.cancelWait(s, 2_000, false, "race", thread));
            assertEquals(LockResult.Kind.GRANTED, cancelled.kind(), "the grant won the race: " + cancelled);
            assertEquals(first + 1, cancelled.value());
            assertEquals(LockResult.Kind.RELEASED, a.call(LockCommand.unlock(s, 2_500, "race", thread)).kind());

            long second = byB.lockAndGetFence(); // free again: b takes it at once
            assertEquals(LockResult.Kind.WAITING, a.call(LockCommand.lock(s, 3_000, "race", thread, 1, true)).kind());
            CompletableFuture<LockResult.Grant> later = a.awaitGrant(s, false, "race", thread, 3_000);
            org.awaitility.Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> !later.isDone());
            assertEquals(0, a.unclaimedGrants(), "the stale grant was dropped");
            byB.unlock();
            assertEquals(second + 1, later.get(30, TimeUnit.SECONDS).fence(), "granted once b let go, with a new fence");
        }
    }

    /**
     * A lock call can fail with its outcome unknown (no answer within the command timeout, as in a long failover)
     * after the group applied it. If the thread moves on, the hold or queued wait it got must be given back, or the
     * node's heartbeats would keep it, and the lock, for good. Here two such calls of node a are left behind: one that
     * got the lock, one queued behind b; b and then c must still get the lock.
     */
    @Test
    void aLockCallWhoseAnswerWasLostLeavesNoHoldOrWaitBehind(@TempDir Path dir) throws Exception {
        try (var cluster = cluster(dir)) {
            LockClient a = cluster.node(0).locks().client();
            long s = a.session();
            LockOps ops = new LockOps(a, "orphan", LockOps.Side.MUTEX, 1);
            byte[] got = LockCommand.lock(s, 10_000, "orphan", 5151, 1, true);
            LockResult applied = a.call(got);
            assertEquals(LockResult.Kind.GRANTED, applied.kind());
            ops.abandonedForTest(5151, true, s, 10_000, got); // its thread got an error and went on

            ExecutorService b = Executors.newSingleThreadExecutor();
            try {
                FencedLock byB = cluster.node(1).locks().lock("orphan", 1);
                long fenceB = b.submit(byB::lockAndGetFence).get(30, TimeUnit.SECONDS);
                assertTrue(fenceB > applied.value(), fenceB + " after " + applied.value());

                byte[] queued = LockCommand.lock(s, 20_000, "orphan", 5252, 1, true);
                assertEquals(LockResult.Kind.WAITING, a.call(queued).kind());
                ops.abandonedForTest(5252, true, s, 20_000, queued);
                FencedLock byC = cluster.node(2).locks().lock("orphan", 1);
                CompletableFuture<Long> fenceC = CompletableFuture.supplyAsync(() -> {
                    long f = byC.lockAndGetFence();
                    byC.unlock();
                    return f;
                });
                b.submit(byB::unlock).get(30, TimeUnit.SECONDS);
                assertTrue(fenceC.get(30, TimeUnit.SECONDS) > fenceB, "c got the lock after b, whatever a's wait got");
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> a.abandonedCalls() == 0);
                assertTrue(cluster.node(2).locks().snapshot().stream().filter(l -> l.name().equals("orphan"))
                        .allMatch(l -> l.holders().isEmpty() && l.waiters().isEmpty()), "nothing left behind");
            } finally {
                b.shutdownNow();
            }
        }
    }

    /**
     * A thread whose call on one lock was left without an answer, and that moves on to another lock, gives the first
     * back before its next call goes out (its invocation ids must reach the group in order: a later resend of the
     * older one would be refused as stale, and the hold it got would stay).
     */
    @Test
    void aThreadThatMovesOnToAnotherLockSettlesTheCallItLeftBehindFirst(@TempDir Path dir) throws Exception {
        try (var cluster = cluster(dir)) {
            LockClient a = cluster.node(0).locks().client();
            long s = a.session();
            long me = Thread.currentThread().getId();
            byte[] got = LockCommand.lock(s, 10_000, "first", me, 1, true);
            assertEquals(LockResult.Kind.GRANTED, a.call(got).kind());
            new LockOps(a, "first", LockOps.Side.MUTEX, 1).abandonedForTest(me, true, s, 10_000, got);

            FencedLock second = cluster.node(0).locks().lock("second", 1);
            second.lock(); // at once, well before the settling thread's first round
            try {
                FencedLock firstElsewhere = cluster.node(1).locks().lock("first", 1);
                assertTrue(firstElsewhere.tryLock(), "'first' was given back before this thread's next call went out");
                firstElsewhere.unlock();
            } finally {
                second.unlock();
            }
            assertTrue(a.pending.values().stream().noneMatch(LockClient.Pending::abandoned), "nothing left to settle");
        }
    }

    @Test
    void noTwoHoldersAtOnceAndFencesOnlyIncrease(@TempDir Path dir) throws Exception {
        try (var cluster = cluster(dir)) {
            AtomicReference<String> holder = new AtomicReference<>();
            List<Long> fences = new CopyOnWriteArrayList<>();
            List<String> overlaps = new CopyOnWriteArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 6; t++) {
                    FencedLock lock = cluster.node(t % 3).locks().lock("counter", 1);
                    String me = "n" + (t % 3) + "-t" + t;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < 10; i++) {
                            long fence = lock.lockAndGetFence();
                            try {
                                if (!holder.compareAndSet(null, me)) {
                                    overlaps.add(me + " with " + holder.get());
                                }
                                fences.add(fence);
                                assertEquals(fence, lock.getFence());
                                holder.set(null);
                            } finally {
                                lock.unlock();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(List.of(), overlaps);
            assertEquals(60, fences.size());
            for (int i = 1; i < fences.size(); i++) {
                assertTrue(fences.get(i) > fences.get(i - 1), "fences in acquisition order: " + fences);
            }
        }
    }

    @Test
    void reentrancyKeepsTheFenceAndBadCallsAreRefusedClearly(@TempDir Path dir) throws Exception {
        try (var cluster = cluster(dir)) {
            FencedLock reentrant = cluster.node(0).locks().lock("r", 2);
            long fence = reentrant.lockAndGetFence();
            assertEquals(fence, reentrant.lockAndGetFence(), "a re-entrant acquire returns the same fence");
            IllegalMonitorStateException limit = assertThrows(IllegalMonitorStateException.class, reentrant::lock);
            assertTrue(limit.getMessage().contains("'r'"), limit.getMessage());
            reentrant.unlock();
            reentrant.unlock();

            FencedLock other = cluster.node(1).locks().lock("held", 1);
            other.lock();
            FencedLock mine = cluster.node(0).locks().lock("held", 1);
            IllegalMonitorStateException notOwner = assertThrows(IllegalMonitorStateException.class, mine::unlock);
            assertTrue(notOwner.getMessage().contains("not held"), notOwner.getMessage());
            assertFalse(mine.tryLock());
            long start = System.nanoTime();
            assertFalse(mine.tryLock(300, TimeUnit.MILLISECONDS));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(250));
            assertThrows(IllegalArgumentException.class, () -> mine.tryLock(-1, TimeUnit.SECONDS));
            assertThrows(IllegalArgumentException.class, () -> cluster.node(0).locks().lock("x".repeat(300), 1));
            assertThrows(IllegalArgumentException.class, () -> cluster.node(0).locks().lock("ok", 0));
            other.unlock();
            assertTrue(mine.tryLock(5, TimeUnit.SECONDS));
            assertTrue(mine.getFence() > 0);
            mine.unlock();
        }
    }

    @Test
    void aDeadlockBetweenTwoNodesIsRefusedAndTheOtherProceeds(@TempDir Path dir) throws Exception {
        try (var cluster = cluster(dir)) {
            FencedLock a0 = cluster.node(0).locks().lock("A", 1);
            FencedLock b0 = cluster.node(0).locks().lock("B", 1);
            FencedLock a1 = cluster.node(1).locks().lock("A", 1);
            FencedLock b1 = cluster.node(1).locks().lock("B", 1);
            ExecutorService n0 = Executors.newSingleThreadExecutor();
            ExecutorService n1 = Executors.newSingleThreadExecutor();
            try {
                n0.submit(a0::lock).get(30, TimeUnit.SECONDS);
                n1.submit(b1::lock).get(30, TimeUnit.SECONDS);
                Future<Long> waiting = n0.submit(b0::lockAndGetFence); // n0 waits for B, held by n1
                assertThrows(java.util.concurrent.TimeoutException.class, () -> waiting.get(500, TimeUnit.MILLISECONDS));
                Future<?> closing = n1.submit(a1::lock); // n1 asks for A, held by n0, which waits for n1: a cycle
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> closing.get(30, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof DeadlockException, e.getCause().toString());
                String cycle = e.getCause().getMessage();
                assertTrue(cycle.contains("\"A\"") && cycle.contains("\"B\"") && cycle.contains("n0") && cycle.contains("n1"), cycle);
                n1.submit(b1::unlock).get(30, TimeUnit.SECONDS); // the victim backs off
                assertTrue(waiting.get(30, TimeUnit.SECONDS) > 0, "the other owner proceeds");
                n0.submit(() -> {
                    b0.unlock();
                    a0.unlock();
                }).get(30, TimeUnit.SECONDS);
            } finally {
                n0.shutdownNow();
                n1.shutdownNow();
            }
        }
    }

    @Test
    void aCrashedHoldersLockGoesToTheNextWaiterWithAHigherFence(@TempDir Path dir) throws Exception {
        try (var cluster = cluster(dir)) {
            long first = cluster.node(2).locks().lock("job", 1).lockAndGetFence();
            CompletableFuture<Long> next = CompletableFuture.supplyAsync(() -> cluster.node(0).locks().lock("job", 1).lockAndGetFence());
            cluster.crash(2); // its session stops heartbeating; expiry is committed through Raft after 3 s
            long fence = next.get(60, TimeUnit.SECONDS);
            assertTrue(fence > first, fence + " after " + first);
            assertNull(cluster.node(0).locks().snapshot().stream().filter(l -> l.name().equals("job"))
                    .flatMap(l -> l.holders().stream()).filter(h -> h.startsWith("n2")).findAny().orElse(null));
        }
    }
}
