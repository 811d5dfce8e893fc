package dev.cairn.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/** Three node JVMs on 127.0.0.1, killed with SIGKILL, paused with SIGSTOP, restarted. */
@ExtendWith(ClusterExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MembershipIT {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    private static final Duration START = Duration.ofSeconds(60);

    @Test
    void threeJvmsAgreeOnAViewLoseAKilledOneAndTakeItBackAfterARestart(ProcessCluster cluster) {
        cluster.start("n1", "n2", "n3");
        for (NodeProcess p : cluster.nodes()) {
            p.awaitReady(START); // the JVM start itself is not Cairn's to count
        }
        Duration joined = cluster.awaitView(TEN_SECONDS, "n1", "n2", "n3");
        assertTrue(joined.compareTo(TEN_SECONDS) <= 0, "joined after " + joined);

        NodeProcess n2 = cluster.node("n2");
        n2.kill();
        assertFalse(n2.isAlive());
        Duration detected = cluster.awaitView(TEN_SECONDS, "n1", "n3");
        assertTrue(detected.compareTo(TEN_SECONDS) <= 0, "crash seen after " + detected);
        int mark = cluster.node("n1").mark();

        cluster.startNode("n2").awaitReady(START);
        cluster.awaitView(TEN_SECONDS, "n1", "n2", "n3");
        cluster.node("n1").awaitLine(mark, t -> t.equals("JOINED n2"), TEN_SECONDS);
        assertEquals(cluster.node("n1").lastView(), cluster.node("n2").lastView());
        assertEquals(cluster.node("n1").lastView(), cluster.node("n3").lastView());
    }

    @Test
    void aKilledNodeIsReportedCrashedAndAQuitOneLeft(ProcessCluster cluster) {
        cluster.start("a", "b", "c");
        cluster.awaitView(START, "a", "b", "c");
        int mark = cluster.node("a").mark();
        cluster.node("c").kill();
        cluster.node("a").awaitLine(mark, t -> t.equals("CRASHED c"), TEN_SECONDS);
        cluster.awaitView(TEN_SECONDS, "a", "b");

        mark = cluster.node("a").mark();
        cluster.node("b").quit(TEN_SECONDS);
        cluster.node("a").awaitLine(mark, t -> t.equals("LEFT b"), TEN_SECONDS);
        assertEquals(0, cluster.node("b").awaitExit(TEN_SECONDS), "a graceful quit exits 0");
        cluster.awaitView(TEN_SECONDS, "a");
        assertFalse(cluster.node("a").tail(100).contains("CRASHED b"), "a quit is not a crash");
    }

    @Test
    void aPausedNodeIsDroppedAndMergesBackWhenItResumes(ProcessCluster cluster) {
        cluster.start("p1", "p2", "p3");
        cluster.awaitView(START, "p1", "p2", "p3");
        int mark = cluster.node("p1").mark();
        cluster.node("p3").pause();
        // its sockets stay open, so only heartbeats can tell: within the 8 s failure timeout, plus slack
        cluster.awaitView(TEN_SECONDS.plusSeconds(5), "p1", "p2");
        cluster.node("p1").awaitLine(mark, t -> t.equals("CRASHED p3"), TEN_SECONDS);

        mark = cluster.node("p1").mark();
        cluster.node("p3").resume();
        cluster.awaitView(Duration.ofSeconds(60), "p1", "p2", "p3");
        cluster.node("p1").awaitLine(mark, t -> t.equals("JOINED p3"), TEN_SECONDS);
    }

    @Test
    void theConsoleAnswersMembersWithQuorum(ProcessCluster cluster) {
        cluster.start("q1", "q2");
        cluster.awaitView(START, "q1", "q2");
        NodeProcess q1 = cluster.node("q1");
        int mark = q1.mark();
        q1.send("members");
        String members = q1.awaitLine(mark, t -> t.startsWith("MEMBERS "), TEN_SECONDS).text();
        assertEquals(List.of("q1", "q2"), List.of(members.substring("MEMBERS ".length()).split(",")).stream().sorted().toList());
        q1.awaitLine(mark, t -> t.trim().equals("quorum: yes"), TEN_SECONDS);
        q1.send("ping q2 50 1024");
        String ping = q1.awaitLine(mark, t -> t.startsWith("PING ") || t.startsWith("ERROR"), TEN_SECONDS).text();
        assertTrue(ping.startsWith("PING to=q2 count=50 bytes=1024"), ping);
        q1.send("ping nobody");
        String error = q1.awaitLine(mark, t -> t.startsWith("ERROR"), TEN_SECONDS).text();
        assertTrue(error.contains("no member named 'nobody'"), error);
    }

    @Test
    void badConfigurationStopsTheNodeWithAMessageNamingTheSetting() {
        String portError = misconfigured("badport", 70000, List.of());
        assertTrue(portError.contains("port (cairn.port)") && portError.contains("'70000'"), portError);
        String transportError = misconfigured("badtransport", ProcessCluster.freePort(), List.of("-Dcairn.transport=pigeon"));
        assertTrue(transportError.contains("transport (cairn.transport)") && transportError.contains("'pigeon'"), transportError);
        String stackError = misconfigured("badstack", ProcessCluster.freePort(),
                List.of("-Dcairn.transport=xml", "-Dcairn.stack.file=/no/such/stack.xml"));
        assertTrue(stackError.contains("stackFile (cairn.stack.file)") && stackError.contains("/no/such/stack.xml"), stackError);
    }

    /** Starts one node that must refuse its configuration: exit code 2 and an ERROR line, which is returned. */
    private static String misconfigured(String name, int port, List<String> jvmFlags) {
        Path logs = Path.of(System.getProperty("cairn.it.logs", "target/node-logs"), "misconfigured");
        try (NodeProcess p = NodeProcess.start(Path.of(System.getProperty("cairn.examples.jar")), jvmFlags, name, port,
                List.of(), logs.resolve(name + ".log"))) {
            assertEquals(2, p.awaitExit(START), "exit code of " + name);
            return p.awaitLine(0, t -> t.startsWith("ERROR"), TEN_SECONDS).text();
        }
    }
}
