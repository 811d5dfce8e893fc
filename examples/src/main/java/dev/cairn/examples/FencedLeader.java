package dev.cairn.examples;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

import dev.cairn.GridException;
import dev.cairn.grid.GridMap;
import dev.cairn.locks.FencedLock;
import dev.cairn.locks.LockOwnershipLostException;
import dev.cairn.Fence;
import dev.cairn.StaleFenceException;

/**
 * The example "leader with fenced writes": every node runs one of these for the same lock; the one holding the lock is
 * the leader and does the job, here writing {@code "<node> #<n> fence <f>"} to one key every period. Each write carries
 * the lock's fence, which is what makes this safe: a leader paused (GC, SIGSTOP) or cut off past its session loses the
 * lock to the next node without knowing, and when it wakes up its next write has an older fence than the new leader's,
 * so the key's partition rejects it ({@link StaleFenceException}) and the old leader steps down. The console runs it
 * ({@code leader start <lock> <map> <key> <every-ms>}), and the demo's chapter 7 shows the pause.
 *
 * <pre>{@code
 * FencedLock lock = grid.lock("job", 1);
 * while (running) {
 *     lock.lockInterruptibly();                      // wait to become leader
 *     Fence fence = new Fence(lock.name(), lock.getFence());
 *     try {
 *         while (running) {
 *             results.set("owner", work(), fence);   // refused once a newer leader has written
 *         }
 *     } catch (StaleFenceException e) {
 *         // a newer leader exists: step down
 *     } finally {
 *         lock.unlock();                             // LockOwnershipLostException if the session had expired
 *     }
 * }
 * }</pre>
 */
public final class FencedLeader implements AutoCloseable {
    /** What happens to the candidate, as it happens (on its own thread). */
    public interface Events {
        void elected(long fence);

        void wrote(long fence, long n);

        /** A write was refused: a newer leader has written with a higher fence. The candidate steps down. */
        void fenced(long fence, StaleFenceException e);

        void resigned(long fence);

        /** The lock was already gone when the candidate gave it back (its session had expired). */
        void lost(long fence, RuntimeException e);

        /** A lock or map call failed (no quorum, timeout); the candidate carries on. */
        void failed(String what, GridException e);
    }

    private final FencedLock lock;
    private final GridMap<String, byte[]> map;
    private final String key;
    private final long periodNanos;
    private final String node;
    private final Events events;
    private final Thread thread;
    private volatile boolean stopping;

    public FencedLeader(FencedLock lock, GridMap<String, byte[]> map, String key, Duration every, String node, Events events) {
        this.lock = lock;
        this.map = map;
        this.key = key;
        this.periodNanos = every.toNanos();
        this.node = node;
        this.events = events;
        this.thread = new Thread(this::run, "leader-" + lock.name());
        thread.setDaemon(true);
    }

    public FencedLeader start() {
        thread.start();
        return this;
    }

    private void run() {
        while (!stopping) {
            long fence;
            try {
                lock.lockInterruptibly();
                fence = lock.getFence();
            } catch (InterruptedException e) {
                return;
            } catch (GridException e) {
                events.failed("acquire", e);
                LockSupport.parkNanos(periodNanos);
                continue;
            }
            events.elected(fence);
            try {
                lead(fence);
            } finally {
                boolean interrupted = Thread.interrupted(); // close() interrupts: give the lock back first
                try {
                    lock.unlock();
                    events.resigned(fence);
                } catch (LockOwnershipLostException | IllegalMonitorStateException e) {
                    events.lost(fence, e);
                } catch (GridException e) {
                    events.failed("unlock", e);
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Does the job while it leads: until stopped, or until a write shows that a newer leader exists. */
    private void lead(long fence) {
        for (long n = 1; !stopping && !Thread.currentThread().isInterrupted(); n++) {
            try {
                map.set(key, (node + " #" + n + " fence " + fence).getBytes(StandardCharsets.UTF_8), new Fence(lock.name(), fence));
                events.wrote(fence, n);
            } catch (StaleFenceException e) {
                events.fenced(fence, e);
                return;
            } catch (GridException e) {
                events.failed("write", e);
            }
            LockSupport.parkNanos(periodNanos);
        }
    }

    /** Stops running for leader, giving the lock back if it holds it; waits up to 30 s for that. */
    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
