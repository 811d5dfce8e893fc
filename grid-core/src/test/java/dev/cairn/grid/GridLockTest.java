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
import dev.cairn.Fence;
import dev.cairn.StaleFenceException;

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
            out.set("report", "by n0", new dev.cairn.Fence("leader", old));
            first.unlock(); // as if n0 had lost the lock while paused
            FencedLock second = cluster.node(1).lock("leader");
            long newer = CompletableFuture.supplyAsync(second::lockAndGetFence).get(30, TimeUnit.SECONDS);
            cluster.node(1).<String, String>map("results").set("report", "by n1", new dev.cairn.Fence("leader", newer));
            dev.cairn.StaleFenceException e = assertThrows(dev.cairn.StaleFenceException.class,
                    () -> out.set("report", "late write by n0", new dev.cairn.Fence("leader", old)));
            assertTrue(e.getMessage().contains("leader"), e.getMessage());
            assertEquals("by n1", out.get("report"));
        }
    }

    /** Every write has a fenced twin, and each refuses an older holder's fence once the newer one wrote. */
    @Test
    void everyFencedWriteRefusesAnOlderHoldersFence(@TempDir Path dir) throws Exception {
        try (var cluster = GridTest.grids(3, b -> b.lockGroup("n0", "n1", "n2").lockDataDir(dir).lockPortOffset(0))) {
            FencedLock first = cluster.node(0).lock("owner");
            long oldToken = first.lockAndGetFence();
            first.unlock(); // as if n0 had lost the lock while paused
            long newToken = CompletableFuture.supplyAsync(cluster.node(1).lock("owner")::lockAndGetFence)
                    .get(30, TimeUnit.SECONDS);
            Fence old = new Fence("owner", oldToken);
            Fence current = new Fence("owner", newToken);
            GridMap<String, String> byNew = cluster.node(1).map("state");
            GridMap<String, String> byOld = cluster.node(0).map("state");
            java.util.Map<String, String> entries = new java.util.TreeMap<>();
            for (int i = 0; i < 50; i++) {
                entries.put("k" + i, "new " + i);
            }
            byNew.putAll(entries, current); // raises every key's partition to the newer fence
            assertEquals("new 1", byNew.put("k1", "new one", current));
            assertEquals("new 2", byNew.putIfAbsent("k2", "ignored", current));
            assertEquals("new 3", byNew.replace("k3", "new three", current));
            assertTrue(byNew.replace("k4", "new 4", "new four", current));
            assertTrue(byNew.remove("k5", "new 5", current));
            assertEquals("new 6", byNew.remove("k6", current));

            java.util.List<org.junit.jupiter.api.function.Executable> stale = java.util.List.of(
                    () -> byOld.put("k1", "late", old), () -> byOld.set("k1", "late", old),
                    () -> byOld.putIfAbsent("k5", "late", old), () -> byOld.replace("k3", "late", old),
                    () -> byOld.replace("k4", "new four", "late", old), () -> byOld.remove("k7", old),
                    () -> byOld.remove("k8", "new 8", old), () -> byOld.putAll(java.util.Map.of("k9", "late"), old),
                    () -> byOld.removeAll(java.util.List.of("k10", "k11"), old));
            for (var call : stale) {
                StaleFenceException e = assertThrows(StaleFenceException.class, call);
                assertTrue(e.getMessage().contains("below " + newToken), e.getMessage());
            }
            java.util.Map<String, String> expected = new java.util.TreeMap<>(entries);
            expected.put("k1", "new one");
            expected.put("k3", "new three");
            expected.put("k4", "new four");
            expected.remove("k5");
            expected.remove("k6");
            assertEquals(expected, new java.util.TreeMap<>(byOld.getAll(entries.keySet())), "no stale write took effect");
            NullPointerException npe = assertThrows(NullPointerException.class, () -> byOld.set("k1", "x", (dev.cairn.Fence) null));
            assertTrue(npe.getMessage().contains("fence"), npe.getMessage());
            assertEquals(48, byNew.removeAll(entries.keySet(), current));
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
