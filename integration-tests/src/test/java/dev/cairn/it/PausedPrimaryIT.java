package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Issue 13's defect 3 across JVMs: a primary paused with SIGSTOP past the failure timeout, while the others take over
 * its partitions and overwrite every key, must not answer from its old copy once resumed. The reads on it start the
 * moment it runs again (the command is on its input before SIGCONT), and go on until it reads the new values: any
 * answer with an old value fails the test (decision 62, the lease).
 */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PausedPrimaryIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final int KEYS = 300;

    @Test
    void aResumedPrimaryNeverAnswersFromItsOldCopy(ProcessCluster cluster) {
        cluster.withNodeArgs("--failure-timeout", "3s");
        cluster.start("p1", "p2", "p3");
        cluster.awaitView(START, "p1", "p2", "p3");
        MapIT.awaitSettled(cluster, START, "p1", "p2", "p3");
        NodeProcess p1 = cluster.node("p1");
        NodeProcess p2 = cluster.node("p2");
        p2.ask("fill paused 0 " + KEYS + " 8", "FILLED", STEP);
        assertEquals(Map.of("ok", (long) KEYS, "missing", 0L, "wrong", 0L),
                MapIT.numbers(p1.ask("check paused 0 " + KEYS + " 8", "CHECKED", STEP)),
                "p1 reads the first values before the pause");

        p1.pause();
        cluster.awaitView(START, "p2", "p3");
        // every key written again, with values of another length, by the partitions' new primaries
        p2.ask("fill paused 0 " + KEYS + " 16", "FILLED", STEP);
        assertEquals(Map.of("ok", (long) KEYS, "missing", 0L, "wrong", 0L),
                MapIT.numbers(p2.ask("check paused 0 " + KEYS + " 16", "CHECKED", STEP)));

        List<Map<String, Long>> reads = new ArrayList<>();
        int from = p1.mark();
        p1.send("check paused 0 " + KEYS + " 16"); // waiting on its input when it resumes
        p1.resume();
        await("p1, resumed, reads every key's new value").atMost(START).pollInterval(Duration.ofMillis(200)).until(() -> {
            String line;
            try {
                line = reads.isEmpty()
                        ? p1.awaitLine(from, t -> t.startsWith("CHECKED ") || t.startsWith("ERROR"), STEP).text()
                        : p1.ask("check paused 0 " + KEYS + " 16", "CHECKED", STEP);
            } catch (IllegalStateException e) {
                line = "ERROR";
            }
            if (!line.startsWith("CHECKED ")) {
                reads.add(Map.of()); // an error (timed out while its partitions settle): nothing was read
                return false;
            }
            Map<String, Long> c = MapIT.numbers(line);
            reads.add(c);
            if (c.get("wrong") != 0) {
                fail("p1 answered " + c.get("wrong") + " reads from its old copy after SIGCONT; reads so far " + reads);
            }
            return c.get("ok") == KEYS;
        });
        System.out.println("PausedPrimaryIT reads on p1 after SIGCONT: " + reads);
    }
}
