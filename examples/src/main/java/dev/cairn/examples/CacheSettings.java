package dev.cairn.examples;

import java.time.Duration;

import dev.cairn.EntryOptions;
import dev.cairn.EvictionPolicy;
import dev.cairn.MapOptions;
import dev.cairn.MapStats;
import dev.cairn.Priority;
import dev.cairn.grid.Grid;
import dev.cairn.grid.GridConfig;
import dev.cairn.grid.GridMap;

/**
 * The README's cache example, compiled by the build (ReadmeSnippetsTest checks that the README shows this text):
 * expiry and a bound in the maps' options, a time to live and a priority on single writes, and the statistics.
 * The demo's cache chapter shows the same features on a cluster of JVMs.
 */
final class CacheSettings {
    private CacheSettings() {
    }

    static MapStats example(GridConfig.Builder config, Grid grid, byte[] html, byte[] png, String owner) {
        // README begin: cache
        config.map("sessions", MapOptions.defaults(1).withTimeToLive(Duration.ofMinutes(30))
                .withMaxIdle(Duration.ofMinutes(10)).withTtlJitter(0.1))               // expiry, spread ±10%
            .map("pages", MapOptions.defaults(1).withMaxEntries(100_000)               // per node, primary and backup copies
                .withEvictionPolicy(EvictionPolicy.LFU).withCompression());            // LZ4 above 1 KB
        GridMap<String, byte[]> pages = grid.map("pages");
        GridMap<String, String> locks = grid.map("locks");
        pages.put("home", html, Duration.ofMinutes(5));                                // a write's own time to live
        locks.putIfAbsent("job-7", owner, Duration.ofSeconds(30));                     // SETNX with expiry
        pages.set("logo", png, EntryOptions.priority(Priority.CRITICAL));              // never evicted
        pages.ttl("home");  pages.expire("home", Duration.ofMinutes(1));  pages.persist("home");
        MapStats s = pages.clusterStats();                                             // s.hitRate(), s.evictions(), ...
        // README end
        return s;
    }
}
