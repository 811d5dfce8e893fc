package dev.cairn.examples;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.cairn.EvictionPolicy;
import dev.cairn.MapOptions;

/**
 * The node command's per-map cache settings (issue 15): {@code --map-ttl map=30s,...}, {@code --map-idle map=10m,...},
 * {@code --map-bound map=ENTRIES[/POLICY],...} and {@code --map-compress map=BYTES,...}. A bad entry is an
 * {@link IllegalArgumentException} naming it.
 */
record MapSettings(Map<String, Duration> ttl, Map<String, Duration> idle, Map<String, long[]> bound,
                   Map<String, EvictionPolicy> policy, Map<String, Integer> compress) {

    static MapSettings parse(String ttl, String idle, String bound, String compress) {
        Map<String, long[]> bounds = new HashMap<>();
        Map<String, EvictionPolicy> policies = new HashMap<>();
        entries(bound, "--map-bound", (map, v) -> {
            String[] parts = v.split("/", 2);
            long entries;
            try {
                entries = Long.parseLong(parts[0]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--map-bound " + map + "=" + v + ": ENTRIES must be a number");
            }
            if (entries < 1) {
                throw new IllegalArgumentException("--map-bound " + map + "=" + v + ": a bound of " + entries
                        + " entries; it must be at least 1");
            }
            bounds.put(map, new long[] {entries});
            policies.put(map, parts.length > 1 ? EvictionPolicy.of(parts[1]) : EvictionPolicy.LRU);
        });
        Map<String, Duration> ttls = new HashMap<>();
        entries(ttl, "--map-ttl", (map, v) -> ttls.put(map, positive("--map-ttl", map, v)));
        Map<String, Duration> idles = new HashMap<>();
        entries(idle, "--map-idle", (map, v) -> idles.put(map, positive("--map-idle", map, v)));
        Map<String, Integer> compressions = new HashMap<>();
        entries(compress, "--map-compress", (map, v) -> {
            try {
                compressions.put(map, Integer.parseInt(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--map-compress " + map + "=" + v + ": BYTES must be a number");
            }
        });
        return new MapSettings(ttls, idles, bounds, policies, compressions);
    }

    private static Duration positive(String option, String map, String v) {
        Duration d = CacheCommands.duration(v);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(option + " " + map + "=" + v + ": must be positive");
        }
        return d;
    }

    private static void entries(String list, String option, java.util.function.BiConsumer<String, String> each) {
        if (list.isBlank()) {
            return;
        }
        for (String entry : list.split(",")) {
            String[] kv = entry.split("=", 2);
            if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                throw new IllegalArgumentException(option + ": '" + entry + "' is not map=value");
            }
            each.accept(kv[0].trim(), kv[1].trim());
        }
    }

    /** The maps with a setting here. */
    Set<String> maps() {
        Set<String> maps = new TreeSet<>(ttl.keySet());
        maps.addAll(idle.keySet());
        maps.addAll(bound.keySet());
        maps.addAll(compress.keySet());
        return maps;
    }

    /** {@code options} with this map's settings. */
    MapOptions apply(String map, MapOptions options) {
        MapOptions o = options;
        if (ttl.containsKey(map)) {
            o = o.withTimeToLive(ttl.get(map));
        }
        if (idle.containsKey(map)) {
            o = o.withMaxIdle(idle.get(map));
        }
        if (bound.containsKey(map)) {
            o = o.withMaxEntries(bound.get(map)[0]).withEvictionPolicy(policy.get(map));
        }
        if (compress.containsKey(map)) {
            o = o.withCompressionAbove(compress.get(map));
        }
        return o;
    }
}
