package dev.cairn.membership;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.GridClosedException;
import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.MemberUnreachableException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MembershipTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** Records what a listener was told, and on which threads. */
    static final class Recorder implements MembershipListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        private void record(String event) {
            events.add(event);
            threads.add(Thread.currentThread().getName());
        }

        @Override
        public void memberJoined(Member m, ClusterView v) {
            record("joined " + m.name());
        }

        @Override
        public void memberLeft(Member m, ClusterView v) {
            record("left " + m.name());
        }

        @Override
        public void memberCrashed(Member m, ClusterView v) {
            record("crashed " + m.name());
        }

        @Override
        public void merged(ClusterView v, List<ClusterView> subgroups) {
            record("merged " + subgroups.size());
        }
    }

    @Test
    void threeNodesAgreeOnOneViewAndOneCoordinator() {
        try (var cluster = LoopbackCluster.memberships(3)) {
            ClusterView view = cluster.membership(0).view();
            assertEquals(List.of("n0", "n1", "n2"), view.names().stream().sorted().toList());
            for (int i = 1; i < 3; i++) {
                assertEquals(view.members(), cluster.membership(i).view().members());
                assertEquals(view.coordinator(), cluster.membership(i).view().coordinator());
            }
            assertEquals("n1", cluster.membership(1).localMember().name());
            assertTrue(cluster.membership(0).nanosToFirstView() > 0);
        }
    }

    @Test
    void membersAreKnownByNameEvenWhenJGroupsNameCacheLosesThem() throws InterruptedException {
        try (var cluster = LoopbackCluster.memberships(2)) {
            cluster.stop(1);
            cluster.awaitView(0);
            // JGroups fills its (JVM-wide) name cache from discovery and merges and may miss a member that came back
            // (a resumed node was once seen by a peer only as a UUID): here the cache keeps losing every name while
            // n1 rejoins, and both nodes must still name each other, as names travel in the addresses
            java.util.concurrent.atomic.AtomicBoolean forgetting = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread forget = new Thread(() -> {
                while (forgetting.get()) {
                    org.jgroups.util.NameCache.removeAll(List.copyOf(org.jgroups.util.NameCache.getContents().keySet()));
                    Thread.onSpinWait();
                }
            });
            forget.start();
            try {
                cluster.restart(1);
                cluster.awaitView(0, 1);
            } finally {
                forgetting.set(false);
                forget.join();
            }
            for (int i = 0; i < 2; i++) {
                assertEquals(List.of("n0", "n1"), cluster.membership(i).view().names().stream().sorted().toList(),
                        "as n" + i + " sees it");
            }
            // and with nothing at all in the cache, each address still names its node
            org.jgroups.util.NameCache.removeAll(List.copyOf(org.jgroups.util.NameCache.getContents().keySet()));
            for (Member m : cluster.membership(0).view().members()) {
                assertEquals(m.name(), Membership.nameOf(m.address()));
            }
        }
    }

    @Test
    void gracefulLeaveIsReportedAsLeftAtOnce() {
        try (var cluster = LoopbackCluster.memberships(3)) {
            Recorder recorder = new Recorder();
            cluster.membership(0).addListener(recorder);
            long start = System.nanoTime();
            cluster.stop(2);
            cluster.awaitView(0, 1);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            await().atMost(cluster.patience()).until(() -> recorder.events.contains("left n2"));
            assertFalse(recorder.events.contains("crashed n2"), recorder.events.toString());
            // far below the 2 s failure timeout: a leave is not detected, it is announced
            assertTrue(millis < 1500, "graceful leave took " + millis + " ms");
        }
    }

    @Test
    void crashIsReportedAsCrashedAfterTheFailureTimeout() {
        try (var cluster = LoopbackCluster.memberships(3)) {
            Recorder recorder = new Recorder();
            cluster.membership(1).addListener(recorder);
            cluster.crash(2);
            cluster.awaitView(0, 1);
            await().atMost(cluster.patience()).until(() -> recorder.events.contains("crashed n2"));
            assertFalse(recorder.events.contains("left n2"), recorder.events.toString());
        }
    }

    @Test
    void restartedNodeRejoinsAsANewIncarnation() {
        try (var cluster = LoopbackCluster.memberships(3)) {
            Member before = cluster.membership(1).localMember();
            Recorder recorder = new Recorder();
            cluster.membership(0).addListener(recorder);
            cluster.crash(1);
            cluster.awaitView(0, 2);
            cluster.restart(1);
            cluster.awaitConverged();
            Member after = cluster.membership(1).localMember();
            assertEquals(before.name(), after.name());
            assertNotEquals(before, after);
            await().atMost(cluster.patience()).until(() -> recorder.events.contains("joined n1"));
            assertTrue(recorder.events.indexOf("crashed n1") < recorder.events.indexOf("joined n1"), recorder.events.toString());
        }
    }

    @Test
    void cutOffNodeLosesQuorumWhileTheMajorityKeepsItThenTheSplitHeals() {
        try (var cluster = LoopbackCluster.memberships(3)) {
            Recorder recorder = new Recorder();
            cluster.membership(0).addListener(recorder);
            assertTrue(cluster.membership(2).hasQuorum());

            cluster.isolate(2);
            cluster.awaitView(0, 1);
            cluster.awaitView(2);
            assertTrue(cluster.membership(0).hasQuorum());
            assertTrue(cluster.membership(1).hasQuorum());
            assertFalse(cluster.membership(2).hasQuorum());
            await().atMost(cluster.patience()).until(() -> recorder.events.contains("crashed n2"));

            cluster.heal(2);
            cluster.awaitConverged();
            for (int i = 0; i < 3; i++) {
                assertTrue(cluster.membership(i).hasQuorum(), "n" + i + " after heal");
            }
            await().atMost(cluster.patience()).until(() -> recorder.events.contains("merged 2"));
            assertTrue(recorder.events.contains("joined n2"), recorder.events.toString());
        }
    }

    @Test
    void listenersRunOnTheEventThreadNeverOnJGroupsThreads() {
        try (var cluster = LoopbackCluster.memberships(3)) {
            Recorder recorder = new Recorder();
            cluster.membership(0).addListener(recorder);
            cluster.stop(2);
            await().atMost(cluster.patience()).until(() -> !recorder.threads.isEmpty());
            assertTrue(recorder.threads.stream().allMatch(t -> t.startsWith("cairn-events-n0")), recorder.threads.toString());
        }
    }

    @Test
    void requestRoundTripsOnTheWorkerPoolAndInline() throws Exception {
        try (var cluster = LoopbackCluster.memberships(3)) {
            List<String> threads = new CopyOnWriteArrayList<>();
            cluster.membership(2).handle((short) 1, (from, payload) -> {
                threads.add(Thread.currentThread().getName());
                return CompletableFuture.completedFuture((from.name() + ":" + new String(payload, StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8));
            });
            cluster.membership(2).handleInline((short) 2, (from, payload) -> CompletableFuture.completedFuture(payload));
            Member target = cluster.membership(2).localMember();

            byte[] reply = cluster.membership(0).request(target, (short) 1, "hello".getBytes(StandardCharsets.UTF_8), TIMEOUT)
                    .get(10, TimeUnit.SECONDS);
            assertEquals("n0:hello", new String(reply, StandardCharsets.UTF_8));
            assertTrue(threads.get(0).startsWith("cairn-worker-n2"), threads.toString());

            byte[] kilobyte = new byte[1024];
            for (int i = 0; i < kilobyte.length; i++) {
                kilobyte[i] = (byte) i;
            }
            assertArrayEquals(kilobyte, cluster.membership(1).call(target, (short) 2, kilobyte, TIMEOUT));
            assertArrayEquals(new byte[0], cluster.membership(1).call(target, (short) 2, new byte[0], TIMEOUT));
        }
    }

    @Test
    void requestWithoutReplyTimesOut() {
        try (var cluster = LoopbackCluster.memberships(2)) {
            cluster.membership(1).handle((short) 1, (from, payload) -> new CompletableFuture<>());
            Member target = cluster.membership(1).localMember();
            long start = System.nanoTime();
            GridTimeoutException e = assertThrows(GridTimeoutException.class,
                    () -> cluster.membership(0).call(target, (short) 1, new byte[1], Duration.ofMillis(300)));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(e.getMessage().contains("n1") && e.getMessage().contains("300 ms"), e.getMessage());
            assertTrue(millis >= 250 && millis < 5000, "timed out after " + millis + " ms");
        }
    }

    @Test
    void handlerFailureReachesTheCallerWithTheRemoteMessage() {
        try (var cluster = LoopbackCluster.memberships(2)) {
            cluster.membership(1).handle((short) 1, (from, payload) -> {
                throw new IllegalStateException("disk on fire");
            });
            cluster.membership(1).handle((short) 2,
                    (from, payload) -> CompletableFuture.failedFuture(new IllegalArgumentException("bad key")));
            Member target = cluster.membership(1).localMember();
            GridException thrown = assertThrows(GridException.class,
                    () -> cluster.membership(0).call(target, (short) 1, new byte[0], TIMEOUT));
            assertTrue(thrown.getMessage().contains("'n1'") && thrown.getMessage().contains("disk on fire"), thrown.getMessage());
            GridException failed = assertThrows(GridException.class,
                    () -> cluster.membership(0).call(target, (short) 2, new byte[0], TIMEOUT));
            assertTrue(failed.getMessage().contains("bad key"), failed.getMessage());
            GridException none = assertThrows(GridException.class,
                    () -> cluster.membership(0).call(target, (short) 9, new byte[0], TIMEOUT));
            assertTrue(none.getMessage().contains("no handler for request type 9"), none.getMessage());
        }
    }

    @Test
    void requestToAMemberThatLeftFailsAsUnreachable() {
        try (var cluster = LoopbackCluster.memberships(3)) {
            Member gone = cluster.membership(2).localMember();
            cluster.stop(2);
            cluster.awaitView(0, 1);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> cluster.membership(0).request(gone, (short) 1, new byte[0], TIMEOUT).get(10, TimeUnit.SECONDS));
            assertInstanceOf(MemberUnreachableException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("n2"), e.getCause().getMessage());
        }
    }

    @Test
    void pendingRequestFailsWhenTheTargetCrashes() throws Exception {
        try (var cluster = LoopbackCluster.memberships(3)) {
            cluster.membership(2).handle((short) 1, (from, payload) -> new CompletableFuture<>());
            Member target = cluster.membership(2).localMember();
            CompletableFuture<byte[]> pending = cluster.membership(0).request(target, (short) 1, new byte[0], Duration.ofSeconds(60));
            cluster.crash(2);
            ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(30, TimeUnit.SECONDS));
            assertInstanceOf(MemberUnreachableException.class, e.getCause());
        }
    }

    @Test
    void closedNodeRefusesRequests() {
        try (var cluster = LoopbackCluster.memberships(2)) {
            Membership m = cluster.membership(0);
            Member other = cluster.membership(1).localMember();
            cluster.stop(0);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> m.request(other, (short) 1, new byte[0], TIMEOUT).get(5, TimeUnit.SECONDS));
            assertInstanceOf(GridClosedException.class, e.getCause());
            m.close(); // idempotent
        }
    }

    @Test
    void negativeAndDuplicateHandlerTypesAreRefused() {
        try (var cluster = LoopbackCluster.memberships(1)) {
            Membership m = cluster.membership(0);
            assertThrows(IllegalArgumentException.class, () -> m.handle((short) -1, (f, p) -> null));
            m.handle((short) 3, (f, p) -> CompletableFuture.completedFuture(p));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.handleInline((short) 3, (f, p) -> null));
            assertTrue(e.getMessage().contains("3"));
        }
    }

    @Test
    void beforeJoinTheViewIsEmptyAndHandlersCanBeRegistered() {
        ChannelSettings s = ChannelSettings.loopback("pre-join-" + System.nanoTime(), "solo", Duration.ofSeconds(2), 1);
        try (Membership m = Membership.create(s, new SimpleMeterRegistry())) {
            assertTrue(m.members().isEmpty());
            assertEquals(0, m.view().id());
            m.handle((short) 1, (f, p) -> CompletableFuture.completedFuture(p));
            m.join();
            assertEquals(List.of("solo"), m.view().names());
            assertTrue(m.hasQuorum());
        }
    }

    @Test
    void metricsCountMembersViewsAndTraffic() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (var cluster = LoopbackCluster.<Membership>start(2, Duration.ofSeconds(2),
                s -> Membership.start(s, s.nodeName().equals("n0") ? registry : new SimpleMeterRegistry()), m -> m)) {
            cluster.membership(1).handle((short) 1, (f, p) -> CompletableFuture.completedFuture(p));
            Member target = cluster.membership(1).localMember();
            for (int i = 0; i < 10; i++) {
                cluster.membership(0).call(target, (short) 1, new byte[100], TIMEOUT);
            }
            assertEquals(2.0, registry.get("cairn.cluster.members").gauge().value());
            assertTrue(registry.get("cairn.cluster.view.changes").counter().count() >= 1);
            // the transport counts a message after it has passed it up, so the last reply may be counted a moment
            // after call() returned: wait for the counts rather than read them once (counted: payload bytes)
            await("transport counters").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertTrue(registry.get("cairn.transport.messages.sent").functionCounter().count() >= 10);
                assertTrue(registry.get("cairn.transport.messages.received").functionCounter().count() >= 10);
                assertTrue(registry.get("cairn.transport.bytes.sent").functionCounter().count() >= 1000);
                assertTrue(registry.get("cairn.transport.bytes.received").functionCounter().count() >= 1000);
            });
        }
        assertTrue(registry.find("cairn.cluster.members").meters().isEmpty(), "meters are removed on close");
    }
}
