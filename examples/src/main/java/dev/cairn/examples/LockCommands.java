package dev.cairn.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;

import dev.cairn.GridException;
import dev.cairn.NoQuorumException;
import dev.cairn.grid.Grid;
import dev.cairn.grid.GridMap;
import dev.cairn.locks.DeadlockException;
import dev.cairn.locks.FencedLock;
import dev.cairn.locks.LockOwnershipLostException;
import dev.cairn.locks.LockSnapshot;
import dev.cairn.Fence;
import dev.cairn.StaleFenceException;

/**
 * The node console's lock commands, and the fault injection the lock tests drive: every answer is a line that starts
 * with a keyword, so that a launcher (tests, demo, benchmarks) can wait for it. Times printed are
 * {@code System.nanoTime()}, which on Linux is one clock for every process on the machine.
 */
final class LockCommands {
    private final Grid grid;
    private final PrintStream out;
    private final String node;
    /** Named worker threads: a lock is owned by (node, thread), so each worker is one owner. */
    private final Map<String, ExecutorService> workers = new ConcurrentHashMap<>();
    private final List<Thread> lockers = new ArrayList<>();
    private final AtomicBoolean lockersStopping = new AtomicBoolean();
    private FencedLeader leader;

    LockCommands(Grid grid, PrintStream out) {
        this.grid = grid;
        this.out = out;
        this.node = grid.localMember().name();
    }

    static String help() {
        return """
                  locks                       every lock with its holders, waiters and fence (needs a lock group)
                  lockleader                  the lock group's leader as this node sees it
                  lockstate <lock>            LOCKSTATE <lock> holders=<node/thread,..> waiters=<..> fence=<f>
                  hold <worker> <lock> [mutex|read|write]     a named worker thread acquires (HELD, DEADLOCK or FAILED)
                  release <worker> <lock> [mutex|read|write]  that worker releases it (RELEASED or FAILED)
                  locker start <lock> <threads> <hold-ms> [fenced-map] | locker stop
                                              threads that take and release the lock, printing each hold as HIST lines
                  leader start <lock> <map> <key> <every-ms> | leader stop
                                              run for leadership; the leader writes <key> with its fence (LEADER, WROTE, FENCED)
                  lockbench <threads> <seconds>   uncontended lock+unlock, one lock per thread: LOCKBENCH ops/s and latency
                  cut | reconnect             drop all cluster traffic to and from this node (both channels), or stop
                  cut-from <member,...>       drop traffic from those members and unicasts to them (run on both sides
                                              of a split, each naming the other); reconnect undoes it""";
    }

    /** Runs a command if it is a lock command; false if not. */
    boolean run(String[] w) {
        switch (w[0]) {
            case "locks" -> {
                List<LockSnapshot> all = grid.locks().snapshot();
                out.println("LOCKS " + all.size());
                all.forEach(l -> out.println("  " + l));
            }
            case "lockstate" -> {
                need(w, 2, "lockstate <lock>");
                LockSnapshot l = grid.locks().snapshot().stream().filter(x -> x.name().equals(w[1])).findFirst().orElse(null);
                out.println("LOCKSTATE " + w[1] + (l == null ? " holders= waiters= fence=0"
                        : " holders=" + String.join(",", l.holders()) + " waiters=" + String.join(",", l.waiters())
                        + " fence=" + l.fence()));
            }
            case "lockleader" -> {
                String l = grid.locks().leader();
                out.println("LOCKLEADER " + (l == null ? "none" : l));
            }
            case "hold" -> {
                need(w, 3, "hold <worker> <lock> [mutex|read|write]");
                hold(w[1], w[2], w.length > 3 ? w[3] : "mutex");
            }
            case "release" -> {
                need(w, 3, "release <worker> <lock> [mutex|read|write]");
                release(w[1], w[2], w.length > 3 ? w[3] : "mutex");
            }
            case "locker" -> locker(w);
            case "leader" -> leader(w);
            case "lockbench" -> {
                need(w, 3, "lockbench <threads> <seconds>");
                lockBench(Integer.parseInt(w[1]), Double.parseDouble(w[2]));
            }
            case "cut" -> {
                grid.diagnostics().cutOff();
                out.println("CUT " + node);
            }
            case "cut-from" -> {
                need(w, 2, "cut-from <member,...>");
                List<String> from = List.of(w[1].split(","));
                grid.diagnostics().cutFrom(from);
                out.println("CUTFROM " + node + " " + String.join(",", from));
            }
            case "reconnect" -> {
                grid.diagnostics().reconnect();
                out.println("RECONNECTED " + node);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void need(String[] w, int n, String usage) {
        if (w.length < n) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    private Lock lockOf(String name, String side) {
        return switch (side) {
            case "mutex" -> grid.lock(name);
            case "read" -> grid.readWriteLock(name).readLock();
            case "write" -> grid.readWriteLock(name).writeLock();
            default -> throw new IllegalArgumentException("lock side must be mutex, read or write, not '" + side + "'");
        };
    }

    private ExecutorService worker(String name) {
        return workers.computeIfAbsent(name, n -> Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "worker-" + n);
            t.setDaemon(true);
            return t;
        }));
    }

    /**
     * The worker acquires in the background: {@code ASKED} at once, then {@code HELD <worker> <lock> fence=<f>},
     * {@code DEADLOCK <worker> <lock> in-ms=<ms> <cycle>} or {@code FAILED <worker> <lock> <error>}.
     */
    private void hold(String workerName, String lockName, String side) {
        Lock lock = lockOf(lockName, side);
        worker(workerName).execute(() -> {
            long start = System.nanoTime();
            try {
                long fence;
                if (lock instanceof FencedLock f) {
                    fence = f.lockAndGetFence();
                } else {
                    lock.lock();
                    fence = 0;
                }
                out.printf("HELD %s %s fence=%d%n", workerName, lockName, fence);
            } catch (DeadlockException e) {
                out.printf(Locale.ROOT, "DEADLOCK %s %s in-ms=%.1f %s%n", workerName, lockName, (System.nanoTime() - start) / 1e6,
                        e.getMessage());
            } catch (RuntimeException e) {
                out.printf("FAILED %s %s %s: %s%n", workerName, lockName, e.getClass().getSimpleName(), e.getMessage());
            }
        });
        out.printf("ASKED %s %s %s%n", workerName, lockName, side);
    }

    private void release(String workerName, String lockName, String side) {
        Lock lock = lockOf(lockName, side);
        worker(workerName).execute(() -> {
            try {
                lock.unlock();
                out.printf("RELEASED %s %s%n", workerName, lockName);
            } catch (RuntimeException e) {
                out.printf("FAILED %s %s %s: %s%n", workerName, lockName, e.getClass().getSimpleName(), e.getMessage());
            }
        });
    }

    /**
     * Background threads that take the lock, hold it, and release it, printing every hold:
     * {@code HIST <node> <thread> lock=<name> fence=<f> acquired=<ns> released=<ns>}, or {@code lost=<ns>} when the
     * release found the lock gone (session expired), or {@code unknown=<ns>} when the release never got an answer.
     * With a map, each hold ends by writing its fence to the key named after the lock, with that fence, and the line
     * adds {@code write=<ok|stale|noquorum|failed> ws=<ns> we=<ns>} (when the write began and ended).
     */
    private void locker(String[] w) {
        need(w, 2, "locker start <lock> <threads> <hold-ms> [fenced-map] | locker stop");
        if (w[1].equals("stop")) {
            lockersStopping.set(true);
            for (Thread t : lockers) {
                try {
                    t.join(60_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            lockers.clear();
            out.println("LOCKERS stopped");
            return;
        }
        need(w, 5, "locker start <lock> <threads> <hold-ms> [fenced-map]");
        FencedLock lock = grid.lock(w[2], 1);
        GridMap<String, String> fenced = w.length > 5 ? grid.map(w[5]) : null;
        int threads = Integer.parseInt(w[3]);
        long holdNanos = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(w[4]));
        lockersStopping.set(false);
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                while (!lockersStopping.get()) {
                    long fence;
                    try {
                        fence = lock.lockAndGetFence();
                    } catch (GridException e) {
                        out.println("HISTERR " + node + " acquire " + e.getClass().getSimpleName() + ": " + e.getMessage());
                        continue;
                    }
                    long acquired = System.nanoTime();
                    LockSupport.parkNanos(holdNanos);
                    String write = "";
                    if (fenced != null) {
                        long ws = System.nanoTime();
                        String outcome;
                        try {
                            fenced.set(lock.name(), node + " fence " + fence, new Fence(lock.name(), fence));
                            outcome = "ok";
                        } catch (StaleFenceException e) {
                            outcome = "stale";
                        } catch (NoQuorumException e) {
                            outcome = "noquorum";
                        } catch (GridException e) {
                            outcome = "failed";
                        }
                        write = " write=" + outcome + " ws=" + ws + " we=" + System.nanoTime();
                    }
                    // each unlock is retried by the client with one invocation id through leader changes; one that
                    // still finds no answer (no majority for the whole command timeout) is tried again, as an
                    // application would. An earlier attempt may have been applied with its answer lost, so the hold
                    // ends no earlier than the first attempt began: that is the end the history check uses
                    String how = "unknown";
                    long releasing = System.nanoTime();
                    String error = "";
                    for (int attempt = 0; attempt < 5 && how.equals("unknown"); attempt++) {
                        try {
                            lock.unlock();
                            how = "released";
                        } catch (LockOwnershipLostException | IllegalMonitorStateException e) {
                            how = "lost";
                        } catch (GridException e) {
                            error = " error=" + e.getClass().getSimpleName();
                        }
                    }
                    out.printf("HIST %s %d lock=%s fence=%d acquired=%d %s=%d%s%s%n", node, Thread.currentThread().getId(),
                            lock.name(), fence, acquired, how, releasing, write, how.equals("unknown") ? error : "");
                }
            }, "locker-" + t);
            th.setDaemon(true);
            th.start();
            lockers.add(th);
        }
        out.println("LOCKERS started");
    }

    /**
     * Runs for leader with {@link FencedLeader}, printing what happens: {@code LEADER <node> fence=<f>} when elected,
     * {@code WROTE <node> fence=<f> n=<n>} per write, {@code FENCED <node> fence=<f>} when a write is refused because a
     * later leader wrote with a higher fence, then {@code RESIGNED} or {@code LOST} (its session, and so the lock, was
     * already gone) as it gives the lock back and runs again.
     */
    private void leader(String[] w) {
        need(w, 2, "leader start <lock> <map> <key> <every-ms> | leader stop");
        if (w[1].equals("stop")) {
            if (leader != null) {
                leader.close();
            }
            leader = null;
            out.println("LEADERSHIP stopped");
            return;
        }
        need(w, 6, "leader start <lock> <map> <key> <every-ms>");
        if (leader != null) {
            throw new IllegalArgumentException("already running for leadership; leader stop first");
        }
        leader = new FencedLeader(grid.lock(w[2], 1), grid.map(w[3]), w[4], Duration.ofMillis(Long.parseLong(w[5])), node,
                new FencedLeader.Events() {
                    @Override
                    public void elected(long fence) {
                        out.printf("LEADER %s fence=%d%n", node, fence);
                    }

                    @Override
                    public void wrote(long fence, long n) {
                        out.printf("WROTE %s fence=%d n=%d%n", node, fence, n);
                    }

                    @Override
                    public void fenced(long fence, StaleFenceException e) {
                        out.printf("FENCED %s fence=%d %s%n", node, fence, e.getMessage());
                    }

                    @Override
                    public void resigned(long fence) {
                        out.printf("RESIGNED %s fence=%d%n", node, fence);
                    }

                    @Override
                    public void lost(long fence, RuntimeException e) {
                        out.printf("LOST %s fence=%d %s%n", node, fence, e.getMessage());
                    }

                    @Override
                    public void failed(String what, GridException e) {
                        out.printf("LEADERERR %s %s %s: %s%n", node, what, e.getClass().getSimpleName(), e.getMessage());
                    }
                }).start();
        out.println("LEADERSHIP started");
    }

    /**
     * Uncontended lock+unlock: each thread its own lock ({@code bench-<node>-<t>}), measured by the same loop as the
     * peers' locks in the side-by-side benchmark ({@link Load#lockBench}): one {@code LOCKBENCH} line.
     */
    private void lockBench(int threads, double seconds) {
        List<FencedLock> locks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            locks.add(grid.lock("bench-" + node + "-" + t, 1));
        }
        Load.lockBench(t -> Load.lockTarget(locks.get(t)::lock, locks.get(t)::unlock), out, threads, seconds);
    }
}
