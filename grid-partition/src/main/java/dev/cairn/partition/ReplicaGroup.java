package dev.cairn.partition;

/**
 * The partitions of the maps that share one backup count, as this node holds them (decision 13: ownership, moves and
 * the partition monitor are per backup count and partition; each map has its own store per partition).
 */
final class ReplicaGroup {
    final int backups;
    final Replica[] replicas;

    ReplicaGroup(int backups, int partitionCount) {
        this.backups = backups;
        this.replicas = new Replica[partitionCount];
        for (int p = 0; p < partitionCount; p++) {
            replicas[p] = new Replica(p);
        }
    }

    Replica replica(int p) {
        return replicas[p];
    }
}
