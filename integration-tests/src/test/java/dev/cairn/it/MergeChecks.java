package dev.cairn.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.cairn.it.MapHistory.Op;

/**
 * What a map that both sides of a split write ({@code Quorum.NONE}) may do that a quorum map may not, judged in the test
 * JVM: while split, each side reads without the other's writes; at the heal the map's merge policy keeps one entry of
 * each key, and the writes (or removes) it does not keep are gone by the user's choice, as long as a merge event (the
 * nodes' HMG lines) says so. Anything else is judged as for any map: a write lost that no merge discarded, a read stale
 * after the heal that no merge explains, is a violation.
 */
final class MergeChecks {
    /** One key a merge decided: the values are operation ids; {@code removed} is a tombstone, {@code null} none. */
    record Merge(String key, String existing, String kept, String merging, String outcome) {
        /** The values this merge left out: the existing and the merging one, less the one kept. */
        List<String> discardedValues() {
            List<String> out = new ArrayList<>();
            for (String v : new String[] {existing, merging}) {
                if (!v.equals("null") && !v.equals("removed") && !v.equals(kept)) {
                    out.add(v);
                }
            }
            return out;
        }
    }

    /**
     * The splits of a run: when each began and healed ({@code windows}, nanoTime, both sides writing), and which nodes
     * were on the smaller side of each (the side that merges into the larger one's copy).
     */
    record Splits(List<ReadChecks.Window> windows) {
    }

    private final Splits splits;
    private final Map<String, List<Merge>> byKey = new HashMap<>();
    private final Map<String, Op> byId = new HashMap<>();

    MergeChecks(Splits splits, List<Merge> merges, List<Op> ops) {
        this.splits = splits;
        merges.forEach(m -> byKey.computeIfAbsent(m.key(), k -> new ArrayList<>()).add(m));
        ops.forEach(o -> byId.put(o.id(), o));
    }

    /** How many merge events the nodes printed. */
    int merges() {
        return byKey.values().stream().mapToInt(List::size).sum();
    }

    /** Whether {@code o} overlaps a split, on either side. */
    boolean duringSplit(Op o) {
        return splits.windows().stream().anyMatch(w -> o.t0() < w.to() && o.t1() > w.from());
    }

    /** Whether {@code o} ran on the smaller side of a split. */
    boolean onSmallerSide(Op o) {
        return splits.windows().stream().anyMatch(w -> w.covers(o));
    }

    /** Two operations on the same value that ran on the two sides of a split: each side took it away once. */
    boolean onEachSide(Op a, Op b) {
        return duringSplit(a) && duringSplit(b) && onSmallerSide(a) != onSmallerSide(b);
    }

    /**
     * Whether what {@code z} wrote (or removed) is gone by a merge's choice: a merge of its key discarded its value, or
     * a value written after it on its side (which had replaced it there); for a remove, also where a merge of its key
     * kept a value over its side's tombstone.
     */
    boolean discarded(Op z) {
        if (!duringSplit(z)) {
            return false; // only what a side wrote while split is merged
        }
        for (Merge m : byKey.getOrDefault(z.key(), List.of())) {
            if (z.op().equals("del")) {
                boolean ours = onSmallerSide(z) ? m.merging().equals("removed") : m.existing().equals("removed");
                if (ours && !m.kept().equals("null")) {
                    return true;
                }
            }
            for (String d : m.discardedValues()) {
                Op w = byId.get(d);
                if (w != null && (w == z || (w.t0() >= z.t0() && onSmallerSide(w) == onSmallerSide(z)))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether a read {@code g} that did not see {@code w} is what the map's kind allows: {@code g} ran while split (the
     * other side's writes are not seen there), or {@code w} is gone by a merge's choice.
     */
    boolean explains(Op g, Op w) {
        return duringSplit(g) || discarded(w);
    }

    /** The outcomes of the merge events, counted, for the report. */
    Map<String, Long> outcomes() {
        Map<String, Long> c = new java.util.TreeMap<>();
        byKey.values().forEach(l -> l.forEach(m -> c.merge(m.outcome(), 1L, Long::sum)));
        return c;
    }

    /** The keys merge events name. */
    Set<String> keys() {
        return byKey.keySet();
    }
}
