package dev.cairn.partition;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Writer threads that remember, per key, the last value the grid acknowledged, and the keys whose outcome is unknown
 * (a write that failed may still take effect later, even after a newer one), so a test can check that every
 * acknowledged write reads back after faults. Each key has one writer, so its last acknowledgement is its value.
 */
final class AckedWriters {
    private final Map<String, String> acked = new ConcurrentHashMap<>();
    private final Set<String> uncertain = ConcurrentHashMap.newKeySet();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();

    /** Starts {@code count} writers; writer {@code w} writes through {@code mapOf.apply(w)}, cycling over its keys. */
    AckedWriters(int count, int keysEach, IntFunction<ByteMap> mapOf) {
        for (int w = 0; w < count; w++) {
            int writer = w;
            ByteMap m = mapOf.apply(w);
            Thread t = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String key = "w" + writer + "-" + (i % keysEach);
                    if (uncertain.contains(key)) {
                        continue;
                    }
                    String value = "v" + i;
                    try {
                        m.set(bytes(key), bytes(value)).get(30, TimeUnit.SECONDS);
                        acked.put(key, value);
                    } catch (Exception e) {
                        failures.incrementAndGet();
                        uncertain.add(key);
                        acked.remove(key);
                    }
                }
            }, "writer-" + w);
            t.start();
            threads.add(t);
        }
    }

    int ackedKeys() {
        return acked.size();
    }

    /** Stops the writers and waits for their last writes to finish. */
    void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(60_000);
        }
    }

    /**
     * Reads every acknowledged key back through {@code reader} and describes the ones lost or stale ("" if none),
     * naming each one's partition.
     */
    String lostOrStale(ByteMap reader, PartitionService service) throws Exception {
        int lost = 0;
        List<String> examples = new ArrayList<>();
        for (Map.Entry<String, String> e : acked.entrySet()) {
            byte[] got = reader.get(bytes(e.getKey())).get(30, TimeUnit.SECONDS);
            String read = got == null ? null : new String(got, StandardCharsets.UTF_8);
            if (!e.getValue().equals(read)) {
                lost++;
                if (examples.size() < 10) {
                    examples.add(e.getKey() + " (partition " + service.partitionOf(bytes(e.getKey())) + "): acknowledged "
                            + e.getValue() + ", read " + read);
                }
            }
        }
        return lost == 0 ? "" : lost + " of " + acked.size() + " acknowledged writes lost or stale (unacknowledged: "
                + failures + "): " + examples;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
