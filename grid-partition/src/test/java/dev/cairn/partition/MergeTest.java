package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.cluster;
import static dev.cairn.partition.PartitionTests.join;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.Fence;
import dev.cairn.StaleFenceException;

/** What a split that heals leaves of a map that stays writable on both sides (issue 13). */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class MergeTest {

    /**
     * Issue 13's defect 2: the merged primary kept the freshest copy by version, with that copy's fences only. The
     * majority had taken a write with fence 2 while the cut-off primary made plain writes (a higher version); after the
     * heal a write with fence 1, an older holder's, was accepted. Every copy's fences now count.
     */
    @Test
    void afterAHealAFenceEitherSideSawRefusesTheLowerOnes() {
        try (var cluster = cluster(3)) {
            PartitionTests.awaitSettled(cluster, 1);
            byte[] k = MagicKeys.ownedBy(cluster.node(0).service(), 1, "n2", null, "fenced-");
            ByteMap majority = cluster.node(0).service().map("jobs");
            join(majority.set(k, b("by holder 1"), new Fence("job", 1)));

            cluster.isolate(2);
            await().atMost(cluster.patience()).until(() -> cluster.membership(2).view().size() == 1
                    && cluster.membership(0).view().size() == 2);
            join(majority.set(k, b("by holder 2"), new Fence("job", 2)));
            ByteMap minority = cluster.node(2).service().map("jobs");
            for (int i = 0; i < 3; i++) {
                join(minority.set(k, b("plain " + i))); // the minority's copy gets the higher version
            }
            cluster.heal(2);
            cluster.awaitConverged();
            PartitionTests.awaitSettled(cluster, 1);

            for (int n = 0; n < 3; n++) {
                ByteMap m = cluster.node(n).service().map("jobs");
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> m.set(k, b("by holder 1, late"), new Fence("job", 1)).get(30, TimeUnit.SECONDS),
                        "a fence below one the majority saw is refused, written from n" + n);
                assertTrue(e.getCause() instanceof StaleFenceException, e.getCause().toString());
            }
        }
    }
}
