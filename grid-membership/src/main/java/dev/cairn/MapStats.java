package dev.cairn;

/**
 * A map's statistics on one node ({@code GridMap.stats()}) or summed over the cluster ({@code clusterStats()}). Counts
 * run from the node's start or its last {@code resetStats()}; entries and bytes are as they stand.
 *
 * @param entries           entries in the partitions the node is primary for
 * @param backupEntries     entries in the partitions it holds as a backup
 * @param offHeapBytes      bytes of the entries it holds (keys, values and their headers), off the heap
 * @param gets              reads called on the node (get, containsKey, ttl)
 * @param hits              reads that found the key
 * @param misses            reads that did not
 * @param puts              writes called on the node that store a value
 * @param removes           removes called on the node
 * @param evictions         entries the node evicted as their primary to keep the map within its bound
 * @param expirations       expired entries the node reclaimed as their primary
 * @param hitLatency        how long reads that hit took, seen by the caller
 * @param missLatency       how long reads that missed took
 * @param compressedValues  values the node compressed before sending them
 * @param bytesBefore       their bytes before compression
 * @param bytesAfter        and after
 */
public record MapStats(long entries, long backupEntries, long offHeapBytes, long gets, long hits, long misses, long puts,
                       long removes, long evictions, long expirations, Latency hitLatency, Latency missLatency,
                       long compressedValues, long bytesBefore, long bytesAfter) {
    /** Hits over reads, 0 to 1; 0 with no reads. */
    public double hitRate() {
        return gets == 0 ? 0 : (double) hits / gets;
    }

    /** Bytes before over bytes after compression (2.0: half the size); 1 with nothing compressed. */
    public double compressionRatio() {
        return bytesAfter == 0 ? 1 : (double) bytesBefore / bytesAfter;
    }

    /**
     * Latency percentiles in microseconds.
     *
     * @param count how many were timed
     */
    public record Latency(long count, long p50Micros, long p99Micros, long p999Micros, long maxMicros) {
        public static final Latency NONE = new Latency(0, 0, 0, 0, 0);
    }
}
