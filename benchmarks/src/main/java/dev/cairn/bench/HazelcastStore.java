package dev.cairn.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.BuildInfoProvider;
import com.hazelcast.map.IMap;

/**
 * Hazelcast 5.5 embedded, set up as its documentation recommends for a fixed set of members: TCP-IP join with the
 * member list (multicast and auto-detection off), every map with one synchronous backup and no asynchronous one,
 * in-memory format BINARY, phone-home off.
 */
final class HazelcastStore implements PeerStore {
    static final String NAME_ATTRIBUTE = "cairn.name";
    /** The map with a near cache. */
    static final String NEAR_MAP = "near";
    private final HazelcastInstance hz;

    HazelcastStore(String cluster, String name, int port, List<String> members, Consumer<List<String>> onView) {
        Config c = new Config();
        c.setClusterName(cluster);
        c.setInstanceName(name);
        c.setProperty("hazelcast.phone.home.enabled", "false"); // no usage report to Hazelcast's servers
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        c.getMemberAttributeConfig().setAttribute(NAME_ATTRIBUTE, name);
        NetworkConfig net = c.getNetworkConfig();
        net.setPort(port).setPortAutoIncrement(false);
        net.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(members);
        MapConfig maps = new MapConfig("default") // applies to every map
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setInMemoryFormat(InMemoryFormat.BINARY);
        c.addMapConfig(maps);
        // The near-cache row: map "near" alone, as Hazelcast's near-cache chapter sets one up for a read-mostly map:
        // invalidated on change (the default), sized to hold the whole working set (the default 10,000-entry bound
        // would evict most of 100,000 keys), values kept deserialized (OBJECT: no copy out of the binary form per hit).
        c.addMapConfig(new MapConfig(NEAR_MAP)
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setInMemoryFormat(InMemoryFormat.BINARY)
                .setNearCacheConfig(new NearCacheConfig(NEAR_MAP)
                        .setInMemoryFormat(InMemoryFormat.OBJECT)
                        .setInvalidateOnChange(true)
                        .setEvictionConfig(new EvictionConfig().setEvictionPolicy(EvictionPolicy.LRU)
                                .setMaxSizePolicy(MaxSizePolicy.ENTRY_COUNT).setSize(1_000_000))));
        c.getJetConfig().setEnabled(false);
        hz = Hazelcast.newHazelcastInstance(c);
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                onView.accept(names(e.getMembers()));
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                onView.accept(names(e.getMembers()));
            }
        });
    }

    private static List<String> names(Iterable<Member> members) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        for (Member m : members) {
            String n = m.getAttribute(NAME_ATTRIBUTE);
            out.add(n != null ? n : m.getAddress().toString());
        }
        return out;
    }

    @Override
    public String product() {
        return "hazelcast " + BuildInfoProvider.getBuildInfo().getVersion();
    }

    @Override
    public String address() {
        return hz.getCluster().getLocalMember().getAddress().toString();
    }

    @Override
    public List<String> members() {
        return names(hz.getCluster().getMembers());
    }

    @Override
    public KeyValues map(String name) {
        IMap<String, byte[]> m = hz.getMap(name);
        return new KeyValues() {
            @Override
            public byte[] get(String key) {
                return m.get(key);
            }

            @Override
            public void set(String key, byte[] value) {
                m.set(key, value);
            }

            @Override
            public void putAll(Map<String, byte[]> batch) {
                m.putAll(batch);
            }

            @Override
            public Map<String, byte[]> getAll(java.util.Set<String> keys) {
                return m.getAll(keys);
            }

            @Override
            public int size() {
                return m.size();
            }
        };
    }

    @Override
    public String balanced() {
        var ps = hz.getPartitionService();
        int members = hz.getCluster().getMembers().size();
        java.util.Map<Member, Integer> owned = new java.util.HashMap<>();
        int partitions = 0;
        for (var p : ps.getPartitions()) {
            partitions++;
            if (p.getOwner() != null) {
                owned.merge(p.getOwner(), 1, Integer::sum);
            }
        }
        int least = owned.size() < members ? 0 : owned.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        // Safe: no migration running and every backup in sync. Balanced: every member owns its share (less one).
        boolean safe = ps.isClusterSafe();
        boolean balanced = safe && least >= partitions / members - 1;
        return "BALANCED " + balanced + " members=" + members + " safe=" + safe + " least-owned=" + least + " of=" + partitions;
    }

    /** CP Subsystem's FencedLock: in Hazelcast 5.5 open source this throws (a licensed, Enterprise-only feature). */
    @Override
    public dev.cairn.examples.Load.LockTarget fencedLock(String name) {
        com.hazelcast.cp.lock.FencedLock l = hz.getCPSubsystem().getLock(name);
        return dev.cairn.examples.Load.lockTarget(l::lock, l::unlock);
    }

    /** IMap's per-key lock: in the open-source edition, not fenced, AP (partition primary + backup), no Raft. */
    @Override
    public dev.cairn.examples.Load.LockTarget otherLock(String name) {
        IMap<String, byte[]> m = hz.getMap("locks");
        return dev.cairn.examples.Load.lockTarget(() -> m.lock(name), () -> m.unlock(name));
    }

    @Override
    public boolean awaitSettled(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (hz.getPartitionService().isClusterSafe()) {
                return true;
            }
            sleep(100);
        }
        return false;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        hz.shutdown();
    }
}
