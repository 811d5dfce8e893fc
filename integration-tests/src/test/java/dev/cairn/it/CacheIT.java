package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.cairn.examples.Load;
import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Issue 15 across three JVMs on 127.0.0.1: a map bounded to 10,000 entries per node keeps its bound under a cache-aside
 * zipfian load over a million keys from every node while the JVMs' heap and resident memory stay flat, its hit rate is
 * compared with exact LRU at the same capacity, and the metrics are scraped over HTTP in Prometheus' text format; an
 * entry written with a time to live is absent from every node once it has passed, and a SIGKILL of its primary does
 * not extend it.
 */
@ExtendWith(ClusterExtension.class)
class CacheIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration STEP = Duration.ofSeconds(30);
    private static final List<String> NODES = List.of("c1", "c2", "c3");
    private static final int BOUND = 10_000;
    private static final int KEYS = 1_000_000;
    private static final int SECONDS = 45;

    /** One line of key=value pairs (a STATS or MEMORY answer), as numbers. */
    private static Map<String, Double> fields(String line) {
        Map<String, Double> f = new HashMap<>();
        for (String w : line.split(" ")) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                f.put(w.substring(0, eq), Double.parseDouble(w.substring(eq + 1)));
            }
        }
        return f;
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aBoundedMapKeepsItsBoundUnderAZipfianLoadWithFlatMemory(ProcessCluster cluster) throws Exception {
        cluster.withNodeArgs("--map-bound", "cache=" + BOUND, "--prometheus", "0");
        cluster.start(NODES.toArray(String[]::new));
        cluster.awaitView(START, NODES.toArray(String[]::new));
        MapIT.awaitSettled(cluster, START, NODES.toArray(String[]::new));
        Map<String, Integer> marks = new LinkedHashMap<>();
        for (String n : NODES) {
            marks.put(n, cluster.node(n).mark());
            cluster.node(n).ask("cacheload cache 2 " + SECONDS + " " + KEYS + " 100", "CACHELOADING", STEP);
        }
        // every few seconds: each node's copies within the bound; heap after a GC and resident memory
        Map<String, List<Map<String, Double>>> memory = new HashMap<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        int samples = 0;
        while (System.nanoTime() < end) {
            for (String n : NODES) {
                Map<String, Double> s = fields(cluster.node(n).ask("stats cache", "STATS", STEP));
                double held = s.get("entries") + s.get("backup-entries");
                assertTrue(held <= BOUND, n + " holds " + held + " entries, over its bound of " + BOUND);
                memory.computeIfAbsent(n, k -> new ArrayList<>()).add(fields(cluster.node(n).ask("memory cache", "MEMORY",
                        STEP)));
            }
            samples++;
            cluster.node("c1").awaitIdle(Duration.ofSeconds(5));
        }
        long hits = 0;
        long ops = 0;
        for (String n : NODES) {
            String done = cluster.node(n).awaitLine(marks.get(n), t -> t.startsWith("CACHELOAD "), START).text();
            Map<String, Double> f = fields(done);
            assertEquals(0, f.get("errors"), n + ": " + done);
            hits += f.get("hits").longValue();
            ops += f.get("ops").longValue();
        }
        double held = 0;
        double distinct = 0;
        double evictions = 0;
        for (String n : NODES) {
            Map<String, Double> s = fields(cluster.node(n).ask("stats cache", "STATS", STEP));
            held = Math.max(held, s.get("entries") + s.get("backup-entries"));
            distinct += s.get("entries");
            evictions += s.get("evictions");
        }
        assertTrue(held <= BOUND && held > BOUND * 0.8, "each node near its bound at the end, at most " + held);
        assertTrue(evictions > 0, "it evicted to stay there");

        // memory: the second half of the run holds no more than the first, within the noise of a GC and an allocator
        StringBuilder report = new StringBuilder();
        for (String n : NODES) {
            List<Map<String, Double>> m = memory.get(n);
            Map<String, Double> early = m.get(Math.min(2, m.size() - 1));
            Map<String, Double> last = m.get(m.size() - 1);
            report.append(String.format(Locale.ROOT, "%n  %s heap after GC %.1f -> %.1f MB, resident %.1f -> %.1f MB", n,
                    early.get("heap-used") / 1e6, last.get("heap-used") / 1e6, early.get("rss") / 1e6,
                    last.get("rss") / 1e6));
            assertTrue(last.get("heap-used") <= early.get("heap-used") + 32e6, n + ": heap grew" + report);
            assertTrue(last.get("rss") <= early.get("rss") * 1.15 + 32e6, n + ": resident memory grew" + report);
        }

        // the hit rate against exact LRU holding as many distinct entries, on the same zipfian
        double measured = (double) hits / ops;
        double exact = exactLruHitRate(KEYS, (int) distinct, 3_000_000);
        System.out.printf(Locale.ROOT, "CacheIT: %d samples; %d cache-aside operations, hit rate %.4f; exact LRU over the"
                        + " cluster's %d distinct entries %.4f (%.2f of it); %s%n", samples, ops, measured, (int) distinct,
                exact, measured / exact, report);
        assertTrue(measured > exact * 0.8, "hit rate " + measured + " against exact LRU's " + exact);

        // the metrics over HTTP, in Prometheus' text format
        String url = cluster.node("c1").tail(Integer.MAX_VALUE).stream().filter(l -> l.startsWith("PROMETHEUS "))
                .findFirst().orElseThrow().substring("PROMETHEUS ".length());
        HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scrape.statusCode());
        Map<String, Double> samplesByName = prometheusSamples(scrape.body(), "cache");
        assertTrue(samplesByName.getOrDefault("cairn_map_hits_total", 0.0) > 0, samplesByName.toString());
        assertTrue(samplesByName.getOrDefault("cairn_map_entries", -1.0) >= 0, samplesByName.toString());
        assertTrue(samplesByName.containsKey("cairn_map_evictions_total"), samplesByName.toString());
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void anEntryWithATimeToLiveIsGoneFromEveryNodeOnceItPassesAndAKilledPrimaryDoesNotExtendIt(ProcessCluster cluster) {
        cluster.start(NODES.toArray(String[]::new));
        cluster.awaitView(START, NODES.toArray(String[]::new));
        NodeProcess c1 = cluster.node("c1");
        c1.ask("putx sessions s-1 alice 3s", "PREVIOUS", STEP);
        c1.ask("putx sessions s-2 bob -", "PREVIOUS", STEP);
        c1.ask("putx sessions s-3 carol 20s", "PREVIOUS", STEP);
        long acked = System.currentTimeMillis(); // s-3 expires at most 20 s after this, by any node's clock (one machine)
        for (String n : NODES) {
            assertEquals("VALUE alice", cluster.node(n).ask("get sessions s-1", "VALUE", STEP));
            assertTrue(cluster.node(n).ask("ttl sessions s-1", "TTL", STEP).matches("TTL [0-9]+ms"));
        }
        for (String n : NODES) {
            await(n + " no longer has s-1").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.node(n).ask("get sessions s-1", "VALUE", STEP).equals("VALUE null"));
            assertEquals("VALUE bob", cluster.node(n).ask("get sessions s-2", "VALUE", STEP));
            assertEquals("TTL none", cluster.node(n).ask("ttl sessions s-2", "TTL", STEP));
        }

        // SIGKILL s-3's primary: the promoted backup's copy keeps the first copy's expiry, never a later one.
        String primary = c1.ask("owners sessions s-3", "OWNERS", STEP).substring("OWNERS ".length()).split(",")[0];
        cluster.node(primary).kill();
        String[] survivors = NODES.stream().filter(n -> !n.equals(primary)).toArray(String[]::new);
        cluster.awaitView(START, survivors);
        for (String n : survivors) {
            long asked = System.currentTimeMillis();
            String ttl = cluster.node(n).ask("ttl sessions s-3", "TTL", STEP);
            String value = cluster.node(n).ask("get sessions s-3", "VALUE", STEP);
            if (asked - acked < 19_000) { // well before its time: the kill lost nothing
                assertEquals("VALUE carol", value, n + ", " + (asked - acked) + " ms after the write");
            }
            if (!ttl.equals("TTL none")) { // "none" once it has expired: the failover may take longer than its 20 s
                long left = Long.parseLong(ttl.substring("TTL ".length(), ttl.length() - "ms".length()));
                assertTrue(left <= 20_000 - (asked - acked) + 5, n + " extended s-3: " + left + " ms left, "
                        + (asked - acked) + " ms after its 20 s write was acknowledged");
            }
        }
        for (String n : survivors) {
            await(n + " no longer has s-3").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.node(n).ask("get sessions s-3", "VALUE", STEP).equals("VALUE null"));
            assertTrue(System.currentTimeMillis() - acked < 20_000 + 10_000, "s-3 outlived its time by seconds");
        }
    }

    /** Exact LRU with {@code capacity} entries over {@code draws} zipfian draws of {@code keys} keys: its hit rate. */
    static double exactLruHitRate(int keys, int capacity, int draws) {
        Load.Zipfian zipfian = new Load.Zipfian(keys, Load.Zipfian.YCSB_CONSTANT);
        LinkedHashMap<Integer, Boolean> lru = new LinkedHashMap<>(capacity * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Integer, Boolean> eldest) {
                return size() > capacity;
            }
        };
        SplittableRandom random = new SplittableRandom(42);
        long hits = 0;
        for (int i = 0; i < draws; i++) {
            int k = zipfian.next(random);
            if (lru.get(k) != null) {
                hits++;
            } else {
                lru.put(k, Boolean.TRUE);
            }
        }
        return (double) hits / draws;
    }

    /** The samples of {@code map} in a Prometheus text exposition, by metric name (summed over other labels). */
    private static Map<String, Double> prometheusSamples(String body, String map) {
        Map<String, Double> out = new HashMap<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("#") || line.isBlank() || !line.contains("map=\"" + map + "\"")) {
                continue;
            }
            String name = line.substring(0, line.indexOf('{'));
            double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            out.merge(name, value, Double::sum);
        }
        return out;
    }
}
