package dev.cairn.it;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.cairn.it.MapHistory.Op;

/**
 * The read checks of a map history (stale reads and resurrections) and the per-phase table of a fault run. Judged in
 * the test JVM from what the nodes printed; values are the ids of the operations that wrote them, so a value read
 * names its writer and every value is written at most once.
 *
 * <p>A {@code get} is <b>stale</b> when some write {@code w} on its key was acknowledged as having changed it
 * ({@link Op#wrote()}) before the get began, and the get returned a value that {@code w} had certainly replaced: one
 * written by an operation that ended before {@code w} began, or one {@code w} took away by name (a remove that
 * returned it, a compare-and-set from it); or absence, where {@code w} wrote a value and no remove that may have
 * taken effect could have come between {@code w} and the get. It is a <b>resurrection</b> when the newest such
 * {@code w} is a remove: the key was removed, acknowledged, and read back with a value from before the remove.
 */
final class ReadChecks {
    /** What a finding is. */
    enum Kind {
        /** An acknowledged write missing at the end. */
        LOST,
        /** A read older than a write acknowledged before it began. */
        STALE,
        /** A stale read the map's kind allows (e.g. a minority-side read of a map whose reads need no quorum). */
        STALE_EXCUSED,
        /** A value read back after an acknowledged remove of it. */
        RESURRECTED,
        /** A write refused for want of a quorum (definitely not written, it said) whose value was read or kept. */
        REFUSED_VISIBLE,
        /**
         * An acknowledged write or remove that the merge of a healed split discarded, as the map's policy chose and a
         * merge event told (maps both sides write): reported, not a violation.
         */
        MERGED_AWAY,
        /** Every other check: copies, refused writes visible, values taken twice, fences. */
        OTHER
    }

    /** One thing the checks found, about {@code op} (null when it is about no one operation). */
    record Finding(Kind kind, Op op, String message) {
        boolean violation() {
            return kind != Kind.STALE_EXCUSED && kind != Kind.MERGED_AWAY;
        }
    }

    /** The findings as they are added. */
    static final class Findings {
        private final List<Finding> all = new ArrayList<>();
        private final MergeChecks merges;

        Findings() {
            this(null);
        }

        /** Findings where a lost write or a resurrection that {@code merges} explains is {@link Kind#MERGED_AWAY}. */
        Findings(MergeChecks merges) {
            this.merges = merges;
        }

        void add(String message) {
            all.add(new Finding(Kind.OTHER, null, message));
        }

        void add(Kind kind, Op op, String message) {
            boolean chosen = merges != null && op != null && (kind == Kind.LOST || kind == Kind.RESURRECTED)
                    && merges.discarded(op);
            all.add(chosen ? new Finding(Kind.MERGED_AWAY, op, "by the merge policy's choice: " + message)
                    : new Finding(kind, op, message));
        }

        List<Finding> all() {
            return List.copyOf(all);
        }
    }

    /** A phase of a run, from {@code from} ({@link System#nanoTime()}, as the nodes print) until the next one. */
    record Phase(String name, long from) {
    }

    /** A node on the minority side of a cut from {@code from} until {@code to} (nanoTime). */
    record Window(String node, long from, long to) {
        boolean covers(Op o) {
            return o.node().equals(node) && o.t0() < to && o.t1() > from;
        }
    }

    private ReadChecks() {
    }

    /** Adds a finding for every stale read and every resurrection among the gets of {@code ops}. */
    static void staleReads(List<Op> ops, Map<String, Op> byId, Map<String, List<Op>> byKey,
                           java.util.function.BiPredicate<Op, Op> excused, Findings out) {
        for (Op g : ops) {
            if (!g.op().equals("get") || !g.outcome().equals("ok")) {
                continue;
            }
            List<Op> onKey = byKey.getOrDefault(g.key(), List.of());
            String r = g.returned();
            Op y = r.equals("null") ? null : byId.get(r);
            if (!r.equals("null") && y == null) {
                continue; // a value nobody wrote: reported by the other checks
            }
            Op newest = null; // the newest write, by its start, that the get should have seen instead
            for (Op w : onKey) {
                if (!w.wrote() || w.t1() >= g.t0() || w == y) {
                    continue;
                }
                boolean replacedIt;
                if (y != null) {
                    replacedIt = w.t0() > y.t1() || (w.op().equals("del") && w.returned().equals(r))
                            || (w.op().equals("cas") && w.arg().equals(r));
                } else {
                    replacedIt = !w.op().equals("del") && onKey.stream().noneMatch(d -> d.op().equals("del")
                            && d.mayHaveWritten() && d.t1() > w.t0() && d.t0() < g.t1());
                }
                if (replacedIt && (newest == null || w.t0() > newest.t0())) {
                    newest = w;
                }
            }
            if (newest == null) {
                continue;
            }
            Op w = newest;
            // absence that a remove refused for want of a quorum would explain, had it taken effect after all: a
            // violation either way, named in the message so that a reader can tell the two defects apart
            Op refusedRemove = y != null ? null : onKey.stream().filter(d -> d.op().equals("del") && d.refused()
                    && d.t1() > w.t0() && d.t0() < g.t1()).max(java.util.Comparator.comparingLong(d -> d.t1() - d.t0()))
                    .orElse(null);
            Kind kind = excused.test(g, newest) ? Kind.STALE_EXCUSED
                    : newest.op().equals("del") ? Kind.RESURRECTED : Kind.STALE;
            out.add(kind, g, (kind == Kind.RESURRECTED ? "resurrection: " : "stale read: ") + g + " on " + g.node()
                    + ", but " + newest + " was acknowledged " + micros(g.t0() - newest.t1()) + " before it began"
                    + (y == null ? "" : "; the value read came from " + y)
                    + (refusedRemove == null ? "" : "; unless the refused " + refusedRemove + " (refused after "
                    + micros(refusedRemove.t1() - refusedRemove.t0()) + ") took effect"));
        }
    }

    private static String micros(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    /**
     * A table, one row per phase (an operation belongs to the phase it began in; a lost write to the phase it was
     * acknowledged in): operations, acknowledged ({@code ok}), fence-refused, quorum-refused, indeterminate, lost,
     * stale reads, stale reads excused, resurrections, refused writes seen, other violations, and acknowledged writes
     * a merge policy discarded.
     */
    static String table(List<Op> ops, List<Finding> findings, List<Phase> phases) {
        int n = phases.size();
        long[][] c = new long[n + 1][12];
        for (Op o : ops) {
            int p = phaseOf(o, phases);
            c[p][0]++;
            switch (o.outcome()) {
                case "ok" -> c[p][1]++;
                case "stale" -> c[p][2]++;
                case "refused" -> c[p][3]++;
                default -> c[p][4]++;
            }
        }
        Map<Kind, Integer> column = new EnumMap<>(Map.of(Kind.LOST, 5, Kind.STALE, 6, Kind.STALE_EXCUSED, 7,
                Kind.RESURRECTED, 8, Kind.REFUSED_VISIBLE, 9, Kind.OTHER, 10, Kind.MERGED_AWAY, 11));
        for (Finding f : findings) {
            c[f.op() == null ? n - 1 : phaseOf(f.op(), phases)][column.get(f.kind())]++;
        }
        for (int p = 0; p < n; p++) {
            for (int k = 0; k < 12; k++) {
                c[n][k] += c[p][k];
            }
        }
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT,
                "%-28s %7s %7s %6s %7s %7s %5s %6s %7s %6s %6s %6s %6s%n", "phase", "ops", "acked", "fenced", "refused",
                "unknown", "lost", "stale", "excused", "resurr", "refvis", "other", "merged"));
        for (int p = 0; p <= n; p++) {
            t.append(String.format(Locale.ROOT, "%-28s", p == n ? "total" : phases.get(p).name()));
            int[] widths = {7, 7, 6, 7, 7, 5, 6, 7, 6, 6, 6, 6};
            for (int k = 0; k < 12; k++) {
                t.append(String.format(Locale.ROOT, " %" + widths[k] + "d", c[p][k]));
            }
            t.append('\n');
        }
        return t.toString();
    }

    /** The name of the phase {@code o} began in. */
    static String phaseName(Op o, List<Phase> phases) {
        return phases.get(phaseOf(o, phases)).name();
    }

    private static int phaseOf(Op o, List<Phase> phases) {
        int p = 0;
        for (int i = 0; i < phases.size(); i++) {
            if (phases.get(i).from() <= o.t0()) {
                p = i;
            }
        }
        return p;
    }
}
