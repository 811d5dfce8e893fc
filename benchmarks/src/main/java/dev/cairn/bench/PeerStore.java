package dev.cairn.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One embedded peer node (Hazelcast or Infinispan) as the peer console sees it: maps of String to byte[]. */
interface PeerStore extends AutoCloseable {

    /** One distributed map of this node. */
    interface KeyValues {
        byte[] get(String key);

        /** Writes without asking for the previous value (Cairn's and Hazelcast's {@code set}). */
        void set(String key, byte[] value);

        void putAll(Map<String, byte[]> batch);

        /** The values of those keys that have one. */
        Map<String, byte[]> getAll(java.util.Set<String> keys);

        int size();
    }

    /** "hazelcast 5.5.0" and the like, for the READY line and the table. */
    String product();

    /** This node's address as the cluster knows it. */
    String address();

    KeyValues map(String name);

    /** Member names of the current view, for the VIEW line. */
    List<String> members();

    /** Waits until data is where it belongs (no migration or rebalance under way), at most {@code timeout}. */
    boolean awaitSettled(Duration timeout);

    /**
     * Whether this node sees the cluster balanced now, without waiting: every member in the view owns data and no
     * migration or rebalance is under way. Returns a line {@code BALANCED <true|false> members=<n> ...}.
     */
    String balanced();

    /**
     * The product's fenced lock of that name, where the edition in use has one.
     *
     * @throws UnsupportedOperationException with the product's own message where it does not
     */
    default dev.cairn.examples.Load.LockTarget fencedLock(String name) {
        throw new UnsupportedOperationException(product() + " has no fenced lock");
    }

    /** The product's other, non-fenced distributed lock of that name, if it has one (Hazelcast: IMap.lock). */
    default dev.cairn.examples.Load.LockTarget otherLock(String name) {
        throw new UnsupportedOperationException(product() + " has no other lock measured here");
    }

    /** Off-heap bytes the map holds on this node, where the product keeps any (both peers here are on-heap: 0). */
    default long offHeapBytes(String map) {
        return 0;
    }

    @Override
    void close();
}
