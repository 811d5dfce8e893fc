package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Issue 13's per-map quorum across JVMs: three nodes expecting three; one cut off from the others refuses every write
 * of a map (the default quorum), the two that remain take them, and after the heal every node reads the majority's
 * writes and nothing the cut-off node was asked to write.
 */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class QuorumIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration STEP = Duration.ofSeconds(30);

    @Test
    void aNodeCutOffRefusesWritesAndTheHealedClusterHoldsTheMajoritysWrites(ProcessCluster cluster) {
        cluster.withNodeArgs("--expected", "3");
        cluster.start("q1", "q2", "q3");
        cluster.awaitView(START, "q1", "q2", "q3");
        NodeProcess q1 = cluster.node("q1");
        NodeProcess q3 = cluster.node("q3");
        assertEquals("PREVIOUS null", q1.ask("put orders o-1 before", "PREVIOUS", STEP));

        q3.ask("cut", "CUT", STEP);
        cluster.awaitView(START, "q1", "q2");
        // once q3 sees itself alone it refuses at once; until then its writes time out at the unreachable primary
        AtomicReference<String> refusal = new AtomicReference<>();
        int[] tries = {0};
        await("q3 refuses a write for want of a majority").atMost(START).until(() -> {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> q3.ask("put orders o-1 minority-" + tries[0]++, "PREVIOUS", STEP), "a write on q3 was acknowledged");
            refusal.set(e.getMessage());
            return e.getMessage().contains("writes need a majority");
        });
        assertTrue(refusal.get().contains("map 'orders'") && refusal.get().contains("3 expected members")
                && refusal.get().contains("sees 1: [q3]"), refusal.get());
        assertEquals("PREVIOUS before", q1.ask("put orders o-1 majority", "PREVIOUS", STEP));
        assertEquals("PREVIOUS null", cluster.node("q2").ask("put orders o-2 majority", "PREVIOUS", STEP));

        q3.ask("reconnect", "RECONNECTED", STEP);
        cluster.awaitView(START, "q1", "q2", "q3");
        for (String n : new String[] {"q1", "q2", "q3"}) {
            String node = n;
            await(node + " reads the majority's writes").atMost(START).pollInterval(Duration.ofMillis(500)).until(() ->
                    "VALUE majority".equals(cluster.node(node).ask("get orders o-1", "VALUE", STEP))
                            && "VALUE majority".equals(cluster.node(node).ask("get orders o-2", "VALUE", STEP)));
        }
    }
}
