/**
 * Partitions of the key space (issue 3). {@link dev.cairn.partition.Partitioner} maps serialized key bytes to a
 * partition; {@link dev.cairn.partition.PartitionTable} says which members own each partition in a view, computed by
 * every node from the view alone. Off-heap storage and replication come with the rest of that issue.
 */
package dev.cairn.partition;
