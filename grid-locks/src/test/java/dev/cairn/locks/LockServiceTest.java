package dev.cairn.locks;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.cairn.GridException;
import dev.cairn.NoQuorumException;
import dev.cairn.membership.LoopbackCluster;
import dev.cairn.membership.Membership;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LockServiceTest {
    private static final List<String> GROUP = List.of("n0", "n1", "n2");

    /** A membership with a lock service, replicating a counter. */
    record LockNode(Membership membership, LockService locks) implements AutoCloseable {
        @Override
        public void close() {
            locks.close();
            membership.close();
        }
    }

    private static LoopbackCluster<LockNode> cluster(int n, Path dir) {
        return LoopbackCluster.start(n, Duration.ofSeconds(2), s -> {
            Membership m = Membership.create(s, new SimpleMeterRegistry());
            LockSettings settings = new LockSettings(GROUP, dir, 0, Duration.ofSeconds(5), Duration.ofSeconds(5));
            LockService locks = LockService.create(m, settings, new RaftGroupTest.Counter());
            m.join();
            return new LockNode(m, locks);
        }, LockNode::membership);
    }

    private static long submit(LockNode node, long add) throws Exception {
        byte[] r = node.locks().submit(ByteBuffer.allocate(8).putLong(add).array()).get(30, TimeUnit.SECONDS);
        return ByteBuffer.wrap(r).getLong();
    }

    @Test
    void aNodeOutsideTheGroupCommitsThroughItAndLosesQuorumWithTheMajority(@TempDir Path dir) throws Exception {
        try (var cluster = cluster(4, dir)) {
            LockNode client = cluster.node(3);
            assertFalse(client.locks().isGroupMember());
            await().atMost(Duration.ofSeconds(30)).until(() -> GROUP.stream()
                    .anyMatch(n -> cluster.node(Integer.parseInt(n.substring(1))).locks().isLeader()));
            assertEquals(5L, submit(client, 5));
            assertEquals(7L, submit(cluster.node(0), 2), "a group member submits too");

            cluster.stop(0);
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> submit(client, 1) == 8L);

            cluster.stop(1);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> client.locks().submit(ByteBuffer.allocate(8).putLong(1).array()).get(60, TimeUnit.SECONDS));
            assertInstanceOf(NoQuorumException.class, e.getCause(), e.getCause().toString());
        }
    }

    @Test
    void withoutALockGroupCommandsAreRefusedWithHowToConfigureIt(@TempDir Path dir) {
        try (var cluster = LoopbackCluster.<LockNode>start(1, Duration.ofSeconds(2), s -> {
            Membership m = Membership.create(s, new SimpleMeterRegistry());
            LockService locks = LockService.create(m, new LockSettings(List.of(), dir, 0, Duration.ofSeconds(5),
                    Duration.ofSeconds(5)), new RaftGroupTest.Counter());
            m.join();
            return new LockNode(m, locks);
        }, LockNode::membership)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> cluster.node(0).locks().submit(new byte[8]).get(10, TimeUnit.SECONDS));
            assertInstanceOf(GridException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("lockGroup"), e.getCause().getMessage());
        }
    }
}
