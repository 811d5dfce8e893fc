package dev.cairn.partition;

/**
 * One write as a partition's primary applied it, for in-process subscribers ({@link PartitionService#subscribe}):
 * listeners, near-cache invalidation, write-behind and statistics read it rather than hooking into the write path
 * (DESIGN.md decision 15). Arrays are shared, not copied: a subscriber must not modify them.
 *
 * @param map       the map's name
 * @param partition the key's partition
 * @param key       the serialized key
 * @param oldValue  the value before the write, null when the key was absent
 * @param newValue  the value after it, null for a remove
 * @param sequence  the partition's change number: one more for each change, with no gaps, on every copy of the
 *                  partition, so it goes on from where it was when a backup is promoted or the partition moves
 */
public record MapChange(String map, int partition, byte[] key, byte[] oldValue, byte[] newValue, long sequence) {
}
