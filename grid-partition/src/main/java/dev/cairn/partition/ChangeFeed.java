package dev.cairn.partition;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The change feed of one node's primaries (DESIGN.md decision 15): each applied write, in each partition's order,
 * handed to the subscribers on one thread of its own, never on a JGroups thread or under a partition's monitor. With no
 * subscriber, publishing costs one volatile read.
 */
final class ChangeFeed implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);

    private final String node;
    private final List<Consumer<MapChange>> subscribers = new CopyOnWriteArrayList<>();
    private volatile ExecutorService delivery;

    ChangeFeed(String node) {
        this.node = node;
    }

    /** Adds a subscriber; closing the handle removes it. */
    synchronized AutoCloseable subscribe(Consumer<MapChange> subscriber) {
        if (delivery == null) {
            delivery = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "cairn-changes-" + node);
                t.setDaemon(true);
                return t;
            });
        }
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    boolean active() {
        return !subscribers.isEmpty();
    }

    /** Queues a change for the subscribers. Call under the partition's monitor, so changes queue in order. */
    void publish(MapChange change) {
        ExecutorService d = delivery;
        if (d == null || subscribers.isEmpty()) {
            return;
        }
        try {
            d.execute(() -> {
                for (Consumer<MapChange> s : subscribers) {
                    try {
                        s.accept(change);
                    } catch (RuntimeException e) {
                        log.warn("{}: a change subscriber failed on {} partition {} sequence {}: {}", node, change.map(),
                                change.partition(), change.sequence(), e.toString());
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing: nobody is left to tell
        }
    }

    @Override
    public synchronized void close() {
        subscribers.clear();
        if (delivery != null) {
            delivery.shutdownNow();
        }
    }
}
