package dev.cairn.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.cairn.it.MapHistory.Op;
import dev.cairn.it.ReadChecks.Kind;

/** The history checks catch what they claim to: stale reads, resurrections, and reads the map's kind excuses. */
class ReadChecksTest {
    private static Op op(String id, String op, String arg, long t0, long t1, String outcome, String returned) {
        return new Op(id, op, "h-1", arg, t0, t1, outcome, returned, "n1");
    }

    private static List<Kind> kinds(List<Op> ops, String last, java.util.function.Predicate<Op> excused) {
        java.util.Map<String, String> finals = new java.util.HashMap<>();
        finals.put("h-1", last);
        Map<String, List<String>> copies = last == null ? Map.of() : Map.of("h-1", List.of(last, last));
        return kinds(ops, last, excused, null);
    }

    private static List<Kind> kinds(List<Op> ops, String last, java.util.function.Predicate<Op> excused,
                                    MergeChecks merges) {
        java.util.Map<String, String> finals = new java.util.HashMap<>();
        finals.put("h-1", last);
        Map<String, List<String>> copies = last == null ? Map.of() : Map.of("h-1", List.of(last, last));
        return MapHistory.findings(ops, finals, copies, 2, excused, merges).stream().map(ReadChecks.Finding::kind)
                .toList();
    }

    /** A split from 100 to 200 with node m on the smaller side, and these merge events. */
    private static MergeChecks split(List<Op> ops, MergeChecks.Merge... merges) {
        return new MergeChecks(new MergeChecks.Splits(List.of(new ReadChecks.Window("m", 100, 200))), List.of(merges),
                ops);
    }

    @Test
    void aWriteLostAtAHealIsTheUsersChoiceOnlyWhereAMergeEventSaysThePolicyDiscardedIt() {
        // the larger side wrote a (110), the smaller side wrote m then m2 (120, 130), both acknowledged; DISCARD kept a
        List<Op> ops = List.of(op("a.1.0.0", "set", "-", 110, 115, "ok", "-"), op("m.1.0.0", "set", "-", 120, 125, "ok", "-"),
                op("m.1.0.1", "set", "-", 130, 135, "ok", "-"), op("c.1.0.0", "get", "-", 300, 310, "ok", "a.1.0.0"));
        MergeChecks discarded = split(ops, new MergeChecks.Merge("h-1", "a.1.0.0", "a.1.0.0", "m.1.0.1", "EXISTING"));
        assertEquals(List.of(Kind.MERGED_AWAY, Kind.STALE_EXCUSED), kinds(ops, "a.1.0.0", o -> false, discarded),
                "m2 discarded by the policy, and m with it (m2 had replaced it on its side); the read after the heal"
                        + " does not see them by the same choice");
        assertEquals(List.of(Kind.LOST, Kind.STALE), kinds(ops, "a.1.0.0", o -> false, split(ops)),
                "with no merge event the same loss is a violation");
        // a read of the smaller side during the split that does not see the larger side's write is what the kind allows
        List<Op> whileSplit = List.of(op("a.1.0.0", "set", "-", 110, 115, "ok", "-"),
                op("m.1.0.0", "get", "-", 150, 155, "ok", "null"));
        assertEquals(List.of(Kind.STALE_EXCUSED), kinds(whileSplit, "a.1.0.0", o -> false, split(whileSplit)));
        // each side may take the same value away once while split, not twice on one side
        List<Op> twice = List.of(op("a.1.0.0", "set", "-", 10, 20, "ok", "-"), op("b.1.0.0", "del", "-", 120, 125, "ok", "a.1.0.0"),
                op("m.1.0.0", "del", "-", 120, 125, "ok", "a.1.0.0"));
        assertEquals(List.of(), kinds(twice, null, o -> false, split(twice)));
        List<Op> twiceOnOneSide = List.of(twice.get(0), twice.get(1), op("c.1.0.0", "del", "-", 130, 135, "ok", "a.1.0.0"));
        assertEquals(List.of(Kind.OTHER), kinds(twiceOnOneSide, null, o -> false, split(twiceOnOneSide)));
        // a value the smaller side took away while split is back where the merge kept the larger side's entry: it may
        // be taken again after the heal
        List<Op> back = List.of(twice.get(0), op("m.1.0.0", "del", "-", 120, 125, "ok", "a.1.0.0"),
                op("c.1.0.0", "del", "-", 300, 305, "ok", "a.1.0.0"));
        assertEquals(List.of(), kinds(back, null, o -> false,
                split(back, new MergeChecks.Merge("h-1", "a.1.0.0", "a.1.0.0", "removed", "EXISTING"))));
        assertEquals(List.of(Kind.OTHER), kinds(back, null, o -> false, split(back)));
        // the larger side removed a value and wrote another; PASS_THROUGH brought the smaller side's copy of the first
        // back (written within the split's margin): taking it again after the heal is the policy's doing
        List<Op> through = List.of(twice.get(0), op("b.1.0.0", "del", "-", 120, 125, "ok", "a.1.0.0"),
                op("c.1.0.0", "set", "-", 130, 135, "ok", "-"), op("d.1.0.0", "cas", "a.1.0.0", 300, 305, "ok", "true"));
        assertEquals(List.of(), kinds(through, "d.1.0.0", o -> false,
                split(through, new MergeChecks.Merge("h-1", "c.1.0.0", "a.1.0.0", "a.1.0.0", "MERGING"))));
        assertEquals(List.of(Kind.OTHER), kinds(through, "d.1.0.0", o -> false, split(through)));
    }

    @Test
    void aReadOfAValueReplacedBeforeItBeganIsStale() {
        List<Op> ops = List.of(op("a.1.0.0", "set", "-", 0, 10, "ok", "-"), op("b.1.0.0", "set", "-", 20, 30, "ok", "-"),
                op("c.1.0.0", "get", "-", 40, 50, "ok", "a.1.0.0"), op("c.1.0.1", "get", "-", 40, 50, "ok", "b.1.0.0"),
                op("c.1.0.2", "get", "-", 25, 50, "ok", "a.1.0.0")); // overlapping the write: may read either
        assertEquals(List.of(Kind.STALE), kinds(ops, "b.1.0.0", o -> false));
        assertEquals(List.of(Kind.STALE_EXCUSED), kinds(ops, "b.1.0.0", o -> o.node().equals("c")));
    }

    @Test
    void absenceAfterAnAcknowledgedWriteIsStaleUnlessARemoveMayHaveComeBetween() {
        List<Op> stale = List.of(op("a.1.0.0", "set", "-", 0, 10, "ok", "-"), op("c.1.0.0", "get", "-", 40, 50, "ok", "null"));
        assertEquals(List.of(Kind.STALE), kinds(stale, "a.1.0.0", o -> false));
        List<Op> removed = List.of(stale.get(0), stale.get(1), op("d.1.0.0", "del", "-", 5, 60, "unknown", "-"));
        assertEquals(List.of(), kinds(removed, null, o -> false));
        List<Op> refusedRemove = List.of(stale.get(0), stale.get(1), op("d.1.0.0", "del", "-", 5, 60, "refused", "-"));
        assertEquals(List.of(Kind.STALE), kinds(refusedRemove, "a.1.0.0", o -> false),
                "a remove that said it did nothing explains nothing");
    }

    @Test
    void aValueReadBackAfterItsAcknowledgedRemoveIsAResurrection() {
        List<Op> ops = List.of(op("a.1.0.0", "set", "-", 0, 10, "ok", "-"), op("d.1.0.0", "del", "-", 5, 30, "ok", "a.1.0.0"),
                op("c.1.0.0", "get", "-", 40, 50, "ok", "a.1.0.0"));
        List<Kind> found = kinds(ops, null, o -> false);
        assertEquals(List.of(Kind.RESURRECTED), found);
        assertEquals(List.of(Kind.STALE_EXCUSED), kinds(ops, null, o -> true), "a minority read the kind allows");
        // and a refused write is definite: its value must never be seen
        List<Op> refused = List.of(op("a.1.0.0", "set", "-", 0, 10, "refused", "-"), op("c.1.0.0", "get", "-", 40, 50, "ok", "a.1.0.0"));
        assertTrue(kinds(refused, "a.1.0.0", o -> false).contains(Kind.REFUSED_VISIBLE));
    }
}
