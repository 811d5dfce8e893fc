package dev.cairn;

/**
 * How much an entry of a bounded map is worth keeping ({@link EvictionPolicy}): eviction takes lower priorities first
 * and never takes {@link #CRITICAL}. Set per write with {@link EntryOptions}; {@link #NORMAL} otherwise.
 */
public enum Priority {
    LOW, NORMAL, HIGH,
    /** Never evicted: a bounded map whose other entries are all gone refuses the next write instead. */
    CRITICAL
}
