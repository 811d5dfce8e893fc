package dev.cairn.grid;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.cairn.GridException;
import dev.cairn.membership.ClusterView;
import dev.cairn.membership.LoopbackCluster;
import dev.cairn.membership.Member;
import dev.cairn.membership.MembershipListener;
import dev.cairn.membership.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GridTest {

    static LoopbackCluster<Grid> grids(int n) {
        return grids(n, b -> b);
    }

    /** {@code n} grids over loopback, each configured by {@code tweak} as well. */
    static LoopbackCluster<Grid> grids(int n, java.util.function.UnaryOperator<GridConfig.Builder> tweak) {
        return LoopbackCluster.start(n, Duration.ofSeconds(2), s -> Grid.start(tweak.apply(GridConfig.builder(new Properties())
                .clusterName(s.clusterName()).nodeName(s.nodeName()).transport(Transport.LOOPBACK)
                .joinTimeout(s.joinTimeout()).failureTimeout(s.failureTimeout()).expectedMembers(n)).build()),
                Grid::membership);
    }

    @Test
    void gridsOverLoopbackSeeEachOtherAndTheirListenersHearCrashes() {
        try (var cluster = grids(3)) {
            Grid a = cluster.node(0);
            assertEquals(3, a.members().size());
            assertEquals("n0", a.localMember().name());
            assertTrue(a.hasQuorum());
            List<String> heard = new CopyOnWriteArrayList<>();
            a.addMembershipListener(new MembershipListener() {
                @Override
                public void memberCrashed(Member member, ClusterView view) {
                    heard.add(member.name());
                }
            });
            cluster.crash(2);
            cluster.awaitView(0, 1);
            await().atMost(cluster.patience()).until(() -> heard.contains("n2"));
            assertTrue(a.hasQuorum(), "2 of 3 is a majority");
        }
    }

    @Test
    void twoGridsFormAClusterOverRealTcpOnLoopback() {
        int p1 = freePort();
        int p2 = freePort();
        GridConfig.Builder base = GridConfig.builder(new Properties()).clusterName("tcp-" + p1)
                .seeds("127.0.0.1:" + p1, "127.0.0.1:" + p2).joinTimeout(Duration.ofMillis(500))
                .meterRegistry(new SimpleMeterRegistry());
        try (Grid a = Grid.start(base.nodeName("a").port(p1).build());
             Grid b = Grid.start(base.nodeName("b").port(p2).build())) {
            await().atMost(Duration.ofSeconds(20)).until(() -> a.members().size() == 2 && b.members().size() == 2);
            assertEquals(a.view().members(), b.view().members());
            assertEquals("127.0.0.1:" + p2, b.localMember().physicalAddress());
        }
    }

    @Test
    void aTakenPortFailsTheStartWithAClearError() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            GridException e = assertThrows(GridException.class, () -> Grid.start(GridConfig.builder(new Properties())
                    .nodeName("late").clusterName("taken-" + port).port(port).joinTimeout(Duration.ofMillis(200)).build()));
            assertTrue(e.getMessage().contains("port " + port) && e.getMessage().contains("in use"), e.getMessage());
        }
    }

    @Test
    void aUsersOwnStackFileIsUsed(@TempDir Path dir) throws IOException {
        Path stack = Files.writeString(dir.resolve("stack.xml"), """
                <config xmlns="urn:org:jgroups">
                  <SHARED_LOOPBACK/>
                  <SHARED_LOOPBACK_PING/>
                  <pbcast.NAKACK2/>
                  <UNICAST3/>
                  <pbcast.STABLE/>
                  <pbcast.GMS join_timeout="300"/>
                </config>
                """);
        GridConfig.Builder base = GridConfig.builder(new Properties()).clusterName("xml-" + System.nanoTime()).stackFile(stack);
        try (Grid a = Grid.start(base.nodeName("x1").build()); Grid b = Grid.start(base.nodeName("x2").build())) {
            await().atMost(Duration.ofSeconds(20)).until(() -> a.members().size() == 2);
            assertEquals(a.view().members(), b.view().members());
            assertEquals(Transport.XML, a.config().transport());
        }
    }

    @Test
    void anInvalidStackFileFailsTheStartNamingTheFile(@TempDir Path dir) throws IOException {
        Path stack = Files.writeString(dir.resolve("broken.xml"), "<config><NO_SUCH_PROTOCOL/></config>");
        GridException e = assertThrows(GridException.class,
                () -> Grid.start(GridConfig.builder(new Properties()).nodeName("b").stackFile(stack).build()));
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void closeIsIdempotent() {
        try (var cluster = grids(1)) {
            Grid g = cluster.node(0);
            g.close();
            g.close();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
