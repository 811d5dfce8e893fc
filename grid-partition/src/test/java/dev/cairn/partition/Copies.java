package dev.cairn.partition;

import java.nio.charset.StandardCharsets;

import dev.cairn.membership.LoopbackCluster;

/** What one node's own copy of a partition holds, read in place (not through the router) for tests to compare. */
final class Copies {
    private Copies() {
    }

    /** The value node {@code n}'s copy holds for {@code key}, as a string (null when absent or not held). */
    static String valueOn(LoopbackCluster<Node> cluster, int n, String map, byte[] key) {
        MapStores m = cluster.node(n).service().mapState(map);
        int p = cluster.node(n).service().partitionOf(key);
        synchronized (m.group.replica(p)) {
            PartitionStore store = m.stores[p];
            StoredEntry e = store == null ? null : store.get(key);
            return e == null ? null : new String(e.value(), StandardCharsets.UTF_8);
        }
    }

    /**
     * How many of {@code key-0} to {@code key-<keys-1>} of {@code map} have an owner (by node 0's table) whose copy
     * differs from the primary's.
     */
    static int differingKeys(LoopbackCluster<Node> cluster, String map, int keys) {
        PartitionTable table = cluster.node(0).service().table(1);
        int differing = 0;
        for (int i = 0; i < keys; i++) {
            byte[] k = PartitionTests.b("key-" + i);
            java.util.List<String> owners = table.owners(cluster.node(0).service().partitionOf(k));
            String primary = valueOn(cluster, index(owners.get(0)), map, k);
            if (owners.stream().anyMatch(o -> !java.util.Objects.equals(primary, valueOn(cluster, index(o), map, k)))) {
                differing++;
            }
        }
        return differing;
    }

    /** The cluster index of node {@code n<i>}. */
    static int index(String nodeName) {
        return Integer.parseInt(nodeName.substring(1));
    }

    /** The highest fence of {@code lock} node {@code n}'s copy of {@code key}'s partition has seen (0 for none). */
    static long fenceOn(LoopbackCluster<Node> cluster, int n, String map, byte[] key, String lock) {
        MapStores m = cluster.node(n).service().mapState(map);
        Replica r = m.group.replica(cluster.node(n).service().partitionOf(key));
        synchronized (r) {
            return r.fences.get(lock);
        }
    }
}
