package dev.cairn.grid;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cairn.GridException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** What an application embedding a node sees of it: its sockets, its threads, its log (issue 23). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddingTest {

    /** A node on real TCP on 127.0.0.1 that is also a lock-group member, so its lock channel listens too. */
    private static GridConfig.Builder node(String name, int port, Path dir) {
        return GridConfig.builder(new Properties()).clusterName("embed-" + port).nodeName(name)
                .bindAddress("127.0.0.1").port(port).seeds("127.0.0.1:" + port).joinTimeout(Duration.ofMillis(300))
                .lockGroup(name, "other-1", "other-2").lockDataDir(dir).meterRegistry(new SimpleMeterRegistry());
    }

    @Test
    void everySocketANodeListensOnIsOnItsBindAddressOnly(@TempDir Path dir) {
        assumeTrue(ListeningSockets.available(), "needs Linux's /proc");
        long pid = ProcessHandle.current().pid();
        Set<ListeningSockets.Socket> before = ListeningSockets.of(pid);
        int port = freePort();
        try (Grid grid = Grid.start(node("a", port, dir).build())) {
            grid.map("m").put("k", "v"); // the stores are open as well
            Set<ListeningSockets.Socket> opened = new HashSet<>(ListeningSockets.of(pid));
            opened.removeAll(before);
            // the transport, FD_SOCK2 (port + 100), the lock group's transport (port + 1000) and its FD_SOCK2
            Set<Integer> ports = opened.stream().map(s -> s.address().getPort()).collect(Collectors.toSet());
            assertTrue(ports.containsAll(Set.of(port, port + 100, port + 1000, port + 1100)), opened.toString());
            for (ListeningSockets.Socket s : opened) {
                assertFalse(s.address().getAddress().isAnyLocalAddress(), s + " listens on every interface: " + opened);
                assertEquals(InetAddress.getLoopbackAddress(), s.address().getAddress(), s + " of " + opened);
            }
        }
    }

    @Test
    void aClosedNodeLeavesNoThreadOfItsOwnRunning(@TempDir Path dir) {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (Grid grid = Grid.start(node("closing", freePort(), dir).build())) {
            grid.map("m").put("k", "v");
            assertEquals("v", grid.map("m").get("k"));
        }
        awaitNoThreadsBeyond(before);
    }

    @Test
    void aStartThatFailsLeavesNothingRunning(@TempDir Path dir) throws IOException {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        int port = freePort();
        // the lock group's port is taken: the grid channel is built and the stores' service is up when it fails
        try (ServerSocket taken = new ServerSocket(port + 1000, 1, InetAddress.getLoopbackAddress())) {
            assertTrue(taken.isBound());
            GridException e = assertThrows(GridException.class, () -> Grid.start(node("unlucky", port, dir).build()));
            assertTrue(e.getMessage().contains("unlucky"), e.getMessage());
        }
        awaitNoThreadsBeyond(before);
        // and the node's own ports are free again
        try (Grid again = Grid.start(node("unlucky", port, dir).build())) {
            assertEquals(1, again.members().size());
        }
    }

    @Test
    void aStartLogsOneInfoLineSayingWhatItJoinedAsWhatWhereAndHowFast(@TempDir Path dir) {
        Logger cairn = (Logger) LoggerFactory.getLogger("dev.cairn");
        Level was = cairn.getLevel();
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        cairn.addAppender(lines);
        cairn.setLevel(Level.INFO);
        int port = freePort();
        try (Grid grid = Grid.start(node("talker", port, dir).clusterName("orders-" + port).build())) {
            List<String> info = lines.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                    .map(ILoggingEvent::getFormattedMessage).toList();
            assertEquals(1, info.size(), info.toString());
            String line = info.get(0);
            for (String part : List.of("'talker'", "cluster 'orders-" + port + "'", "(1 member)", "127.0.0.1:" + port, " ms")) {
                assertTrue(line.contains(part), "'" + part + "' missing from: " + line);
            }
            assertTrue(grid.nanosToFirstView() > 0);
        } finally {
            cairn.detachAppender(lines);
            cairn.setLevel(was);
        }
    }

    /** Waits until every thread started since {@code before} has ended (JVM-wide helpers shared by all nodes aside). */
    static void awaitNoThreadsBeyond(Set<Thread> before) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<String> left = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.isAlive() && !before.contains(t) && !shared(t))
                    .map(t -> t.getName() + (t.isDaemon() ? " (daemon)" : "")).sorted().toList();
            assertEquals(List.of(), left, "threads left running");
        });
    }

    /**
     * The waiting thread itself, and daemons that live for the JVM rather than a node: Cairn's request timer,
     * Chronicle's resource releaser, the common pool.
     */
    private static boolean shared(Thread t) {
        return t == Thread.currentThread() || t.getName().startsWith("awaitility")
                || t.isDaemon() && SHARED.stream().anyMatch(t.getName()::startsWith);
    }

    private static final List<String> SHARED = List.of("cairn-request-timer", "background~resource~releaser",
            "ForkJoinPool.commonPool");

    private static int freePort() {
        for (int i = 0; i < 50; i++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (port + 1100 < 65536 && free(port + 100) && free(port + 1000) && free(port + 1100)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port with free port + 100, + 1000 and + 1100");
    }

    private static boolean free(int port) {
        try {
            new ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
