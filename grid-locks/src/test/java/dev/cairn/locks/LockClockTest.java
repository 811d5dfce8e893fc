package dev.cairn.locks;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.cairn.Clock;
import dev.cairn.membership.LoopbackCluster;
import dev.cairn.membership.Membership;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Issue 12: the lock client and service read time from the configured clock, so a test drives them with no real wait. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LockClockTest {
    /** A clock that moves only when told to. */
    static final class TestClock implements Clock {
        private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
        private final AtomicLong millis = new AtomicLong(1_800_000_000_000L);

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
            millis.addAndGet(d.toMillis());
        }

        @Override
        public long nanoTime() {
            return nanos.get();
        }

        @Override
        public long epochMillis() {
            return millis.get();
        }
    }

    private static LoopbackCluster<FencedLockTest.Node> cluster(Path dir, Clock clock) {
        return LoopbackCluster.start(3, Duration.ofSeconds(2), s -> {
            Membership m = Membership.create(s, new SimpleMeterRegistry());
            LockService locks = LockService.create(m, new LockSettings(List.of("n0", "n1", "n2"), dir, 0,
                    Duration.ofSeconds(3), Duration.ofSeconds(5), clock));
            m.join();
            return new FencedLockTest.Node(m, locks);
        }, FencedLockTest.Node::membership);
    }

    @Test
    void aTryLockTimeoutIsMeasuredOnTheConfiguredClock(@TempDir Path dir) throws Exception {
        TestClock clock = new TestClock();
        try (var cluster = cluster(dir, clock)) {
            FencedLock held = cluster.node(0).locks().lock("job", 1);
            held.lockAndGetFence();
            FencedLock other = cluster.node(1).locks().lock("job", 1);
            CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(
                    () -> other.tryLockAndGetFence(Duration.ofHours(1)));
            // it waits while the clock stands still, however much real time passes meanwhile
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> !waiting.isDone());
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node(0).locks().snapshot().stream()
                    .anyMatch(l -> l.name().equals("job") && l.waiters().size() == 1));
            clock.advance(Duration.ofMinutes(59));
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !waiting.isDone());
            clock.advance(Duration.ofMinutes(1)); // the hour is up on the clock, a second or so after the call
            assertEquals(0L, waiting.get(30, TimeUnit.SECONDS), "timed out: not acquired");
            assertTrue(cluster.node(0).locks().snapshot().stream().allMatch(l -> l.waiters().isEmpty()),
                    "the wait was withdrawn");
            held.unlock();
        }
    }

    /**
     * A node that falls silent loses its locks when EXPIRE commands stamped with the leader's clock say so: here the
     * clock is moved past the session timeout while the node holding the lock is cut off, and the waiter gets the lock
     * with a higher fence, well before the real session timeout could have passed twice.
     */
    @Test
    void aSilentNodesSessionExpiresByTheLeadersClock(@TempDir Path dir) throws Exception {
        TestClock clock = new TestClock();
        try (var cluster = cluster(dir, clock)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node(0).locks().leader() != null);
            String leader = cluster.node(0).locks().leader();
            int leaderIndex = Integer.parseInt(leader.substring(1));
            int silent = (leaderIndex + 1) % 3;
            int waiter = (leaderIndex + 2) % 3;
            FencedLock held = cluster.node(silent).locks().lock("job", 1);
            long first = held.lockAndGetFence();
            // a new leader first waits one session timeout on its clock before it expires anyone
            clock.advance(Duration.ofSeconds(4));
            FencedLock next = cluster.node(waiter).locks().lock("job", 1);
            CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(next::lockAndGetFence);
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node(leaderIndex).locks().snapshot().stream()
                    .anyMatch(l -> l.name().equals("job") && l.waiters().size() == 1));
            cluster.crash(silent); // its heartbeats stop and its session is not closed; the group keeps a majority
            // the clock stands still: nobody expires, though twice the session timeout passes in real time (on the
            // system clock the silent session would end within 3 s plus two EXPIRE ticks, 4.5 s)
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(20)).until(() -> !waiting.isDone());
            // one EXPIRE sees the silent session at the clock's time, a later one past the timeout ends it
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                clock.advance(Duration.ofSeconds(1));
                return waiting.isDone();
            });
            long fence = waiting.get(30, TimeUnit.SECONDS);
            assertTrue(fence > first, fence + " after " + first);
            assertFalse(cluster.node(leaderIndex).locks().snapshot().stream()
                    .anyMatch(l -> l.holders().stream().anyMatch(h -> h.startsWith("n" + silent + "/"))));
        }
    }
}
