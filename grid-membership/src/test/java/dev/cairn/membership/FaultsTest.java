package dev.cairn.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 13's partial cuts: {@link Faults#cutFrom} splits a cluster into two groups that each stay whole. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FaultsTest {
    @Test
    void cutFromSplitsFourNodesTwoAndTwoAndReconnectHealsThem() {
        try (var cluster = LoopbackCluster.memberships(4)) {
            for (int i : new int[] {0, 1}) {
                Faults.cutFrom(cluster.membership(i).channel(), List.of("n2", "n3"));
            }
            for (int i : new int[] {2, 3}) {
                Faults.cutFrom(cluster.membership(i).channel(), List.of("n0", "n1"));
            }
            assertEquals(Set.of("n2", "n3"), Faults.cutFrom(cluster.membership(0).channel()));

            for (int i = 0; i < 4; i++) {
                cluster.membership(i).handle((short) 7, (from, payload) -> CompletableFuture.completedFuture(payload));
            }
            cluster.awaitView(0, 1);
            cluster.awaitView(2, 3);
            // each side still talks within itself, and nothing crosses the cut
            assertTrue(cluster.membership(0).members().stream().noneMatch(m -> m.name().equals("n2")));
            for (int[] pair : new int[][] {{0, 1}, {1, 0}, {2, 3}, {3, 2}}) {
                Member to = cluster.membership(pair[1]).localMember();
                byte[] back = cluster.membership(pair[0]).call(to, (short) 7, new byte[] {7},
                        java.time.Duration.ofSeconds(5));
                assertEquals(1, back.length, "n" + pair[0] + " to n" + pair[1]);
            }

            for (int i = 0; i < 4; i++) {
                Faults.reconnect(cluster.membership(i).channel());
            }
            assertEquals(Set.of(), Faults.cutFrom(cluster.membership(0).channel()));
            cluster.awaitConverged();
        }
    }
}
