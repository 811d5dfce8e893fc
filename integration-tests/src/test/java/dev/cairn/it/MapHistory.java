package dev.cairn.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * The history of map operations the nodes' {@code history} threads printed (HST and HOP lines, see the examples'
 * HistoryCommands), read and judged here in the test JVM, never in a node under test. Every write writes its own
 * operation id, so a value names the one operation that wrote it.
 */
final class MapHistory {
    /** One operation; an operation that printed its start but not its end (its node was killed) ends at infinity. */
    record Op(String id, String op, String key, String arg, long t0, long t1, String outcome, String returned,
              String primary) {
        boolean finished() {
            return t1 != Long.MAX_VALUE;
        }

        /** Failed with its outcome unknown (or never finished): it may have taken effect. */
        boolean unknown() {
            return !outcome.equals("ok") && !outcome.equals("stale") && !refused();
        }

        /** Refused for want of a quorum: nothing written, nothing read. */
        boolean refused() {
            return outcome.equals("refused");
        }

        /** The node that issued it: its id starts with the node's name. */
        String node() {
            return id.substring(0, id.indexOf('.'));
        }

        @Override
        public String toString() {
            return op + "(" + id + " " + key + (arg.equals("-") ? "" : " " + arg) + ") " + outcome
                    + (returned.equals("-") ? "" : " -> " + returned) + " at [" + t0 + ", "
                    + (finished() ? Long.toString(t1) : "never") + "] via " + primary;
        }

        boolean isWrite() {
            return !op.equals("get");
        }

        /** Whether the operation was acknowledged as having changed the key. */
        boolean wrote() {
            if (!outcome.equals("ok")) {
                return false;
            }
            return switch (op) {
                case "set", "fset" -> true;
                case "pia" -> returned.equals("null");
                case "cas" -> returned.equals("true");
                case "del" -> !returned.equals("null");
                default -> false;
            };
        }

        /** Whether it may have changed the key: acknowledged so, or its outcome unknown. */
        boolean mayHaveWritten() {
            return isWrite() && (wrote() || unknown());
        }

        /** The value it leaves: its id, or null for a remove. */
        String leaves() {
            return op.equals("del") ? null : id;
        }

        long token() {
            return Long.parseLong(arg);
        }
    }

    private MapHistory() {
    }

    /** Every operation printed by any incarnation of any node of {@code cluster}, on any map. */
    static List<Op> of(ProcessCluster cluster) {
        return of(cluster, null);
    }

    /** Every operation on {@code map} (every map, for null) printed by any incarnation of any node of {@code cluster}. */
    static List<Op> of(ProcessCluster cluster, String map) {
        Map<String, Op> byId = new LinkedHashMap<>();
        for (NodeProcess p : cluster.everyIncarnation()) {
            for (String line : p.tail(Integer.MAX_VALUE)) {
                String[] w = line.split(" ");
                if (w.length < 2 || (map != null && !w[1].equals(map))) {
                    continue;
                }
                if (w[0].equals("HST") && w.length == 7) {
                    byId.putIfAbsent(w[2], new Op(w[2], w[3], w[4], w[5], Long.parseLong(w[6]), Long.MAX_VALUE,
                            "unknown", "-", "-"));
                } else if (w[0].equals("HOP") && (w.length == 10 || w.length == 11)) {
                    byId.put(w[2], new Op(w[2], w[3], w[4], w[5], Long.parseLong(w[6]), Long.parseLong(w[7]), w[8], w[9],
                            w.length == 11 ? w[10] : "-"));
                }
            }
        }
        return new ArrayList<>(byId.values());
    }

    /** Every key of {@code map} a merge decided, as the nodes printed it (HMG lines). */
    static List<MergeChecks.Merge> merges(ProcessCluster cluster, String map) {
        List<MergeChecks.Merge> merges = new ArrayList<>();
        for (NodeProcess p : cluster.everyIncarnation()) {
            for (String line : p.tail(Integer.MAX_VALUE)) {
                String[] w = line.split(" ");
                if (w[0].equals("HMG") && w.length == 7 && w[1].equals(map)) {
                    merges.add(new MergeChecks.Merge(w[2], w[3], w[4], w[5], w[6]));
                }
            }
        }
        return merges;
    }

    /**
     * What {@link #judge} found: the history's counts, the keys present at the end, every violation, every finding
     * (violations, and the stale reads excused by the map's kind), and the per-phase table.
     */
    record Verdict(Map<String, Long> counts, long present, int keys, List<String> violations,
                   List<ReadChecks.Finding> findings, String table) {
        /** The findings of one kind. */
        List<ReadChecks.Finding> of(ReadChecks.Kind kind) {
            return findings.stream().filter(f -> f.kind() == kind).toList();
        }

        long ops() {
            return counts.getOrDefault("ops", 0L);
        }

        String report() {
            return violations.size() + " violations, first: " + violations.subList(0, Math.min(20, violations.size()))
                    + "\n" + this;
        }

        @Override
        public String toString() {
            return counts + ", keys present at the end: " + present + " of " + keys;
        }
    }

    /**
     * Reads every key's final value through the first of {@code nodes}, every copy each of them owns, and the whole
     * history of {@code cluster}, and checks them ({@link #check}). Call once the history threads have stopped and the
     * partitions have settled.
     */
    static Verdict judge(ProcessCluster cluster, String map, int keys, int fencedKeys, List<String> nodes,
                         int expectedCopies) {
        return judge(cluster, map, keys, fencedKeys, nodes, expectedCopies,
                List.of(new ReadChecks.Phase("whole run", Long.MIN_VALUE)), o -> false);
    }

    /**
     * As {@link #judge(ProcessCluster, String, int, int, List, int)}, with the run cut into phases for the table and
     * the reads whose staleness the map's kind allows ({@code excused}: reported, not judged).
     */
    static Verdict judge(ProcessCluster cluster, String map, int keys, int fencedKeys, List<String> nodes,
                         int expectedCopies, List<ReadChecks.Phase> phases, java.util.function.Predicate<Op> excused) {
        return judge(cluster, map, keys, fencedKeys, nodes, expectedCopies, phases, excused, null);
    }

    /**
     * As above, for a map both sides of a split write ({@code merging} non-null): what its splits and merges explain
     * is reported, not judged ({@link MergeChecks}).
     */
    static Verdict judge(ProcessCluster cluster, String map, int keys, int fencedKeys, List<String> nodes,
                         int expectedCopies, List<ReadChecks.Phase> phases, java.util.function.Predicate<Op> excused,
                         MergeChecks.Splits merging) {
        Map<String, String> finals = new HashMap<>();
        for (String line : answer(cluster.node(nodes.get(0)), "history read " + map + " " + keys + " " + fencedKeys,
                "READ")) {
            if (line.startsWith("FINAL ")) {
                String[] w = line.split(" ");
                finals.put(w[1], w[2].equals("null") ? null : w[2]);
            }
        }
        if (finals.size() != keys + fencedKeys) {
            throw new AssertionError("read back " + finals.size() + " of " + (keys + fencedKeys) + " keys");
        }
        Map<String, List<String>> copies = new HashMap<>();
        for (String name : nodes) {
            for (String line : answer(cluster.node(name), "dump " + map, "DUMPED")) {
                if (line.startsWith("COPY ")) {
                    String[] w = line.split(" ");
                    copies.computeIfAbsent(w[1], k -> new ArrayList<>()).add(w[2]);
                }
            }
        }
        List<Op> ops = of(cluster, map);
        MergeChecks checks = merging == null ? null : new MergeChecks(merging, merges(cluster, map), ops);
        List<ReadChecks.Finding> findings = findings(ops, finals, copies, expectedCopies, excused, checks);
        return new Verdict(counts(ops), finals.values().stream().filter(Objects::nonNull).count(), finals.size(),
                findings.stream().filter(ReadChecks.Finding::violation).map(ReadChecks.Finding::message).toList(),
                findings, ReadChecks.table(ops, findings, phases));
    }

    /** The lines a node printed in answer to {@code command}, up to the one that starts with {@code keyword}. */
    private static List<String> answer(NodeProcess node, String command, String keyword) {
        int from = node.mark();
        node.ask(command, keyword, java.time.Duration.ofSeconds(60));
        return node.tail(Integer.MAX_VALUE).subList(from, node.mark());
    }

    /** Waits until the history of {@code cluster} has at least {@code more} operations beyond what it has now. */
    static void awaitMore(ProcessCluster cluster, int more) {
        int now = of(cluster).size();
        org.awaitility.Awaitility.await("history grows by " + more).atMost(java.time.Duration.ofSeconds(120))
                .pollInterval(java.time.Duration.ofMillis(500)).until(() -> of(cluster).size() >= now + more);
    }

    /** Counts of the history, for the report: operations, and per outcome. */
    static Map<String, Long> counts(List<Op> ops) {
        Map<String, Long> c = new TreeMap<>();
        for (Op o : ops) {
            c.merge("ops", 1L, Long::sum);
            c.merge(o.op() + "." + (o.finished() ? o.outcome() : "unfinished"), 1L, Long::sum);
        }
        return c;
    }

    /**
     * The checks; returns every violation found (empty when the history passes).
     *
     * @param finals         each key's value as read at the end (null: absent)
     * @param copies         each key's values in the copies the nodes hold, one per copy
     * @param expectedCopies how many copies each present key must have
     */
    static List<String> check(List<Op> ops, Map<String, String> finals, Map<String, List<String>> copies,
                              int expectedCopies) {
        return findings(ops, finals, copies, expectedCopies, o -> false, null).stream().filter(ReadChecks.Finding::violation)
                .map(ReadChecks.Finding::message).toList();
    }

    /**
     * Every finding: the checks of {@link #check}, then stale reads and resurrections ({@link ReadChecks}); stale reads
     * by operations {@code excused} are findings of kind {@code STALE_EXCUSED}, not violations; for a map both sides of
     * a split write ({@code merges} non-null), what a merge's policy discarded is {@code MERGED_AWAY}, and what one side
     * did not see of the other's writes while split is {@code STALE_EXCUSED}.
     */
    static List<ReadChecks.Finding> findings(List<Op> ops, Map<String, String> finals, Map<String, List<String>> copies,
                                             int expectedCopies, java.util.function.Predicate<Op> excused,
                                             MergeChecks merges) {
        ReadChecks.Findings violations = new ReadChecks.Findings(merges);
        Map<String, Op> byId = new HashMap<>();
        Map<String, List<Op>> byKey = new HashMap<>();
        for (Op o : ops) {
            byId.put(o.id(), o);
            byKey.computeIfAbsent(o.key(), k -> new ArrayList<>()).add(o);
        }
        // every copy agrees with the value read, and a present key has all its copies
        for (Map.Entry<String, String> f : finals.entrySet()) {
            List<String> held = copies.getOrDefault(f.getKey(), List.of());
            if (f.getValue() == null ? !held.isEmpty()
                    : held.size() != expectedCopies || held.stream().anyMatch(v -> !v.equals(f.getValue()))) {
                violations.add("copies of " + f.getKey() + " are " + held + " but it reads " + f.getValue());
            }
        }
        for (Map.Entry<String, String> f : finals.entrySet()) {
            List<Op> onKey = byKey.getOrDefault(f.getKey(), List.of());
            String value = f.getValue();
            if (value != null) {
                Op y = byId.get(value);
                if (y == null || !y.key().equals(f.getKey())) {
                    violations.add(f.getKey() + " holds " + value + ", which no operation on it wrote");
                    continue;
                }
                if (!y.mayHaveWritten()) {
                    violations.add(y.refused() ? ReadChecks.Kind.REFUSED_VISIBLE : ReadChecks.Kind.OTHER, y,
                            f.getKey() + " holds " + value + ", written by a refused " + y);
                }
                // a write acknowledged that began after y ended would have replaced y's value
                for (Op z : onKey) {
                    if (z.wrote() && z.t0() > y.t1()) {
                        violations.add(z.op().equals("del") ? ReadChecks.Kind.RESURRECTED : ReadChecks.Kind.LOST, z,
                                f.getKey() + ": acknowledged " + z + " is lost; the key holds older " + y);
                        break;
                    }
                }
            } else {
                boolean explained = onKey.stream().noneMatch(Op::wrote);
                for (Op d : onKey) {
                    if (d.op().equals("del") && d.mayHaveWritten()
                            && onKey.stream().noneMatch(z -> z.wrote() && !z.op().equals("del") && z.t0() > d.t1())) {
                        explained = true;
                        break;
                    }
                }
                if (!explained) {
                    Op last = onKey.stream().filter(z -> z.wrote() && !z.op().equals("del"))
                            .max(java.util.Comparator.comparingLong(Op::t1)).orElse(null);
                    violations.add(ReadChecks.Kind.LOST, last,
                            f.getKey() + " is absent, but no remove explains it after its acknowledged writes (last " + last + ")");
                }
            }
        }
        // each value is taken away at most once (a value is written once), and only a value that was written; with
        // both sides of a split writing, once on each side, and again where a merge discarded the first taking
        Map<String, Op> consumed = new HashMap<>();
        for (Op o : ops) {
            String took = o.wrote() && o.op().equals("del") ? o.returned() : o.wrote() && o.op().equals("cas") ? o.arg() : null;
            Op first = took == null ? null : consumed.put(took, o);
            if (first != null && (merges == null
                    || !(merges.onEachSide(first, o) || merges.discarded(first) || merges.discarded(o)))) {
                violations.add(ReadChecks.Kind.OTHER, o, "value " + took + " was removed or replaced twice; the second time by " + o);
            }
            boolean returnsValue = o.outcome().equals("ok") && (o.op().equals("get") || o.op().equals("pia")
                    || o.op().equals("del")) && !o.returned().equals("null");
            if (returnsValue) {
                Op w = byId.get(o.returned());
                if (w == null || !w.key().equals(o.key()) || !w.mayHaveWritten() || w.t0() > o.t1()) {
                    boolean refused = w != null && w.key().equals(o.key()) && w.refused() && w.t0() <= o.t1();
                    violations.add(refused ? ReadChecks.Kind.REFUSED_VISIBLE : ReadChecks.Kind.OTHER, o,
                            o + " returned " + o.returned() + ", which was not written to " + o.key()
                            + " before it returned" + (w == null ? "" : " (" + w + ")"));
                }
            }
        }
        // fences: a write with a lower fence that began after a higher one was acknowledged is refused, and the value
        // left is from a write whose fence is at least every acknowledged one
        for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
            List<Op> fenced = e.getValue().stream().filter(o -> o.op().equals("fset") && !o.arg().equals("-")).toList();
            if (fenced.isEmpty()) {
                continue;
            }
            long highestAcked = 0;
            for (Op b : fenced) {
                if (!b.wrote()) {
                    continue;
                }
                highestAcked = Math.max(highestAcked, b.token());
                for (Op a : fenced) {
                    if (a.wrote() && a.token() > b.token() && a.t1() < b.t0()) {
                        violations.add(ReadChecks.Kind.OTHER, b, e.getKey() + ": " + b + " was accepted after " + a
                                + " with a higher fence");
                        break;
                    }
                }
            }
            String value = finals.get(e.getKey());
            Op y = value == null ? null : byId.get(value);
            if (highestAcked > 0 && (y == null || !Objects.equals(y.op(), "fset") || y.token() < highestAcked)) {
                violations.add(e.getKey() + " holds " + y + ", below the highest acknowledged fence " + highestAcked);
            }
        }
        ReadChecks.staleReads(ops, byId, byKey, (g, w) -> excused.test(g) || (merges != null && merges.explains(g, w)),
                violations);
        return violations.all();
    }
}
