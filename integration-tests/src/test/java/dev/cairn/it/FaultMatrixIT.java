package dev.cairn.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Issue 13's fault matrix: five JVMs on 127.0.0.1 expecting five, writers and readers on every node (the console's
 * {@code history}), through each fault in turn, each its own phase: a SIGKILL of a primary and its restart, a SIGSTOP
 * past the failure timeout and SIGCONT, one node cut off from all and healed, a 2/3 split healed while writes go on,
 * and a rolling restart of every node. The whole history is judged in the test JVM ({@link MapHistory},
 * {@link ReadChecks}): no acknowledged write lost, no stale read (as the map's kind defines it), no removed key
 * resurrected, every copy agreeing; the per-phase table is printed whatever the outcome.
 */
@ExtendWith(ClusterExtension.class)
class FaultMatrixIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration STEP = Duration.ofSeconds(30);
    private static final int KEYS = 60;
    /** Operations each phase must add to the history before its fault is undone or the next one begins. */
    private static final int PER_PHASE = 700;
    private static final List<String> NODES = List.of("n1", "n2", "n3", "n4", "n5");
    private static final List<String> MINORITY = List.of("n1", "n2");
    private static final List<String> MAJORITY = List.of("n3", "n4", "n5");

    /** The kinds of map the matrix runs, each in a run of its own; a kind may run several maps at once. */
    enum Kind {
        /** Reads and writes need a majority: a minority side serves nothing, so every stale read is a violation. */
        QUORUM_READS_AND_WRITES(List.of("hist"), 2, 12, 100, "--map-quorum", "hist=READS_AND_WRITES"),
        /** Writes need a majority; a minority side may serve older reads, so only the majority's reads are judged. */
        QUORUM_WRITES(List.of("hist"), 2, 12, 100, "--map-quorum", "hist=WRITES"),
        /**
         * Five maps writable on both sides of a split ({@code Quorum.NONE}), one per built-in merge policy, in one run:
         * while split, each side reads without the other's writes; an acknowledged write or remove lost at the heal
         * must be one a merge event says the policy discarded ({@link MergeChecks}). No fenced keys: a fence on a map
         * both sides write is the lock group's to guard, and this run has none.
         */
        MERGE_POLICIES(List.of("latest", "absent", "through", "discard", "hits"), 1, 0, 40,
                "--map-quorum", "latest=NONE,absent=NONE,through=NONE,discard=NONE,hits=NONE",
                "--map-merge", "latest=LATEST_UPDATE,absent=PUT_IF_ABSENT,through=PASS_THROUGH,discard=DISCARD,"
                        + "hits=HIGHER_HITS");

        final List<String> maps;
        final int threads;
        final int fencedKeys;
        final int rate;
        final String[] nodeArgs;

        Kind(List<String> maps, int threads, int fencedKeys, int rate, String... nodeArgs) {
            this.maps = maps;
            this.threads = threads;
            this.fencedKeys = fencedKeys;
            this.rate = rate;
            this.nodeArgs = nodeArgs;
        }

        boolean merges() {
            return this == MERGE_POLICIES;
        }
    }

    /** The run as it goes: the phases, and which nodes were on a minority side when. */
    private static final class Run {
        final ProcessCluster cluster;
        final Kind kind;
        final List<ReadChecks.Phase> phases = new ArrayList<>();
        final List<ReadChecks.Window> minority = new ArrayList<>();

        Run(ProcessCluster cluster, Kind kind) {
            this.cluster = cluster;
            this.kind = kind;
        }

        void phase(String name) {
            phases.add(new ReadChecks.Phase(name, System.nanoTime()));
            System.out.println("FaultMatrixIT phase: " + name);
        }

        void more() {
            MapHistory.awaitMore(cluster, PER_PHASE);
        }

        void minority(List<String> nodes, long from) {
            long to = System.nanoTime();
            nodes.forEach(n -> minority.add(new ReadChecks.Window(n, from, to)));
        }

        NodeProcess node(String name) {
            return cluster.node(name);
        }

        void awaitAll() {
            cluster.awaitView(START, NODES.toArray(String[]::new));
        }

        void awaitWithout(String... gone) {
            List<String> rest = new ArrayList<>(NODES);
            rest.removeAll(Arrays.asList(gone));
            cluster.awaitView(START, rest.toArray(String[]::new));
        }
    }

    private static void startHistory(Kind kind, NodeProcess node) {
        for (String map : kind.maps) {
            node.ask("history start " + map + " " + kind.threads + " " + KEYS + " " + kind.fencedKeys + " " + kind.rate,
                    "HISTORY", STEP);
        }
    }

    private static void restart(Run run, String name) {
        NodeProcess p = run.cluster.startNode(name);
        p.awaitReady(START);
        run.awaitAll();
        startHistory(run.kind, p);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    @Timeout(value = 240, unit = TimeUnit.SECONDS) // each kind takes 125-160 s on 2 cores
    void noAcknowledgedWriteLostNoStaleReadNoResurrectionThroughEveryFault(Kind kind, ProcessCluster cluster) {
        List<String> args = new ArrayList<>(List.of("--expected", "5", "--failure-timeout", "3s"));
        args.addAll(Arrays.asList(kind.nodeArgs));
        cluster.withNodeArgs(args.toArray(String[]::new));
        Run run = new Run(cluster, kind);
        cluster.start(NODES.toArray(String[]::new));
        run.awaitAll();
        MapIT.awaitSettled(cluster, START, NODES.toArray(String[]::new));
        run.phase("steady state");
        NODES.forEach(n -> startHistory(kind, cluster.node(n)));
        run.more();

        // SIGKILL of n2, primary of a fifth of the partitions, with its operations in flight; then it comes back
        run.phase("SIGKILL n2");
        run.node("n2").kill();
        run.awaitWithout("n2");
        run.more();
        run.phase("n2 restarted");
        restart(run, "n2");
        run.more();

        // SIGSTOP of n3 past the failure timeout: the others take over its partitions; then it runs on
        run.phase("SIGSTOP n3");
        run.node("n3").pause();
        run.awaitWithout("n3");
        run.more();
        run.phase("SIGCONT n3");
        run.node("n3").resume();
        run.awaitAll();
        run.more();

        // n4 cut off from every other node, then healed while the writers run on
        run.phase("n4 cut off");
        long cut = System.nanoTime();
        run.node("n4").ask("cut", "CUT", STEP);
        run.awaitWithout("n4");
        cluster.awaitView(START, "n4");
        run.more();
        run.phase("n4 healed");
        run.node("n4").ask("reconnect", "RECONNECTED", STEP);
        run.awaitAll();
        run.minority(List.of("n4"), cut);
        run.more();

        // a 2/3 split, each side cut from the other, then healed while the writers run on
        run.phase("split n1,n2 | n3,n4,n5");
        long split = System.nanoTime();
        MINORITY.forEach(n -> run.node(n).ask("cut-from " + String.join(",", MAJORITY), "CUTFROM", STEP));
        MAJORITY.forEach(n -> run.node(n).ask("cut-from " + String.join(",", MINORITY), "CUTFROM", STEP));
        cluster.awaitView(START, MAJORITY.toArray(String[]::new));
        cluster.awaitView(START, MINORITY.toArray(String[]::new));
        run.more();
        run.phase("split healed");
        NODES.forEach(n -> run.node(n).ask("reconnect", "RECONNECTED", STEP));
        run.awaitAll();
        run.minority(MINORITY, split);
        run.more();

        // a rolling restart of every node, one at a time
        run.phase("rolling restart");
        for (String name : NODES) {
            run.node(name).quit(START);
            run.awaitWithout(name);
            restart(run, name);
            MapHistory.awaitMore(cluster, PER_PHASE / 3);
        }

        for (String name : NODES) {
            run.node(name).ask("history stop", "HISTORY stopped", Duration.ofSeconds(90));
        }
        run.phase("after the writers stopped");
        MapIT.awaitSettled(cluster, Duration.ofSeconds(90), NODES.toArray(String[]::new));

        Predicate<MapHistory.Op> excused = kind == Kind.QUORUM_WRITES
                ? o -> run.minority.stream().anyMatch(w -> w.covers(o)) : o -> false;
        MergeChecks.Splits splits = kind.merges() ? new MergeChecks.Splits(run.minority) : null;
        java.util.Map<String, Long> perPhase = MapHistory.of(cluster).stream()
                .collect(Collectors.groupingBy(o -> ReadChecks.phaseName(o, run.phases), Collectors.counting()));
        List<String> failures = new ArrayList<>();
        for (String map : kind.maps) {
            MapHistory.Verdict verdict = MapHistory.judge(cluster, map, KEYS, kind.fencedKeys, NODES, 2, run.phases,
                    excused, splits);
            String merges = kind.merges() ? ", merge events " + MapHistory.merges(cluster, map).stream()
                    .collect(Collectors.groupingBy(MergeChecks.Merge::outcome, java.util.TreeMap::new,
                            Collectors.counting())) : "";
            System.out.println("FaultMatrixIT " + kind + " map " + map + ": " + verdict + merges + "\n"
                    + verdict.table() + examples(verdict, run.phases));
            if (verdict.ops() < 5_000) {
                failures.add(map + ": a history of thousands of operations: " + verdict);
            }
            if (kind.merges() && MapHistory.merges(cluster, map).isEmpty()) {
                failures.add(map + ": no merge event: the splits healed without merging anything this map wrote");
            }
            if (!verdict.violations().isEmpty()) {
                failures.add(map + ": " + verdict.violations().size() + " violations\n" + verdict.table()
                        + examples(verdict, run.phases));
            }
        }
        for (ReadChecks.Phase p : run.phases.subList(0, run.phases.size() - 1)) {
            assertTrue(perPhase.getOrDefault(p.name(), 0L) >= PER_PHASE / 2, "hundreds of operations in each phase: " + perPhase);
        }
        assertTrue(failures.isEmpty(), kind + ": " + String.join("\n", failures));
    }

    /** Up to three findings of each kind, for the report. */
    private static String examples(MapHistory.Verdict verdict, List<ReadChecks.Phase> phases) {
        return Arrays.stream(ReadChecks.Kind.values()).filter(k -> !verdict.of(k).isEmpty())
                .map(k -> k + " (" + verdict.of(k).size() + "):\n" + verdict.of(k).stream().limit(3)
                        .map(f -> "  [" + (f.op() == null ? "end" : ReadChecks.phaseName(f.op(), phases)) + "] "
                                + f.message()).collect(Collectors.joining("\n")))
                .collect(Collectors.joining("\n"));
    }
}
