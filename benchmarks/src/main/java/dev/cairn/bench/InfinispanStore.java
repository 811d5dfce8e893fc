package dev.cairn.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.infinispan.AdvancedCache;
import org.infinispan.Cache;
import org.infinispan.commons.util.Version;
import org.infinispan.configuration.parsing.ConfigurationBuilderHolder;
import org.infinispan.configuration.parsing.ParserRegistry;
import org.infinispan.context.Flag;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged;
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;
import org.infinispan.remoting.transport.Address;

/**
 * Infinispan 15 embedded, set up as its documentation recommends for a fixed set of members: the JGroups {@code tcp}
 * stack Infinispan ships, with MPING (multicast discovery) replaced by TCPPING naming the members, bound to
 * 127.0.0.1; every cache distributed, synchronous, with 2 owners. Statistics stay off (the default), and nothing in
 * Infinispan reports usage anywhere (it has no phone-home); JGroups diagnostics are off in that stack.
 */
final class InfinispanStore implements PeerStore {
    private final DefaultCacheManager manager;
    private final Map<String, Cache<String, byte[]>> caches = new HashMap<>();
    private final Consumer<List<String>> onView;

    InfinispanStore(String cluster, String name, int port, List<String> members, List<String> cacheNames,
                    Consumer<List<String>> onView) {
        this.onView = onView;
        // Read by the tcp stack's own ${...} placeholders (default-configs/default-jgroups-tcp.xml).
        System.setProperty("jgroups.bind.address", "127.0.0.1");
        System.setProperty("jgroups.bind.port", Integer.toString(port));
        System.setProperty("jgroups.port_range", "0");
        // FD_SOCK2 listens on bind port + offset; the default 50000 overflows for the ephemeral ports the launcher
        // picks, which it checks with port + 100 free instead.
        System.setProperty("jgroups.fd.port-offset", "100");
        String hosts = members.stream().map(m -> {
            int colon = m.lastIndexOf(':');
            return m.substring(0, colon) + "[" + m.substring(colon + 1) + "]";
        }).collect(Collectors.joining(","));
        StringBuilder xml = new StringBuilder();
        xml.append("<infinispan>\n")
                .append("  <jgroups>\n")
                .append("    <stack name=\"bench-tcp\" extends=\"tcp\">\n")
                .append("      <TCPPING initial_hosts=\"").append(hosts).append("\" port_range=\"0\"")
                .append(" stack.combine=\"REPLACE\" stack.position=\"MPING\"/>\n")
                .append("    </stack>\n")
                .append("  </jgroups>\n")
                .append("  <cache-container name=\"bench\" statistics=\"false\" shutdown-hook=\"DONT_REGISTER\">\n")
                .append("    <transport cluster=\"").append(cluster).append("\" stack=\"bench-tcp\" node-name=\"").append(name)
                .append("\"/>\n");
        for (String c : cacheNames) {
            xml.append("    <distributed-cache name=\"").append(c).append("\" mode=\"SYNC\" owners=\"2\" statistics=\"false\"/>\n");
        }
        xml.append("  </cache-container>\n</infinispan>\n");
        ConfigurationBuilderHolder holder = new ParserRegistry().parse(xml.toString());
        manager = new DefaultCacheManager(holder, true);
        manager.addListener(new ViewPrinter());
        for (String c : cacheNames) {
            caches.put(c, manager.getCache(c)); // every node starts every cache, so every node owns segments
        }
    }

    /** Prints a VIEW line on each cluster view. */
    @Listener
    public final class ViewPrinter {
        @ViewChanged
        public void viewChanged(ViewChangedEvent e) {
            onView.accept(names(e.getNewMembers()));
        }
    }

    private static List<String> names(List<Address> members) {
        List<String> out = new ArrayList<>();
        for (Address a : members) {
            out.add(a.toString());
        }
        return out;
    }

    @Override
    public String product() {
        return "infinispan " + Version.getVersion();
    }

    @Override
    public String address() {
        return String.valueOf(manager.getAddress());
    }

    @Override
    public List<String> members() {
        return names(manager.getMembers());
    }

    @Override
    public KeyValues map(String name) {
        Cache<String, byte[]> c = caches.get(name);
        if (c == null) {
            throw new IllegalArgumentException("no cache '" + name + "' (caches: " + caches.keySet() + ")");
        }
        // A put that returns the previous value fetches it from the owner; Cairn's and Hazelcast's set do not.
        AdvancedCache<String, byte[]> noReturn = c.getAdvancedCache().withFlags(Flag.IGNORE_RETURN_VALUES);
        return new KeyValues() {
            @Override
            public byte[] get(String key) {
                return c.get(key);
            }

            @Override
            public void set(String key, byte[] value) {
                noReturn.put(key, value);
            }

            @Override
            public void putAll(Map<String, byte[]> batch) {
                noReturn.putAll(batch);
            }

            @Override
            public Map<String, byte[]> getAll(java.util.Set<String> keys) {
                return c.getAdvancedCache().getAll(keys);
            }

            @Override
            public int size() {
                return c.size();
            }
        };
    }

    @Override
    public String balanced() {
        int members = manager.getMembers().size();
        boolean balanced = true;
        int least = Integer.MAX_VALUE;
        var topologyManager = org.infinispan.factories.GlobalComponentRegistry.componentOf(manager,
                org.infinispan.topology.LocalTopologyManager.class);
        StringBuilder status = new StringBuilder();
        for (Map.Entry<String, Cache<String, byte[]>> e : caches.entrySet()) {
            Cache<String, byte[]> c = e.getValue();
            // Infinispan's own rebalance status for the cache, as the coordinator reports it (COMPLETE when done).
            String rebalance;
            try {
                rebalance = String.valueOf(topologyManager.getRebalancingStatus(e.getKey()));
            } catch (Exception x) {
                rebalance = "unknown";
            }
            status.append(' ').append(e.getKey()).append('=').append(rebalance);
            if (!rebalance.equals("COMPLETE")) {
                balanced = false;
            }
            var dm = c.getAdvancedCache().getDistributionManager();
            var topology = dm.getCacheTopology();
            var ch = topology.getCurrentCH();
            // Rebalance finished: no state transfer running, no pending hash, every member in the topology and owning
            // primary segments.
            if (dm.isRehashInProgress() || topology.getPendingCH() != null || ch.getMembers().size() < members) {
                balanced = false;
            }
            for (Address a : ch.getMembers()) {
                least = Math.min(least, ch.getPrimarySegmentsForOwner(a).size());
            }
        }
        return "BALANCED " + (balanced && least > 0) + " members=" + members + " least-owned=" + least + status;
    }

    @Override
    public boolean awaitSettled(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean settled = true;
            for (Cache<String, byte[]> c : caches.values()) {
                var dm = c.getAdvancedCache().getDistributionManager();
                if (dm.isRehashInProgress() || dm.getCacheTopology().getMembers().size() < manager.getMembers().size()) {
                    settled = false;
                }
            }
            if (settled) {
                return true;
            }
            HazelcastStore.sleep(100);
        }
        return false;
    }

    @Override
    public void close() {
        manager.stop();
    }
}
