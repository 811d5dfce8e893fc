package dev.cairn.examples.launch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives the console's lock commands ({@code hold}, {@code release}, {@code lockstate}) on node JVMs and reads their
 * answers: one place for the demo, the lock benchmark and the integration tests. Each answer is the console line
 * ({@code HELD w A fence=7 ...}, {@code DEADLOCK ...}, {@code FAILED ...}, {@code RELEASED ...}).
 */
public final class LockDrill {
    private static final Pattern FENCE = Pattern.compile(".* fence=(\\d+).*");
    private static final Pattern DETECTED_IN = Pattern.compile(".* in-ms=([\\d.]+).*");

    private final Duration step;

    /** @param step how long to wait for each answer */
    public LockDrill(Duration step) {
        this.step = step;
    }

    /** Asks a worker on {@code node} to acquire; returns the console mark from which to await its answer. */
    public int ask(NodeProcess node, String worker, String lock, String side) {
        int mark = node.mark();
        node.ask("hold " + worker + " " + lock + " " + side, "ASKED", step);
        return mark;
    }

    /** Waits for the outcome of an {@link #ask}: a HELD, DEADLOCK or FAILED line. */
    public String answer(NodeProcess node, int mark, String worker, String lock) {
        return node.awaitLine(mark, t -> t.matches("(HELD|DEADLOCK|FAILED) " + Pattern.quote(worker + " " + lock) + "( .*)?"),
                step).text();
    }

    /** Asks and waits for the outcome, whatever it is. */
    public String hold(NodeProcess node, String worker, String lock, String side) {
        return answer(node, ask(node, worker, lock, side), worker, lock);
    }

    /** Asks, and returns the HELD line; anything else is an {@link IllegalStateException}. */
    public String held(NodeProcess node, String worker, String lock, String side) {
        String line = hold(node, worker, lock, side);
        if (!line.startsWith("HELD")) {
            throw new IllegalStateException(node.name() + " did not get " + lock + " (" + side + "): " + line);
        }
        return line;
    }

    /** Releases; returns the RELEASED line, anything else is an {@link IllegalStateException}. */
    public String release(NodeProcess node, String worker, String lock, String side) {
        int mark = node.mark();
        node.send("release " + worker + " " + lock + " " + side);
        String line = node.awaitLine(mark, t -> t.matches("(RELEASED|FAILED) " + Pattern.quote(worker + " " + lock) + "( .*)?"),
                step).text();
        if (!line.startsWith("RELEASED")) {
            throw new IllegalStateException(node.name() + " could not release " + lock + ": " + line);
        }
        return line;
    }

    /** The lock group's state of {@code lock}, as {@code observer} reads it (a LOCKSTATE line). */
    public String state(NodeProcess observer, String lock) {
        return observer.ask("lockstate " + lock, "LOCKSTATE", step);
    }

    /** Each member's lock-group leader as it reports it ({@code none} while it knows of none), in the members' order. */
    public List<String> leaders(ProcessCluster cluster, List<String> members) {
        List<String> leaders = new ArrayList<>();
        for (String m : members) {
            leaders.add(cluster.node(m).ask("lockleader", "LOCKLEADER", step).substring("LOCKLEADER ".length()));
        }
        return leaders;
    }

    /** Waits until {@code observer} sees an owner on {@code node} among the waiters of {@code lock}; returns that state. */
    public String awaitWaiting(NodeProcess observer, String node, String lock) {
        long deadline = System.nanoTime() + step.toNanos();
        while (true) {
            String line = state(observer, lock);
            if (line.substring(line.indexOf("waiters=")).contains(node + "/")) {
                return line;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(node + " never showed as waiting for " + lock + ": " + line);
            }
            observer.awaitIdle(Duration.ofMillis(20));
        }
    }

    /** The fence of a HELD line. */
    public static long fenceOf(String heldLine) {
        Matcher m = FENCE.matcher(heldLine);
        if (!m.matches()) {
            throw new IllegalArgumentException("no fence in: " + heldLine);
        }
        return Long.parseLong(m.group(1));
    }

    /** What a {@link #deadlock} run saw, line by line. */
    public record Deadlock(List<String> held, List<String> waiting, String refused, List<String> finished) {
        /** How long the group took to refuse the victim, as the victim saw it. */
        public double detectionMillis() {
            Matcher m = DETECTED_IN.matcher(refused);
            if (!m.matches()) {
                throw new IllegalArgumentException("no detection time in: " + refused);
            }
            return Double.parseDouble(m.group(1));
        }
    }

    /**
     * A deadlock: each owner i (worker {@code worker} on node {@code owners[i]}) takes {@code locks[i]} on its
     * {@code holdSides[i]} side, then each but the last asks for the next one's lock ({@code askSides[i]}) and waits;
     * the last closes the cycle and must be refused at once while the others keep waiting. The victim then backs off
     * and the others finish in turn, from the last waiter back. Any other course is an {@link IllegalStateException}.
     * {@code observer} reads the waiters.
     */
    public Deadlock deadlock(ProcessCluster cluster, List<String> owners, String worker, List<String> locks,
                             List<String> holdSides, List<String> askSides, NodeProcess observer) {
        int n = owners.size();
        List<String> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            held.add(held(cluster.node(owners.get(i)), worker, locks.get(i), holdSides.get(i)));
        }
        List<Integer> marks = new ArrayList<>();
        List<String> waiting = new ArrayList<>();
        for (int i = 0; i < n - 1; i++) {
            marks.add(ask(cluster.node(owners.get(i)), worker, locks.get(i + 1), askSides.get(i)));
            waiting.add(awaitWaiting(observer, owners.get(i), locks.get(i + 1)));
        }
        NodeProcess victim = cluster.node(owners.get(n - 1));
        String refused = hold(victim, worker, locks.get(0), askSides.get(n - 1));
        if (!refused.startsWith("DEADLOCK")) {
            throw new IllegalStateException(victim.name() + " closed a cycle and was not refused: " + refused);
        }
        for (int i = 0; i < n - 1; i++) {
            NodeProcess p = cluster.node(owners.get(i));
            String next = locks.get(i + 1);
            List<String> since = p.tail(Integer.MAX_VALUE).subList(marks.get(i), p.mark());
            if (since.stream().anyMatch(t -> t.startsWith("DEADLOCK " + worker) || t.startsWith("HELD " + worker + " " + next))) {
                throw new IllegalStateException(p.name() + " was refused or granted " + next + " before the victim backed off: "
                        + since);
            }
        }
        release(victim, worker, locks.get(n - 1), holdSides.get(n - 1));
        List<String> finished = new ArrayList<>();
        for (int i = n - 2; i >= 0; i--) {
            NodeProcess p = cluster.node(owners.get(i));
            String line = answer(p, marks.get(i), worker, locks.get(i + 1));
            if (!line.startsWith("HELD")) {
                throw new IllegalStateException(p.name() + " did not get " + locks.get(i + 1) + " once the victim backed off: "
                        + line);
            }
            finished.add(0, line);
            release(p, worker, locks.get(i + 1), askSides.get(i));
            release(p, worker, locks.get(i), holdSides.get(i));
        }
        return new Deadlock(held, waiting, refused, finished);
    }
}
