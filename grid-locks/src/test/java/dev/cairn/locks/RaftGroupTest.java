package dev.cairn.locks;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.cairn.NoQuorumException;
import dev.cairn.membership.ChannelSettings;
import dev.cairn.membership.LoopbackCluster;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftGroupTest {
    private static final List<String> MEMBERS = List.of("r0", "r1", "r2");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** A counter: each command adds its long and answers the new total; applied commands are recorded in order. */
    static final class Counter implements RaftGroup.Machine {
        long total;
        final List<Long> applied = new ArrayList<>();

        @Override
        public synchronized byte[] apply(byte[] command) {
            long add = ByteBuffer.wrap(command).getLong();
            applied.add(add);
            total += add;
            return ByteBuffer.allocate(8).putLong(total).array();
        }

        @Override
        public synchronized byte[] snapshot() {
            return ByteBuffer.allocate(8).putLong(total).array();
        }

        @Override
        public synchronized void restore(byte[] snapshot) {
            total = ByteBuffer.wrap(snapshot).getLong();
        }

        synchronized long total() {
            return total;
        }
    }

    private static byte[] add(long n) {
        return ByteBuffer.allocate(8).putLong(n).array();
    }

    private static long result(byte[] r) {
        return ByteBuffer.wrap(r).getLong();
    }

    private final String cluster = "raft-test-" + System.nanoTime();

    private RaftGroup start(String id, Path dir, Counter machine) {
        ChannelSettings s = ChannelSettings.loopback(cluster, id, Duration.ofSeconds(2), 3);
        return RaftGroup.start(s, MEMBERS, dir.resolve(id), 64 * 1024, machine);
    }

    private static RaftGroup awaitLeader(List<RaftGroup> groups) {
        await("a leader").atMost(Duration.ofSeconds(30)).until(() -> groups.stream().anyMatch(RaftGroup::isLeader));
        return groups.stream().filter(RaftGroup::isLeader).findFirst().orElseThrow();
    }

    @Test
    void commandsAreAppliedOnEveryMemberInTheSameOrderAndSurviveALeaderStop(@TempDir Path dir) throws Exception {
        List<Counter> machines = List.of(new Counter(), new Counter(), new Counter());
        List<RaftGroup> groups = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                groups.add(start(MEMBERS.get(i), dir, machines.get(i)));
            }
            awaitLeader(groups);
            RaftGroup follower = groups.stream().filter(g -> !g.isLeader()).findFirst().orElseThrow();
            for (int i = 1; i <= 100; i++) {
                assertEquals(i * (i + 1L) / 2, result(follower.submit(add(i), TIMEOUT).get(20, TimeUnit.SECONDS)),
                        "submitted through a follower, redirected to the leader");
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> machines.stream().allMatch(m -> m.total() == 5050));
            assertEquals(machines.get(0).applied, machines.get(1).applied);
            assertEquals(machines.get(0).applied, machines.get(2).applied);

            RaftGroup leader = awaitLeader(groups);
            leader.close();
            groups.remove(leader);
            RaftGroup next = awaitLeader(groups);
            assertEquals(5150L, result(next.submit(add(100), TIMEOUT).get(20, TimeUnit.SECONDS)));
        } finally {
            groups.forEach(RaftGroup::close);
        }
    }

    @Test
    void aLoneMemberCannotCommit(@TempDir Path dir) {
        try (RaftGroup alone = start("r0", dir, new Counter())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> alone.submit(add(1), Duration.ofSeconds(2)).get(20, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof NoQuorumException || e.getCause() instanceof dev.cairn.GridTimeoutException,
                    e.getCause().toString());
        }
    }

    @Test
    void aFullRestartKeepsTheStateFromTheFsyncedLogAndSnapshots(@TempDir Path dir) throws Exception {
        List<RaftGroup> groups = new ArrayList<>();
        try {
            for (String id : MEMBERS) {
                groups.add(start(id, dir, new Counter()));
            }
            RaftGroup leader = awaitLeader(groups);
            for (int i = 0; i < 50; i++) {
                leader.submit(add(2), TIMEOUT).get(20, TimeUnit.SECONDS);
            }
            groups.forEach(RaftGroup::snapshot);
            for (int i = 0; i < 10; i++) {
                leader.submit(add(1), TIMEOUT).get(20, TimeUnit.SECONDS);
            }
        } finally {
            groups.forEach(RaftGroup::close);
            groups.clear();
        }
        List<Counter> machines = List.of(new Counter(), new Counter(), new Counter());
        try {
            for (int i = 0; i < 3; i++) {
                groups.add(start(MEMBERS.get(i), dir, machines.get(i)));
            }
            RaftGroup leader = awaitLeader(groups);
            assertEquals(111L, result(leader.submit(add(1), TIMEOUT).get(20, TimeUnit.SECONDS)),
                    "100 from the snapshot, 10 from the log after it, 1 now");
            await().atMost(Duration.ofSeconds(20)).until(() -> machines.stream().allMatch(m -> m.total() == 111));
        } finally {
            groups.forEach(RaftGroup::close);
        }
    }

    @Test
    void aLeaderCutOffFromTheMajorityNeverAppliesWhileTheMajorityGoesOn(@TempDir Path dir) throws Exception {
        List<Counter> machines = List.of(new Counter(), new Counter(), new Counter());
        List<RaftGroup> groups = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                groups.add(start(MEMBERS.get(i), dir, machines.get(i)));
            }
            RaftGroup leader = awaitLeader(groups);
            leader.submit(add(1), TIMEOUT).get(20, TimeUnit.SECONDS);
            Counter leaderMachine = machines.get(groups.indexOf(leader));
            await().atMost(Duration.ofSeconds(10)).until(() -> leaderMachine.total() == 1);

            LoopbackCluster.cutOff(leader.channel());
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> leader.submit(add(1000), Duration.ofSeconds(3)).get(20, TimeUnit.SECONDS));
            assertTrue(refused.getCause() instanceof NoQuorumException || refused.getCause() instanceof dev.cairn.GridTimeoutException,
                    refused.getCause().toString());
            List<RaftGroup> majority = new ArrayList<>(groups);
            majority.remove(leader);
            RaftGroup next = awaitLeaderAmong(majority);
            assertEquals(3L, result(next.submit(add(2), TIMEOUT).get(20, TimeUnit.SECONDS)),
                    "the majority commits; the cut-off leader's command is not in its log");
            assertEquals(1L, leaderMachine.total(), "the minority side applied nothing");

            // the split heals: the group commits again and the old leader catches up, its own appends discarded
            for (int i = 0; i < 20; i++) {
                leader.submit(add(1000), Duration.ofMillis(200)); // appended while cut off, never committed
            }
            LoopbackCluster.reconnect(leader.channel());
            await("the healed group commits").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                try {
                    next.submit(add(0), Duration.ofSeconds(2)).get(3, TimeUnit.SECONDS);
                    return true;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    return false;
                }
            });
            await("every member agrees").atMost(Duration.ofSeconds(30))
                    .until(() -> machines.stream().allMatch(m -> m.total() == 3L));
        } finally {
            groups.forEach(RaftGroup::close);
        }
    }

    private static RaftGroup awaitLeaderAmong(List<RaftGroup> groups) {
        return awaitLeader(groups);
    }
}
