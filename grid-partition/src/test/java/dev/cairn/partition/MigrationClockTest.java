package dev.cairn.partition;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.MapOptions;
import dev.cairn.membership.LoopbackCluster;

/** The engine's time-dependent decisions read the injected clock (issue 12): a test moves it instead of waiting. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MigrationClockTest {

    private static long held(LoopbackCluster<Node> cluster, String map) {
        long n = 0;
        for (int i : cluster.running()) {
            n += cluster.node(i).service().localEntries(map, false);
        }
        return n;
    }

    @Test
    void aCopyNoLongerOwnedIsKeptThroughTheGraceByTheClockAndDroppedOncePast() {
        ManualClock clock = new ManualClock();
        PartitionSettings settings = PartitionSettings.of(271, 1, Node.TIMEOUT, name -> MapOptions.defaults(1), List.of())
                .withClock(clock).withDropGrace(Duration.ofMinutes(10));
        try (var cluster = LoopbackCluster.<Node>start(4, Duration.ofSeconds(2), st -> Node.start(st, settings),
                Node::membership)) {
            cluster.stop(3);
            cluster.awaitView(0, 1, 2);
            ByteMap m = cluster.node(0).service().map("grace");
            for (int i = 0; i < 500; i++) {
                m.set(("key-" + i).getBytes(StandardCharsets.UTF_8), new byte[16]).join();
            }
            cluster.restart(3);
            cluster.awaitConverged();
            await().atMost(cluster.patience()).until(() -> cluster.running().stream()
                    .allMatch(i -> cluster.node(i).service().settled(1)));
            // n3 holds its share now; the old owners keep theirs through the grace, which is 10 minutes by the clock
            long withOldCopies = held(cluster, "grace");
            assertTrue(withOldCopies > 1000, "old copies kept through the grace: " + withOldCopies + " held");

            clock.advance(Duration.ofMinutes(11));
            await().atMost(Duration.ofSeconds(10)).until(() -> held(cluster, "grace") == 1000);
            assertEquals(1000, held(cluster, "grace"), "two copies of each of 500 keys, the old ones dropped");
        }
    }
}
