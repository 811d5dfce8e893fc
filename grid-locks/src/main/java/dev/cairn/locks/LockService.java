package dev.cairn.locks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;

import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.MemberUnreachableException;
import dev.cairn.NoQuorumException;
import dev.cairn.membership.Futures;
import dev.cairn.membership.Member;
import dev.cairn.membership.Membership;
import dev.cairn.membership.RequestTypes;
import dev.cairn.membership.Status;
import dev.cairn.membership.Wire;

/**
 * The lock service of one node. Members of the lock group run a {@link RaftGroup}; every node (members included)
 * sends lock commands to a reachable group member over the grid's channel, which submits them to Raft. A command
 * that finds no quorum there is tried at the next member until the request timeout; on the minority side of a split
 * every member answers no quorum, so the call fails and nothing is granted.
 */
public final class LockService implements AutoCloseable {
    static final short LOCK_COMMAND = RequestTypes.LOCK_COMMAND;
    /** Leader to a waiting node: a grant for you was just committed, poll now. Carries no authority. */
    static final short GRANT_HINT = RequestTypes.GRANT_HINT;

    private static final byte OK = Status.OK.code();
    private static final byte NO_QUORUM = Status.NO_QUORUM.code();
    private static final byte TIMEOUT = Status.TIMEOUT.code();
    private static final byte FAILED = Status.FAILED.code();

    private final Membership membership;
    private final LockSettings settings;
    private final RaftGroup group;
    private final LockClient client;
    private final Map<String, FencedLock> locks = new ConcurrentHashMap<>();
    private final Map<String, GridReadWriteLock> rwLocks = new ConcurrentHashMap<>();
    /**
     * Where this node's commands go first: the leader named by the last answer (or, when none was named, the member
     * that answered), as it is alive and leads or knows who does.
     */
    private volatile String lastAnswered;

    private LockService(Membership membership, LockSettings settings, RaftGroup group) {
        this.membership = membership;
        this.settings = settings;
        this.group = group;
        this.client = new LockClient(this, membership.settings().nodeName(), settings.sessionTimeout(),
                settings.commandTimeout(), settings.clock());
    }

    /**
     * Registers the lock service on a membership that has not joined yet and, on a lock-group member, starts its Raft
     * member with the lock state machine.
     */
    public static LockService create(Membership membership, LockSettings settings) {
        return create(membership, settings, new Replicated());
    }

    /** The mutex named {@code name}, not re-entrant beyond {@code reentrancyLimit} holds (1: not re-entrant). */
    public FencedLock lock(String name, int reentrancyLimit) {
        checkLimit(reentrancyLimit);
        return locks.computeIfAbsent(name + "#" + reentrancyLimit, k -> new FencedLock(client, name, reentrancyLimit));
    }

    /** The read-write lock named {@code name}. */
    public GridReadWriteLock readWriteLock(String name, int reentrancyLimit) {
        checkLimit(reentrancyLimit);
        return rwLocks.computeIfAbsent(name + "#" + reentrancyLimit, k -> new GridReadWriteLock(client, name, reentrancyLimit));
    }

    private static void checkLimit(int reentrancyLimit) {
        if (reentrancyLimit < 1) {
            throw new IllegalArgumentException("reentrancyLimit must be at least 1 but was " + reentrancyLimit);
        }
    }

    /** Every lock the group knows, with holders, waiters and fences (a read through Raft, so a quorum read). */
    public List<LockSnapshot> snapshot() {
        LockResult r = client.call(LockCommand.locks());
        List<LockSnapshot> out = new ArrayList<>();
        for (LockResult.LockInfo info : r.locks()) {
            out.add(new LockSnapshot(info.name(), info.readWrite(), info.fence(),
                    info.holders().stream().map(LockService::describe).toList(),
                    info.waiters().stream().map(LockService::describe).toList()));
        }
        return out;
    }

    private static String describe(LockResult.Holder h) {
        return h.node() + "/thread-" + h.thread() + (h.holds() > 1 ? " x" + h.holds() : "");
    }

    /** The lock state machine as the Raft group sees it; a snapshot restore replaces it whole. */
    static final class Replicated implements RaftGroup.Machine {
        private LockStateMachine machine = new LockStateMachine();
        /** Told the nodes a command just granted locks to (after every apply that did); must not block. */
        private volatile java.util.function.Consumer<java.util.Set<String>> onGrants = nodes -> { };

        @Override
        public synchronized byte[] apply(byte[] command) {
            byte[] result = machine.apply(command);
            List<LockResult.Grant> grants = machine.lastGrants();
            if (!grants.isEmpty()) {
                java.util.Set<String> nodes = new java.util.TreeSet<>();
                for (LockResult.Grant g : grants) {
                    String node = machine.nodeOf(g.session());
                    if (node != null) {
                        nodes.add(node);
                    }
                }
                onGrants.accept(nodes);
            }
            return result;
        }

        @Override
        public synchronized byte[] snapshot() {
            return machine.snapshot();
        }

        @Override
        public synchronized void restore(byte[] snapshot) {
            machine = LockStateMachine.restore(snapshot);
        }
    }

    /**
     * Registers the lock command handler (before the membership joins) and, on a group member, starts its Raft member.
     *
     * @param machine the replicated lock state, for group members; ignored elsewhere
     */
    static LockService create(Membership membership, LockSettings settings, RaftGroup.Machine machine) {
        String self = membership.settings().nodeName();
        RaftGroup group = null;
        if (settings.group().contains(self)) {
            group = RaftGroup.start(settings.groupChannel(membership.settings()), settings.group(),
                    settings.dataDir().resolve(self), 1 << 20, machine);
        }
        LockService service = new LockService(membership, settings, group);
        membership.handle(LOCK_COMMAND, (from, payload) -> service.onCommand(payload));
        membership.handleInline(GRANT_HINT, (from, payload) -> {
            service.client.pollSoon();
            return CompletableFuture.completedFuture(new byte[0]);
        });
        if (group != null && machine instanceof Replicated r) {
            r.onGrants = service::hint;
        }
        return service;
    }

    /** On the leader: wakes the waiting nodes up, so that they poll for their grants now rather than at their next tick. */
    private void hint(java.util.Set<String> nodes) {
        if (!isLeader()) {
            return; // every member applies the command; one hint is enough
        }
        for (Member m : membership.members()) {
            if (nodes.contains(m.name())) {
                membership.request(m, GRANT_HINT, new byte[0], settings.attemptTimeout());
            }
        }
    }

    /** Whether this node runs a member of the lock group. */
    /** This node's side of the service: its session and grant delivery. */
    LockClient client() {
        return client;
    }

    boolean isGroupMember() {
        return group != null;
    }

    /** Whether this node's group member is the Raft leader. */
    boolean isLeader() {
        return group != null && group.isLeader();
    }

    private CompletableFuture<byte[]> onCommand(byte[] command) {
        if (group == null) {
            return CompletableFuture.completedFuture(status(FAILED, "node '" + membership.settings().nodeName()
                    + "' is not in the lock group " + settings.group()));
        }
        return group.submit(command, settings.attemptTimeout()).handle((result, error) -> {
            if (error == null) {
                // the answer says who leads, so that a client sends its next command there: one hop, not a
                // follower's REDIRECT on top
                String leader = group.leader();
                return new Wire.Out(16 + result.length).u8(OK).str(leader == null ? "" : leader).bytes(result).toArray();
            }
            Throwable c = Futures.unwrap(error);
            byte code = c instanceof NoQuorumException ? NO_QUORUM : c instanceof GridTimeoutException ? TIMEOUT : FAILED;
            return status(code, c.getMessage());
        });
    }

    /**
     * Commits a command through the lock group and returns the state machine's answer. An attempt that finds no
     * leader, times out or reaches a member that is gone is sent again, the same bytes with the same invocation id (so
     * it is applied once however often it arrives), to the next member, until {@link LockSettings#commandTimeout()}:
     * long enough to ride through a leader change.
     *
     * @throws GridException (in the future) when locks are not configured; {@link NoQuorumException} when no
     *                       reachable group member has a majority for the whole command timeout (as on the
     *                       minority side of a split); the command may have been committed when the last attempt
     *                       timed out rather than finding no leader
     */
    CompletableFuture<byte[]> submit(byte[] command) {
        if (settings.group().isEmpty()) {
            return CompletableFuture.failedFuture(new GridException("locks are not configured: set the lock group "
                    + "(GridConfig.builder().lockGroup(\"a\", \"b\", \"c\") or -Dcairn.lock.group=a,b,c) on every node"));
        }
        CompletableFuture<byte[]> out = new CompletableFuture<>();
        attempt(command, out, settings.clock().nanoTime() + settings.commandTimeout().toNanos(), 0, null);
        return out;
    }

    private void attempt(byte[] command, CompletableFuture<byte[]> out, long deadline, int tries, String lastError) {
        if (out.isDone()) {
            return; // the caller gave up (LockClient.call's guard): no more attempts
        }
        List<Member> candidates = groupMembersInView();
        long left = deadline - settings.clock().nanoTime();
        if (candidates.isEmpty() || left <= 0) {
            out.completeExceptionally(lastError == null && candidates.isEmpty()
                    ? new NoQuorumException("no member of the lock group " + settings.group() + " is reachable from '"
                    + membership.settings().nodeName() + "'")
                    : new NoQuorumException("lock group " + settings.group() + " did not commit within "
                    + settings.commandTimeout().toMillis() + " ms: " + lastError));
            return;
        }
        // the member that answered last (the local member at first: no hop), then the others in turn
        Member target = candidates.get(Math.floorMod(preferred(candidates) + tries, candidates.size()));
        Duration wait = Duration.ofNanos(Math.min(left, settings.attemptTimeout().toNanos()));
        membership.request(target, LOCK_COMMAND, command, wait).whenComplete((reply, error) -> {
            try {
                onReply(command, out, deadline, tries, target, reply, error);
            } catch (IllegalArgumentException e) {
                out.completeExceptionally(new GridException("lock group member '" + target.name()
                        + "' sent a malformed reply: " + e.getMessage(), e));
            }
        });
    }

    private void onReply(byte[] command, CompletableFuture<byte[]> out, long deadline, int tries, Member target,
                         byte[] reply, Throwable error) {
        Wire.In in = error == null ? new Wire.In(reply) : null;
        int status = in == null ? -1 : in.u8();
        if (status == OK) {
            String leader = in.str();
            lastAnswered = settings.group().contains(leader) ? leader : target.name();
            out.complete(in.bytes());
        } else if (status == FAILED) {
            out.completeExceptionally(new GridException(in.str()));
        } else {
            Throwable c = error == null ? null : Futures.unwrap(error);
            if (c != null && !(c instanceof MemberUnreachableException) && !(c instanceof GridTimeoutException)) {
                out.completeExceptionally(c);
                return;
            }
            // no leader there (an election under way, or a minority), not committed in time, or the member is
            // gone or frozen: send it again to the next member after a short pause, growing with the tries
            if (target.name().equals(lastAnswered)) {
                lastAnswered = null;
            }
            // the pause only paces the attempts (the deadline above decides when to stop), so it is real time
            long pauseMillis = Math.min(200, 10L << Math.min(tries, 5));
            String why = c == null ? in.str() : c.getMessage();
            CompletableFuture.delayedExecutor(pauseMillis, java.util.concurrent.TimeUnit.MILLISECONDS)
                    .execute(() -> attempt(command, out, deadline, tries + 1, why));
        }
    }

    private int preferred(List<Member> candidates) {
        String name = lastAnswered;
        for (int i = 0; name != null && i < candidates.size(); i++) {
            if (candidates.get(i).name().equals(name)) {
                return i;
            }
        }
        return 0;
    }

    private List<Member> groupMembersInView() {
        List<Member> out = new ArrayList<>();
        String self = membership.settings().nodeName();
        for (Member m : membership.members()) {
            if (settings.group().contains(m.name())) {
                if (m.name().equals(self)) {
                    out.add(0, m);
                } else {
                    out.add(m);
                }
            }
        }
        return out;
    }

    /** A reply other than OK: its status and a message (every status but OK carries one here). */
    private static byte[] status(byte code, String message) {
        String text = String.valueOf(message);
        return new Wire.Out(8 + 3 * text.length()).u8(code).str(text).toArray();
    }

    /**
     * Fault injection for tests and drills: cuts this node's lock-group channel off from the other members, or
     * reconnects it ({@link dev.cairn.membership.Faults}). Nothing on a node outside the group.
     */
    public void cutOff(boolean cut) {
        if (group != null) {
            if (cut) {
                dev.cairn.membership.Faults.cutOff(group.channel());
            } else {
                dev.cairn.membership.Faults.reconnect(group.channel());
            }
        }
    }

    /** Fault injection: cuts this node's lock-group channel from the named members only ({@link dev.cairn.membership.Faults#cutFrom}). */
    public void cutFrom(java.util.Collection<String> members) {
        if (group != null) {
            dev.cairn.membership.Faults.cutFrom(group.channel(), members);
        }
    }

    /** The raft id of the lock group's leader as this node's member sees it; null when there is none or on a client. */
    public String leader() {
        return group == null ? null : group.leader();
    }

    /** Closes this node's session (releasing its locks) while the group is still reachable, then its Raft member. */
    @Override
    public void close() {
        client.close();
        if (group != null) {
            group.close();
        }
    }
}
