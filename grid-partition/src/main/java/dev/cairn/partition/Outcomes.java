package dev.cairn.partition;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.cairn.membership.Wire;

/**
 * The outcomes of the recent writes to one partition, by invocation id (DESIGN.md decision 13). A caller retries a
 * write with the id of its first try; whoever is primary then finds the id here (the old primary's backups recorded it
 * with the write, a snapshot carries it to a new owner) and answers the first outcome instead of deciding again, so a
 * write takes effect once however often it is sent. Only writes that changed something are recorded: a decision that
 * changed nothing had no effect, so deciding it again is the same as deciding it once, later.
 *
 * <p>An outcome is kept for {@code retention} nanoseconds of the injected clock (longer than a caller keeps retrying)
 * and at most {@link #MAX_PER_PARTITION} per partition, oldest first out. Guarded by the replica's monitor.
 */
final class Outcomes {
    /** A bound on memory whatever the write rate; at 10 s of retention it is 800 writes/s into one partition. */
    static final int MAX_PER_PARTITION = 8_192;

    /** What a write told its caller, and when (clock nanoseconds) this copy learned of it. */
    record Outcome(boolean flag, byte[] returned, long recordedAt) {
    }

    private final LinkedHashMap<Invocation, Outcome> recent = new LinkedHashMap<>();

    Outcome get(Invocation id) {
        return recent.get(id);
    }

    void record(Invocation id, boolean flag, byte[] returned, long now, long retention) {
        recent.put(id, new Outcome(flag, returned, now));
        expire(now, retention);
    }

    /** Forgets outcomes older than {@code retention}, and the oldest beyond the bound. */
    void expire(long now, long retention) {
        Iterator<Map.Entry<Invocation, Outcome>> it = recent.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Invocation, Outcome> e = it.next();
            if (recent.size() > MAX_PER_PARTITION || now - e.getValue().recordedAt() > retention) {
                it.remove();
            } else {
                break;
            }
        }
    }

    int size() {
        return recent.size();
    }

    void clear() {
        recent.clear();
    }

    void write(Wire.Out out) {
        out.i32(recent.size());
        recent.forEach((id, o) -> {
            id.write(out);
            out.u8(o.flag() ? 1 : 0).bytes(o.returned());
        });
    }

    /** Adds what {@link #write} wrote, as learned {@code now}. */
    void merge(Wire.In in, long now, long retention) {
        for (int n = in.count(); n > 0; n--) {
            Invocation id = Invocation.read(in);
            boolean flag = in.u8() == 1;
            recent.putIfAbsent(id, new Outcome(flag, in.bytes(), now));
        }
        expire(now, retention);
    }
}
