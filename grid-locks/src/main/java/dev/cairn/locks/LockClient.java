package dev.cairn.locks;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.Clock;
import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;

/**
 * One node's side of the lock service: its session (opened on first use, kept alive by heartbeats), invocation ids,
 * and delivery of grants to threads that wait. Group members also propose session expiry while they lead, with the
 * leader's clock in the command (DESIGN.md decision 7): replicas never read their own clocks to expire anything.
 */
final class LockClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LockClient.class);

    private final LockService service;
    private final String node;
    private final Duration sessionTimeout;
    /** How long a command is retried through leader changes ({@link LockSettings#commandTimeout()}). */
    private final Duration timeout;
    /**
     * Invocation ids rise per client from a random start: an id, not a time, and OPEN_SESSION is deduplicated by
     * (node, invocation), so a restarted node must not reuse its predecessor's ids.
     */
    private final AtomicLong invocations = new AtomicLong(java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 62));
    /** Where time comes from: the stamps of EXPIRE and a new leader's wait; tryLock deadlines read it too (LockOps). */
    private final Clock clock;
    private final ScheduledExecutorService timer;
    private static final long POLL_MILLIS = 100;
    /** A hint came while a poll was out: poll again when it is answered. */
    private final java.util.concurrent.atomic.AtomicBoolean pollAgain = new java.util.concurrent.atomic.AtomicBoolean();
    private final Map<String, CompletableFuture<LockResult.Grant>> waiters = new HashMap<>();
    private final Map<String, LockResult.Grant> unclaimed = new HashMap<>();
    private long session;
    /** The number of the last grant received in this session, acked by the next poll. */
    private long grantAck;
    private long leaderSince;
    private volatile boolean closed;
    // the timer's tasks run their commands asynchronously, one of each kind at a time, so that a slow heartbeat
    // (a leader change under way) never holds up grant polling or expiry, nor piles up behind itself
    private final java.util.concurrent.atomic.AtomicBoolean beating = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicBoolean polling = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicBoolean expiring = new java.util.concurrent.atomic.AtomicBoolean();
    /**
     * A lock command of a thread that is out, or whose outcome is unknown ({@code abandoned}: no answer within the
     * command timeout, so the caller got an error, yet the group may have applied it). The thread's next call, if it
     * is the same call on the same lock, re-sends it with the same invocation id, so it is applied at most once and its
     * first answer is the one returned. Otherwise it is settled ({@link LockOps#settle}) before the thread's next call
     * on any lock, or on the settling thread soon after: a failed lock call must not leave a hold or a queued wait
     * behind that nobody will give back, since this node's heartbeats keep its session, and so that hold, alive.
     */
    record Pending(LockOps ops, String kind, long session, long invocation, byte[] command, boolean abandoned) {
        Pending abandon() {
            return new Pending(ops, kind, session, invocation, command, true);
        }
    }

    /** Per thread, its command out or abandoned; at most one, since a thread makes one call at a time. */
    final Map<Long, Pending> pending = new java.util.concurrent.ConcurrentHashMap<>();
    /** Per thread: one command at a time, the thread's own or the settling of its abandoned one. */
    private final Map<Long, java.util.concurrent.locks.ReentrantLock> turns = new java.util.concurrent.ConcurrentHashMap<>();
    /** Threads with an abandoned command to settle. */
    private final java.util.Set<Long> abandoned = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicBoolean settling = new java.util.concurrent.atomic.AtomicBoolean();
    /** Settling blocks on the group, so it has its own thread: the timer's heartbeats must never wait behind it. */
    private java.util.concurrent.ExecutorService settler;
    private static final long SETTLE_MILLIS = 1000;

    LockClient(LockService service, String node, Duration sessionTimeout, Duration timeout, Clock clock) {
        this.service = service;
        this.clock = clock;
        this.node = node;
        this.sessionTimeout = sessionTimeout;
        this.timeout = timeout;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-locks-" + node);
            t.setDaemon(true);
            return t;
        });
        // The timer's periods only pace the work, on real time; what decides liveness is the time each EXPIRE carries,
        // read from the clock. A test clock moved forward is seen at the next tick.
        long beat = Math.max(50, sessionTimeout.toMillis() / 3);
        timer.scheduleWithFixedDelay(this::heartbeat, beat, beat, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::proposeExpiry, beat, Math.max(50, sessionTimeout.toMillis() / 4), TimeUnit.MILLISECONDS);
        // the leader hints a waiting node when it grants it a lock (pollSoon); polling on a timer only covers lost hints
        timer.scheduleWithFixedDelay(this::pollGrants, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** This node's session, opened on first use. */
    synchronized long session() {
        if (session == 0) {
            LockResult r = call(LockCommand.openSession(invocations.incrementAndGet(), node));
            if (r.kind() != LockResult.Kind.SESSION_OPENED) {
                throw new GridException("lock group refused a session for '" + node + "': " + r.message());
            }
            session = r.value();
            grantAck = 0;
        }
        return session;
    }

    /** Whether {@code s} is still this node's session as far as it knows (not seen expired, not replaced). */
    synchronized boolean isCurrent(long s) {
        return s == session;
    }

    /** The session expired: every lock held through it is gone. The next call opens a new one. */
    synchronized void sessionExpired(long expired) {
        if (session == expired) {
            session = 0;
        }
        String prefix = expired + ":"; // only that session's waits: a newer session's must go on
        synchronized (waiters) {
            for (var it = waiters.entrySet().iterator(); it.hasNext(); ) {
                var w = it.next();
                if (w.getKey().startsWith(prefix)) {
                    w.getValue().completeExceptionally(new LockOwnershipLostException("the lock session of '" + node
                            + "' expired while waiting"));
                    it.remove();
                }
            }
            unclaimed.keySet().removeIf(k -> k.startsWith(prefix));
        }
    }

    /** Runs a command built for this node's session, with a fresh invocation id. */
    LockResult run(SessionCommand command) {
        long s = session();
        LockResult r = call(command.build(s, invocations.incrementAndGet()));
        if (r.kind() == LockResult.Kind.SESSION_EXPIRED) {
            sessionExpired(s);
        }
        return r;
    }

    /** A command that needs the session and an invocation id. */
    @FunctionalInterface
    interface SessionCommand {
        byte[] build(long session, long invocation);
    }

    /** The clock of this node's lock service. */
    Clock clock() {
        return clock;
    }

    LockResult call(byte[] command) {
        // the service gives up after the command timeout on the clock; this real-time margin only guards against a
        // lost completion (or a test clock that does not move), and stops the service's attempts when it fires
        CompletableFuture<LockResult> answer = callAsync(command);
        try {
            return dev.cairn.membership.Futures.await(answer, timeout.plusSeconds(1), "lock command");
        } catch (GridTimeoutException e) {
            answer.cancel(false);
            throw e;
        }
    }

    private CompletableFuture<LockResult> callAsync(byte[] command) {
        return service.submit(command).thenApply(LockResult::decode);
    }

    /**
     * Runs a background command unless the previous one of its kind is still out, and hands its answer on; failures
     * are logged and left to the next round.
     */
    private void background(java.util.concurrent.atomic.AtomicBoolean inFlight, String what,
                            java.util.function.Supplier<byte[]> command, java.util.function.Consumer<LockResult> onAnswer) {
        if (!inFlight.compareAndSet(false, true)) {
            return;
        }
        try {
            // built only now, with the previous answer of its kind handled: a poll built before that could carry
            // a stale ack and be answered grants already delivered
            callAsync(command.get()).whenComplete((r, error) -> {
                try {
                    if (error != null) {
                        log.debug("{}: {} failed: {}", node, what, error.toString());
                    } else if (!closed) {
                        onAnswer.accept(r); // before the next of its kind may start: a poll's ack must be updated first
                    }
                } finally {
                    inFlight.set(false);
                    if (inFlight == polling && pollAgain.get()) {
                        pollSoon(); // a hint came while this poll was out, maybe for a grant made after it
                    }
                }
            });
        } catch (RuntimeException e) {
            inFlight.set(false);
            log.debug("{}: {} failed: {}", node, what, e.toString());
        }
    }

    /**
     * A future completed when the grant of the wait begun by {@code invocation}, for this lock and thread in this
     * session, arrives (it may already have). Grants of this thread's earlier waits on the lock, given up on, are
     * dropped: they never answer this wait.
     */
    CompletableFuture<LockResult.Grant> awaitGrant(long session, boolean readWrite, String lock, long thread,
                                                   long invocation) {
        String key = key(session, readWrite, lock, thread, invocation);
        synchronized (waiters) {
            LockResult.Grant early = unclaimed.remove(key);
            String sameWait = key.substring(0, key.lastIndexOf('#') + 1);
            unclaimed.keySet().removeIf(k -> k.startsWith(sameWait));
            if (early != null) {
                return CompletableFuture.completedFuture(early);
            }
            return waiters.computeIfAbsent(key, k -> new CompletableFuture<>());
        }
    }

    /** The thread no longer waits for the grant of {@code invocation}: drops its waiter, and the grant if parked. */
    void forgetWaiter(long session, boolean readWrite, String lock, long thread, long invocation) {
        synchronized (waiters) {
            String key = key(session, readWrite, lock, thread, invocation);
            waiters.remove(key);
            unclaimed.remove(key);
        }
    }

    /**
     * A lock call of {@code thread} failed with an unknown outcome: unless the thread calls again first, it is settled
     * in a second or so, on the settling thread, and again each second until the group answers or the session ends.
     */
    void settleLater(long thread) {
        abandoned.add(thread);
        scheduleSettling();
    }

    java.util.concurrent.locks.ReentrantLock turn(long thread) {
        return turns.computeIfAbsent(thread, t -> new java.util.concurrent.locks.ReentrantLock());
    }

    /** Settles the thread's abandoned command unless the thread is in a call of its own; whether none is left. */
    private boolean settleAbandoned(long thread) {
        java.util.concurrent.locks.ReentrantLock turn = turn(thread);
        if (!turn.tryLock()) {
            return false;
        }
        try {
            Pending p = pending.get(thread);
            if (p != null && p.abandoned()) {
                p.ops().settle(thread, p);
            }
            return !pending.containsKey(thread);
        } catch (GridException e) {
            log.debug("{}: settling an abandoned lock call of thread {} failed, will retry: {}", node, thread, e.toString());
            return false;
        } finally {
            turn.unlock();
        }
    }

    private void scheduleSettling() {
        if (closed || !settling.compareAndSet(false, true)) {
            return;
        }
        try {
            timer.schedule(() -> settler().execute(this::settleAll), SETTLE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            settling.set(false); // closing
        }
    }

    private synchronized java.util.concurrent.ExecutorService settler() {
        if (settler == null) {
            settler = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "cairn-locks-settle-" + node);
                t.setDaemon(true);
                return t;
            });
        }
        return settler;
    }

    private void settleAll() {
        settling.set(false);
        for (long thread : abandoned) {
            if (closed) {
                return;
            }
            if (settleAbandoned(thread)) {
                abandoned.remove(thread);
            }
        }
        if (!abandoned.isEmpty()) {
            scheduleSettling();
        }
    }

    /** Calls that failed with an unknown outcome and are not settled yet, for tests. */
    int abandonedCalls() {
        return abandoned.size();
    }

    @Override
    public String toString() {
        return node;
    }

    /** Grants that arrived with no thread waiting for them (yet), for tests. */
    int unclaimedGrants() {
        synchronized (waiters) {
            return unclaimed.size();
        }
    }

    private static String key(long session, boolean readWrite, String lock, long thread, long invocation) {
        return session + ":" + (readWrite ? "rw:" : "m:") + thread + ":" + lock + "#" + invocation;
    }

    /** The leader says a grant for this node was committed: poll now. */
    void pollSoon() {
        pollAgain.set(true);
        try {
            if (!closed) {
                timer.execute(this::pollGrants);
            }
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void pollGrants() {
        synchronized (waiters) {
            if ((waiters.isEmpty() && !pollAgain.get()) || closed) {
                return; // nobody waits, and no hint of a grant that may have come before its waiter registered
            }
        }
        long s;
        synchronized (this) {
            s = session;
        }
        if (s == 0) {
            return;
        }
        background(polling, "polling for lock grants", () -> {
            pollAgain.set(false); // this poll is built after every hint so far
            synchronized (this) {
                return LockCommand.poll(s, invocations.incrementAndGet(), session == s ? grantAck : Long.MAX_VALUE);
            }
        }, r -> {
            if (r.kind() == LockResult.Kind.SESSION_EXPIRED) {
                sessionExpired(s);
                return;
            }
            synchronized (this) {
                if (session != s) {
                    return; // grants of a session that has ended: its waiters were told
                }
                grantAck = Math.max(grantAck, r.value());
            }
            synchronized (waiters) {
                for (LockResult.Grant g : r.grants()) {
                    String key = key(s, g.readWrite(), g.lock(), g.thread(), g.invocation());
                    CompletableFuture<LockResult.Grant> w = waiters.remove(key);
                    if (w != null) {
                        w.complete(g);
                    } else {
                        unclaimed.put(key, g); // answered before its thread registered the wait
                    }
                }
            }
        });
    }

    private void heartbeat() {
        long s;
        synchronized (this) {
            s = session;
        }
        if (s == 0 || closed) {
            return;
        }
        background(beating, "lock session heartbeat", () -> LockCommand.heartbeat(s, invocations.incrementAndGet()), r -> {
            if (r.kind() == LockResult.Kind.SESSION_EXPIRED) {
                sessionExpired(s);
            }
        });
    }

    private void proposeExpiry() {
        if (closed || !service.isLeader()) {
            leaderSince = 0;
            return;
        }
        long now = clock.epochMillis();
        if (leaderSince == 0) {
            leaderSince = now;
        }
        if (now - leaderSince < sessionTimeout.toMillis()) {
            return; // a new leader first gives every session a full timeout: none could heartbeat while there was none
        }
        background(expiring, "proposing session expiry", () -> LockCommand.expire(now, sessionTimeout.toMillis()), r -> { });
    }

    /** Closes the session (releasing this node's locks) if the group can be reached, and stops the timers. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        synchronized (this) {
            if (settler != null) {
                settler.shutdownNow();
            }
        }
        long s;
        synchronized (this) {
            s = session;
            session = 0;
        }
        if (s != 0) {
            CompletableFuture<byte[]> closing = service.submit(LockCommand.closeSession(s, invocations.incrementAndGet()));
            try {
                closing.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                closing.cancel(false); // no more attempts
                log.debug("{}: closing the lock session failed: {}", node, e.toString());
            }
        }
    }
}
