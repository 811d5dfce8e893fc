package dev.cairn.partition;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.cairn.Eviction;
import dev.cairn.EvictionPolicy;
import dev.cairn.MapFullException;
import dev.cairn.Priority;
import dev.cairn.membership.Status;

/**
 * Keeps a bounded map within its bound (issue 15, {@link Eviction}). The bound is per node and counts every copy a node
 * holds; a partition's share is the bound over the most partitions any member holds in the view (primary and backup
 * together), so no member exceeds it whatever partitions it holds. Before a write adds a key to a partition at its
 * share, the partition's primary ranks the whole partition (reading headers only, never values) and evicts its
 * lowest-ranked entries, as writes of its own replicated to the backups, down to fifteen sixteenths of the share: one
 * ranking pays for a sixteenth of the share's writes. Ranked lowest first: expired entries, then by priority (LOW, NORMAL,
 * HIGH; CRITICAL never), then by the policy: last access for LRU, hits halved for every minute unread for LFU. Volatile
 * policies take only entries with a time to live. Runs on the writer's thread with the partition's monitor held.
 */
final class Evictor {
    /** LFU halves an entry's hits for every this many milliseconds it was not read. */
    private static final long LFU_HALF_LIFE_MILLIS = 60_000;

    private final Engine engine;
    private final PrimaryPath primary;

    Evictor(Engine engine, PrimaryPath primary) {
        this.engine = engine;
        this.primary = primary;
    }

    /**
     * One entry as the ranking sees it: its class (-1 expired, else its priority's order), then what the policy ranks
     * by (hits decayed for LFU, last access for LRU), then its last access; lowest first.
     */
    private record Candidate(byte[] key, int cls, long rank, long last, int bytes) {
        boolean expired() {
            return cls < 0;
        }
    }

    /**
     * Makes room in partition {@code r} of {@code m} for {@code entry}, a new key: evicts (adding the backups'
     * acknowledgements to {@code acks}) and returns null, or returns the refusal when the policy may evict nothing
     * enough (nothing is written then).
     */
    Reply makeRoom(Topology t, MapStores m, Replica r, PartitionStore store, byte[] key, StoredEntry entry, long now,
                   List<CompletableFuture<byte[]>> acks) {
        Eviction bound = m.options.eviction();
        int held = t.mostHeld(m.group.backups);
        long maxEntries = bound.maxEntries() == 0 ? Long.MAX_VALUE : Math.max(1, bound.maxEntries() / held);
        long maxBytes = bound.maxBytes() == 0 ? Long.MAX_VALUE : Math.max(1, bound.maxBytes() / held);
        long size = store.size();
        long bytes = store.entryBytes();
        long adding = key.length + StoredLayout.HEADER_BYTES + (long) entry.value().length;
        if (size + 1 <= maxEntries && bytes + adding <= maxBytes) {
            return null;
        }
        // down to fifteen sixteenths of the share (or less, for one large entry), so the next writes need no ranking
        long keepEntries = maxEntries == Long.MAX_VALUE ? Long.MAX_VALUE : maxEntries - 1 - (maxEntries - 1) / 16;
        long keepBytes = maxBytes == Long.MAX_VALUE ? Long.MAX_VALUE : maxBytes - adding - (maxBytes - adding) / 16;
        List<Candidate> ranked = rank(store, bound.policy(), now, m.maxIdleMillis);
        long left = size;
        long leftBytes = bytes;
        int evicted = 0;
        for (Candidate c : ranked) {
            if (left <= keepEntries && leftBytes <= keepBytes) {
                break;
            }
            if (primary.removeOwn(t, m, r, store, c.key(), c.expired() ? MapChange.Cause.EXPIRED
                    : MapChange.Cause.EVICTED, acks) != null) {
                left--;
                leftBytes -= c.bytes();
                if (c.expired()) {
                    m.metrics.expired();
                } else {
                    evicted++;
                }
            }
        }
        m.metrics.evicted(evicted);
        if (left + 1 <= maxEntries && leftBytes + adding <= maxBytes) {
            return null;
        }
        return Reply.refused(Status.MAP_FULL, "map '" + m.name + "' is full: its bound is " + describe(bound) + " per node ("
                + (maxEntries == Long.MAX_VALUE ? "" : maxEntries + " entries") + (maxEntries != Long.MAX_VALUE
                && maxBytes != Long.MAX_VALUE ? " and " : "") + (maxBytes == Long.MAX_VALUE ? "" : maxBytes + " bytes")
                + " in partition " + r.id + ", which holds " + left + " entries of " + leftBytes + " bytes), and its"
                + " eviction policy " + bound.policy() + " may evict " + (bound.policy() == EvictionPolicy.NONE
                ? "nothing" : "none of the entries left (CRITICAL" + (bound.policy().volatileOnly()
                ? ", or without a time to live)" : ")")) + "; nothing was written");
    }

    private static String describe(Eviction bound) {
        return (bound.maxEntries() > 0 ? bound.maxEntries() + " entries" : "")
                + (bound.maxEntries() > 0 && bound.maxBytes() > 0 ? " and " : "")
                + (bound.maxBytes() > 0 ? bound.maxBytes() + " bytes" : "");
    }

    /** Every entry the policy may evict, the first to go first. */
    static List<Candidate> rank(PartitionStore store, EvictionPolicy policy, long now, long maxIdleMillis) {
        List<Candidate> out = new ArrayList<>();
        store.forEachHeader((key, expiresAt, writtenAt, access, bytes) -> {
            long last = Math.max(Access.accessedAt(access), writtenAt);
            if ((expiresAt != 0 && expiresAt <= now) || (maxIdleMillis > 0 && last + maxIdleMillis <= now)) {
                out.add(new Candidate(key, -1, 0, last, bytes)); // expired: reclaimed first, whatever the policy
                return;
            }
            Priority p = Access.priority(access);
            if (policy == EvictionPolicy.NONE || p == Priority.CRITICAL || (policy.volatileOnly() && expiresAt == 0)) {
                return;
            }
            long rank = policy.byFrequency()
                    ? Access.hits(access) >> Math.min(62, Math.max(0, now - last) / LFU_HALF_LIFE_MILLIS) : last;
            out.add(new Candidate(key, p.ordinal(), rank, last, bytes));
        });
        out.sort(Comparator.comparingInt(Candidate::cls).thenComparingLong(Candidate::rank)
                .thenComparingLong(Candidate::last));
        return out;
    }
}
