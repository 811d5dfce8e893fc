/**
 * Partitions of the key space (issue 3): the partition table computed from the view, off-heap storage and replication.
 * Empty until that issue lands.
 */
package dev.cairn.partition;
