package dev.cairn.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.cairn.GridException;
import dev.cairn.locks.FencedLock;
import dev.cairn.locks.GridReadWriteLock;
import dev.cairn.locks.LockSnapshot;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GridLockTest {

    @Test
    void locksAcrossGridsHandOutIncreasingFences(@TempDir Path dir) throws Exception {
        try (var cluster = GridTest.grids(3, b -> b.lockGroup("n0", "n1", "n2").lockDataDir(dir).lockPortOffset(0))) {
            FencedLock a = cluster.node(0).lock("job");
            FencedLock b = cluster.node(1).lock("job");
            long first = a.lockAndGetFence();
            assertFalse(b.tryLock());
            assertEquals(first, a.lockAndGetFence(), "re-entrant by default, same fence");
            a.unlock();
            a.unlock();
            long second = CompletableFuture.supplyAsync(b::lockAndGetFence).get(30, TimeUnit.SECONDS);
            assertTrue(second > first);
            LockSnapshot job = cluster.node(2).locks().snapshot().stream().filter(l -> l.name().equals("job"))
                    .findFirst().orElseThrow();
            assertEquals(second, job.fence());
            assertTrue(job.holders().get(0).startsWith("n1/"), job.toString());

            GridReadWriteLock rw = cluster.node(2).readWriteLock("table");
            rw.readLock().lock();
            assertTrue(cluster.node(0).readWriteLock("table").readLock().tryLock(), "many readers");
            assertThrows(IllegalMonitorStateException.class, () -> rw.writeLock().tryLock(), "no upgrade");
        }
    }

    @Test
    void aWriteWithAnOlderHoldersFenceIsRejected(@TempDir Path dir) throws Exception {
        try (var cluster = GridTest.grids(3, b -> b.lockGroup("n0", "n1", "n2").lockDataDir(dir).lockPortOffset(0))) {
            FencedLock first = cluster.node(0).lock("leader");
            long old = first.lockAndGetFence();
            GridMap<String, String> out = cluster.node(0).map("results");
            out.set("report", "by n0", new dev.cairn.partition.Fence("leader", old));
            first.unlock(); // as if n0 had lost the lock while paused
            FencedLock second = cluster.node(1).lock("leader");
            long newer = CompletableFuture.supplyAsync(second::lockAndGetFence).get(30, TimeUnit.SECONDS);
            cluster.node(1).<String, String>map("results").set("report", "by n1", new dev.cairn.partition.Fence("leader", newer));
            dev.cairn.partition.StaleFenceException e = assertThrows(dev.cairn.partition.StaleFenceException.class,
                    () -> out.set("report", "late write by n0", new dev.cairn.partition.Fence("leader", old)));
            assertTrue(e.getMessage().contains("leader"), e.getMessage());
            assertEquals("by n1", out.get("report"));
        }
    }

    @Test
    void withoutALockGroupALockCallSaysHowToConfigureOne() {
        try (var cluster = GridTest.grids(1)) {
            GridException e = assertThrows(GridException.class, () -> cluster.node(0).lock("x").lock());
            assertTrue(e.getMessage().contains("lockGroup"), e.getMessage());
        }
    }
}
