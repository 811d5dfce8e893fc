package dev.cairn.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * The history of a lock as the console's lockers print it (one {@code HIST} line per hold, with the fence, the time the
 * lock call returned and the time the unlock call began, on {@code System.nanoTime}, one clock for every process on the
 * machine), gathered from every incarnation of every node, and the checks run over it.
 */
final class LockHistory {
    private static final Pattern HIST = Pattern.compile(
            "HIST (\\S+) (\\d+) lock=(\\S+) fence=(\\d+) acquired=(-?\\d+) (released|lost|unknown)=(-?\\d+)"
                    + "(?: write=(\\w+) ws=(-?\\d+) we=(-?\\d+))?.*");

    /**
     * One hold: {@code owner} is node/thread/incarnation, so that a restarted node's threads are other owners. When the
     * locker wrote with its fence at the end of the hold: how the write ended ({@code write}: ok, stale, noquorum,
     * failed; null when it did not write) and when it began and ended.
     */
    record Hold(String owner, String node, String lock, long fence, long acquired, long ended, String how, String write,
                long writeStarted, long writeEnded) {
    }

    private LockHistory() {
    }

    /** Every hold of {@code lock} printed by any incarnation of any node, in the order the lock calls returned. */
    static List<Hold> of(ProcessCluster cluster, String lock) {
        List<Hold> holds = new ArrayList<>();
        int incarnation = 0;
        for (NodeProcess p : cluster.everyIncarnation()) {
            incarnation++;
            for (String line : p.tail(Integer.MAX_VALUE)) {
                Matcher m = HIST.matcher(line);
                if (m.matches() && m.group(3).equals(lock)) {
                    boolean wrote = m.group(8) != null;
                    holds.add(new Hold(m.group(1) + "/" + m.group(2) + "/" + incarnation, m.group(1), m.group(3),
                            Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(7)), m.group(6),
                            m.group(8), wrote ? Long.parseLong(m.group(9)) : 0, wrote ? Long.parseLong(m.group(10)) : 0));
                }
            }
        }
        holds.sort(Comparator.comparingLong(Hold::acquired));
        return holds;
    }

    /** Holds of {@code lock} by {@code node} that began after {@code nanos}. */
    static long holdsSince(ProcessCluster cluster, String lock, String node, long nanos) {
        return of(cluster, lock).stream().filter(h -> (node == null || h.node().equals(node)) && h.acquired() > nanos).count();
    }

    /**
     * The checks, a Wing-Gong style search made linear by the mutex's model:
     * <ul>
     * <li>No two holders at once: over the holds that ended with a successful unlock, sorted by the time the lock call
     *     returned, each began no earlier than the previous ended (the unlock call's start). For intervals sorted by
     *     start, an overlap anywhere shows up between neighbours, so this is the whole search: a history passes iff a
     *     linearization exists in which every hold is exclusive.</li>
     * <li>Fences only increase: along those holds, and along each owner's own holds, every fence is larger than the one
     *     before; and no fence is ever handed to two holds, lost ones included.</li>
     * </ul>
     * A hold that ended lost (its session expired while its node was paused, killed or cut off) is not one the system
     * promised to keep exclusive: its owner's writes are fenced off instead, so it is checked only for its fence. A
     * hold whose unlock never got an answer may not have ended when noted, and is likewise checked for its fence only.
     */
    static void check(List<Hold> holds) {
        List<Hold> kept = holds.stream().filter(h -> h.how().equals("released")).toList();
        for (int i = 1; i < kept.size(); i++) {
            Hold a = kept.get(i - 1);
            Hold b = kept.get(i);
            assertTrue(b.acquired() >= a.ended(), "two holders at once: " + a + " and " + b);
            assertTrue(b.fence() > a.fence(), "fence went down: " + a + " then " + b);
        }
        Map<Long, Hold> byFence = new HashMap<>();
        Map<String, Long> lastByOwner = new HashMap<>();
        for (Hold h : holds) {
            Hold other = byFence.put(h.fence(), h);
            if (other != null) {
                fail("fence " + h.fence() + " handed to two holds: " + other + " and " + h);
            }
        }
        for (Hold h : holds.stream().sorted(Comparator.comparingLong(Hold::ended)).toList()) {
            Long last = lastByOwner.put(h.owner(), h.fence());
            assertTrue(last == null || h.fence() > last, "an owner's fence went down: " + last + " then " + h);
        }
    }

    /**
     * The end-to-end check, which also covers holds that were lost: every hold wrote to the same key with its fence at
     * its end, and the storage must have accepted those writes in fence order. So no write with a lower fence may have
     * begun after one with a higher fence had been acknowledged: that would be an old holder (paused, cut off, its
     * session expired) overwriting its successor. Writes refused, or without an answer, are not known to have been
     * applied and are left out. Returns how the writes ended, by outcome.
     */
    static Map<String, Long> checkFencedWrites(List<Hold> holds) {
        List<Hold> accepted = holds.stream().filter(h -> "ok".equals(h.write()))
                .sorted(Comparator.comparingLong(Hold::fence)).toList();
        Hold latest = null; // of the accepted writes with lower fences, the one that began last
        for (Hold h : accepted) {
            if (latest != null && latest.writeStarted() > h.writeEnded()) {
                fail("a write with fence " + latest.fence() + " was accepted after one with fence " + h.fence()
                        + " had been: " + latest + " after " + h);
            }
            if (latest == null || h.writeStarted() > latest.writeStarted()) {
                latest = h;
            }
        }
        Map<String, Long> outcomes = new java.util.TreeMap<>();
        holds.stream().filter(h -> h.write() != null).forEach(h -> outcomes.merge(h.write(), 1L, Long::sum));
        return outcomes;
    }
}
