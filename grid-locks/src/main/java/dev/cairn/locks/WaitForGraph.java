package dev.cairn.locks;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import dev.cairn.locks.LockStateMachine.Entry;
import dev.cairn.locks.LockStateMachine.Owner;
import dev.cairn.locks.LockStateMachine.Waiter;

/**
 * The cluster-wide wait-for graph of the lock state (DESIGN.md: deadlock detection), derived from the waiter queues:
 * an owner waits for the holders of its lock that conflict with its mode and for the conflicting waiters queued
 * before it. A request that would wait is refused when a path of such edges leads from its blockers back to it.
 */
final class WaitForGraph {
    /** One edge of a deadlock cycle: {@code waiter} waits for {@code lock} because of {@code blocker}. */
    private record Hop(Owner waiter, Entry lock, boolean write, Owner blocker) { }

    private final Map<Owner, Entry> waiting;
    private final Function<Owner, String> describe;

    /**
     * @param waiting  the lock each waiting owner waits for (the state machine's, kept current by it)
     * @param describe an owner as the deadlock's text names it
     */
    WaitForGraph(Map<Owner, Entry> waiting, Function<Owner, String> describe) {
        this.waiting = waiting;
        this.describe = describe;
    }

    /** The cycle a wait of {@code requester} for {@code e} in {@code write} mode would close, as text; null for none. */
    String cycleClosedBy(Owner requester, Entry e, boolean write) {
        List<Hop> cycle = findCycle(requester, e, write);
        return cycle == null ? null : cycleText(cycle);
    }

    /** Whom {@code o} waits for on {@code e} in {@code write} mode: conflicting holders, then conflicting waiters ahead. */
    private static List<Owner> blockers(Entry e, Owner o, boolean write) {
        List<Owner> blockers = new ArrayList<>();
        if (e.writer != null && !e.writer.equals(o)) {
            blockers.add(e.writer);
        }
        if (write) {
            for (Owner r : e.readers.keySet()) {
                if (!r.equals(o)) {
                    blockers.add(r);
                }
            }
        }
        for (Waiter w : e.waiters) {
            if (w.owner().equals(o)) {
                break;
            }
            if ((write || w.write()) && !blockers.contains(w.owner())) {
                blockers.add(w.owner());
            }
        }
        return blockers;
    }

    private List<Hop> findCycle(Owner requester, Entry e, boolean write) {
        Set<Owner> visited = new HashSet<>();
        List<Hop> path = new ArrayList<>();
        for (Owner b : blockers(e, requester, write)) {
            path.add(new Hop(requester, e, write, b));
            if (reaches(b, requester, path, visited)) {
                return path;
            }
            path.remove(path.size() - 1);
        }
        return null;
    }

    private boolean reaches(Owner from, Owner target, List<Hop> path, Set<Owner> visited) {
        if (from.equals(target)) {
            return true;
        }
        if (!visited.add(from)) {
            return false;
        }
        Entry e = waiting.get(from);
        if (e == null) {
            return false;
        }
        boolean write = true;
        for (Waiter w : e.waiters) {
            if (w.owner().equals(from)) {
                write = w.write();
                break;
            }
        }
        for (Owner b : blockers(e, from, write)) {
            path.add(new Hop(from, e, write, b));
            if (reaches(b, target, path, visited)) {
                return true;
            }
            path.remove(path.size() - 1);
        }
        return false;
    }

    private String cycleText(List<Hop> cycle) {
        StringBuilder text = new StringBuilder("deadlock: ");
        for (Hop h : cycle) {
            text.append(describe.apply(h.waiter())).append(" waits for ");
            if (h.lock().readWrite) {
                text.append(h.write() ? "the write lock of " : "the read lock of ");
            }
            text.append(h.lock().label());
            boolean holds = h.blocker().equals(h.lock().writer) || h.lock().readers.containsKey(h.blocker());
            text.append(holds ? " held by " : " queued behind ").append(describe.apply(h.blocker())).append("; ");
        }
        text.setLength(text.length() - 2);
        return text.toString();
    }
}
