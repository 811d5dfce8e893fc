package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.join;
import static dev.cairn.partition.PartitionTests.s;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.cairn.EntryOptions;
import dev.cairn.MapOptions;
import dev.cairn.membership.LoopbackCluster;

/**
 * Expiry (issue 15): time to live, max idle and jitter, read from an injected clock that the tests move: an expired
 * entry is absent on every node and copy at its time, is reclaimed by its primary's sweep on every copy, and keeps its
 * absolute expiry through a failover and a migration.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ExpiryTest {
    private static final Duration TTL = Duration.ofSeconds(30);

    /** Maps: "ttl*" live 30 s by default; "idle*" expire after 10 s unread; "jitter*" live 100 s ± 10%; "local*" read backups. */
    private static LoopbackCluster<Node> cluster(int n, ManualClock clock) {
        PartitionSettings settings = PartitionSettings.of(271, 1, Node.TIMEOUT, name -> {
            MapOptions o = MapOptions.defaults(1).withQuorum(dev.cairn.Quorum.NONE);
            if (name.startsWith("ttl") || name.startsWith("local")) {
                o = o.withTimeToLive(TTL).withReadBackups(name.startsWith("local"));
            } else if (name.startsWith("idle")) {
                o = o.withMaxIdle(Duration.ofSeconds(10));
            } else if (name.startsWith("jitter")) {
                o = o.withTimeToLive(Duration.ofSeconds(100)).withTtlJitter(0.1);
            }
            return o;
        }, List.of()).withClock(clock);
        return LoopbackCluster.start(n, Duration.ofSeconds(2), st -> Node.start(st, settings), Node::membership);
    }

    private static long copies(LoopbackCluster<Node> cluster, String map) {
        long n = 0;
        for (int i : cluster.running()) {
            n += cluster.node(i).service().localEntries(map, false);
        }
        return n;
    }

    @Test
    void anEntryExpiresOnEveryNodeAndCopyAtItsTimeAndIsReclaimedEverywhere() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(3, clock)) {
            PartitionTests.awaitSettled(cluster, 1);
            for (String map : List.of("ttl", "local")) {
                join(cluster.node(0).service().map(map).set(b("k"), b("v")));
            }
            clock.advance(TTL.minusSeconds(1));
            for (int n = 0; n < 3; n++) {
                for (String map : List.of("ttl", "local")) { // "local" reads the node's own backup copy where it has one
                    assertEquals("v", s(join(cluster.node(n).service().map(map).get(b("k")))), map + " on n" + n);
                }
            }
            clock.advance(Duration.ofSeconds(2));
            for (int n = 0; n < 3; n++) {
                for (String map : List.of("ttl", "local")) {
                    assertNull(join(cluster.node(n).service().map(map).get(b("k"))), map + " on n" + n + ", expired");
                    assertFalse(join(cluster.node(n).service().map(map).containsKey(b("k"))));
                }
            }
            await("the sweep reclaims it on the primary and its backup").atMost(Duration.ofSeconds(10))
                    .until(() -> copies(cluster, "ttl") == 0 && copies(cluster, "local") == 0);
            double expirations = 0;
            for (int n = 0; n < 3; n++) {
                expirations += cluster.node(n).registry().find("cairn.map.expirations").counters().stream()
                        .mapToDouble(c -> c.count()).sum();
            }
            assertEquals(2, expirations, "each expired entry counted once, by its primary");
        }
    }

    @Test
    void maxIdleKeepsAReadEntryAndExpiresAnIdleOne() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(3, clock)) {
            ByteMap m = cluster.node(0).service().map("idle");
            join(m.set(b("read"), b("r")));
            join(m.set(b("idle"), b("i")));
            clock.advance(Duration.ofSeconds(6));
            assertEquals("r", s(join(cluster.node(1).service().map("idle").get(b("read")))));
            clock.advance(Duration.ofSeconds(6)); // "read" was read 6 s ago, "idle" written 12 s ago
            assertEquals("r", s(join(m.get(b("read")))));
            assertNull(join(m.get(b("idle"))));
            clock.advance(Duration.ofSeconds(11));
            assertNull(join(m.get(b("read"))), "unread for 11 s now");
        }
    }

    @Test
    void readsOnThePrimaryReachItsBackupSoAFailoverKeepsAnEntryThatWasBeingRead() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(3, clock)) {
            PartitionTests.awaitSettled(cluster, 1);
            byte[] k = MagicKeys.ownedBy(cluster.node(0).service(), 1, "n1", "n2", "idle-");
            ByteMap m = cluster.node(0).service().map("idle");
            join(m.set(k, b("v")));
            clock.advance(Duration.ofSeconds(6));
            long readAt = clock.epochMillis();
            assertEquals("v", s(join(m.get(k)))); // served, and counted, by its primary n1
            clock.advance(Duration.ofSeconds(5)); // written 11 s ago, read 5 s ago: alive with a max idle of 10 s
            MapStores backup = cluster.node(2).service().mapState("idle");
            await("n2's copy hears of the read").atMost(Duration.ofSeconds(10)).until(() -> {
                for (PartitionStore store : backup.stores) {
                    StoredEntry e = store == null ? null : store.get(k);
                    if (e != null) {
                        return Access.accessedAt(e.access()) >= readAt;
                    }
                }
                return false;
            });
            cluster.crash(1);
            cluster.awaitView(0, 2);
            assertEquals("v", s(join(m.get(k))), "the promoted backup keeps the entry read 5 s ago");
            clock.advance(Duration.ofSeconds(11));
            assertNull(join(m.get(k)), "unread for 11 s now");
        }
    }

    @Test
    void jitterSpreadsExpiryTimesWithinItsRange() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(2, clock)) {
            ByteMap m = cluster.node(0).service().map("jitter");
            long before = clock.epochMillis();
            for (int i = 0; i < 200; i++) {
                join(m.set(b("k" + i), b("v")));
            }
            long after = clock.epochMillis();
            long min = Long.MAX_VALUE;
            long max = Long.MIN_VALUE;
            for (int i = 0; i < 200; i++) {
                long at = join(m.expiresAt(b("k" + i)));
                min = Math.min(min, at);
                max = Math.max(max, at);
            }
            assertTrue(min >= before + 90_000 && max <= after + 110_000, "within 100 s ± 10%: " + min + ".." + max);
            assertTrue(max - min > 10_000, "spread over more than half the range: " + (max - min) + " ms");
            // a write's own time to live is spread too; an expire is exact
            join(m.set(b("own"), b("v"), EntryOptions.ttl(Duration.ofSeconds(50))));
            long own = join(m.expiresAt(b("own")));
            assertTrue(own >= before + 45_000 && own <= clock.epochMillis() + 55_000, "50 s ± 10%: " + (own - before));
            long asked = clock.epochMillis();
            join(m.expire(b("own"), 50_000));
            long at = join(m.expiresAt(b("own")));
            assertTrue(at >= asked + 50_000 && at <= clock.epochMillis() + 50_000, "exactly 50 s: " + (at - asked));
        }
    }

    @Test
    void expiryTravelsWithTheEntryThroughAFailoverAndAMigrationWithoutBeingExtended() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(4, clock)) {
            cluster.stop(3);
            cluster.awaitView(0, 1, 2);
            PartitionTests.awaitSettled(cluster, 1);
            byte[] k = MagicKeys.ownedBy(cluster.node(0).service(), 1, "n1", "n2", "travels-");
            ByteMap m = cluster.node(0).service().map("ttl");
            join(m.set(k, b("v")));
            long expiresAt = join(m.expiresAt(k));
            clock.advance(Duration.ofSeconds(10));
            cluster.crash(1); // its primary
            cluster.awaitView(0, 2);
            assertEquals(expiresAt, join(m.expiresAt(k)), "the promoted backup's copy expires when the first did");
            cluster.restart(3); // and the partition moves again
            PartitionTests.awaitSettled(cluster, 1);
            for (int n : cluster.running()) {
                assertEquals(expiresAt, join(cluster.node(n).service().map("ttl").expiresAt(k)), "on n" + n);
            }
            clock.advance(TTL.minusSeconds(9));
            for (int n : cluster.running()) {
                assertNull(join(cluster.node(n).service().map("ttl").get(k)), "expired on n" + n);
            }
        }
    }

    @Test
    void expireSetsPersistClearsAndAWriteOverAnExpiredEntryFindsItAbsent() {
        ManualClock clock = new ManualClock();
        try (var cluster = cluster(2, clock)) {
            ByteMap m = cluster.node(1).service().map("plain");
            join(m.set(b("k"), b("v")));
            assertEquals(0L, join(m.expiresAt(b("k"))), "no time to live in a map without one");
            assertTrue(join(m.expire(b("k"), 5_000)));
            long at = join(m.expiresAt(b("k")));
            assertTrue(at > clock.epochMillis() && at <= clock.epochMillis() + 5_000);
            assertTrue(join(m.expire(b("k"), 0)), "persist");
            assertEquals(0L, join(m.expiresAt(b("k"))));
            assertFalse(join(m.expire(b("absent"), 5_000)));
            assertNull(join(m.expiresAt(b("absent"))));
            assertThrows(IllegalArgumentException.class, () -> m.expire(b("k"), -1));

            join(m.set(b("short"), b("old"), EntryOptions.ttl(Duration.ofSeconds(5))));
            clock.advance(Duration.ofSeconds(6));
            assertNull(join(m.putIfAbsent(b("short"), b("new"))), "absent once expired: stored");
            assertEquals("new", s(join(m.put(b("short"), b("newer")))));
            join(m.set(b("gone"), b("old"), EntryOptions.ttl(Duration.ofSeconds(5))));
            clock.advance(Duration.ofSeconds(6));
            assertNull(join(m.put(b("gone"), b("again"))), "the expired value is not returned as the previous one");
            assertFalse(join(m.replace(b("short"), b("x"), b("y"))));
        }
    }
}
