package dev.cairn.locks;

import java.io.DataInput;
import java.io.DataOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jgroups.JChannel;
import org.jgroups.protocols.raft.ELECTION2;
import org.jgroups.protocols.raft.RAFT;
import org.jgroups.protocols.raft.REDIRECT;
import org.jgroups.protocols.raft.RaftLeaderException;
import org.jgroups.raft.RaftHandle;
import org.jgroups.raft.StateMachine;
import org.jgroups.util.Util;

import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.NoQuorumException;
import dev.cairn.membership.ChannelSettings;
import dev.cairn.membership.Stacks;

/**
 * One member of a Raft group (jgroups-raft) that replicates a deterministic state machine: commands are appended to
 * an fsynced log in {@code dataDir}, committed by a majority, and applied on every member in log order; snapshots keep
 * the log bounded. The group runs its own channel (its own cluster name and ports), apart from the grid's.
 *
 * <p>On the minority side of a split there is no leader, and {@link #submit} fails with {@link NoQuorumException}
 * or times out; it never applies a command there (DESIGN.md decision 5).
 */
final class RaftGroup implements AutoCloseable {
    /** What the group replicates. Called on one thread at a time, in log order, on every member. */
    interface Machine {
        byte[] apply(byte[] command);

        byte[] snapshot();

        void restore(byte[] snapshot);
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RaftGroup.class);

    private final JChannel channel;
    private final RaftHandle raft;
    private final String raftId;
    /** On the system clock, not the grid's: it only throttles a log line, and decides nothing. */
    private volatile long lastStateLog = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);

    private RaftGroup(JChannel channel, RaftHandle raft, String raftId) {
        this.channel = channel;
        this.raft = raft;
        this.raftId = raftId;
    }

    /**
     * Starts this member and joins the group's channel. Returns before a leader is elected.
     *
     * @param settings the group channel's settings: its own cluster name, ports and seeds
     * @param members  the raft ids (node names) of the whole group, 3 or 5
     * @param dataDir  where this member's log and snapshots live; reused across restarts
     * @param maxLogBytes log size after which a snapshot is taken
     */
    static RaftGroup start(ChannelSettings settings, List<String> members, Path dataDir, long maxLogBytes, Machine machine) {
        Objects.requireNonNull(machine, "machine");
        String raftId = settings.nodeName();
        if (!members.contains(raftId)) {
            throw new IllegalArgumentException("node '" + raftId + "' is not in the lock group " + members);
        }
        JChannel ch = null;
        try {
            Files.createDirectories(dataDir);
            RAFT raftProtocol = new ResendingRaft().members(members).raftId(raftId).logDir(dataDir.toString())
                    .maxLogSize(maxLogBytes);
            raftProtocol.logPrefix("locks-" + raftId);
            raftProtocol.logUseFsync(true);
            ch = Stacks.channel(settings, List.of(new ELECTION2(), raftProtocol, new REDIRECT()));
            ch.name(raftId);
            RaftHandle handle = new RaftHandle(ch, new Adapter(machine));
            ch.connect(settings.clusterName());
            return new RaftGroup(ch, handle, raftId);
        } catch (GridException e) {
            Util.close(ch);
            throw e;
        } catch (Exception e) {
            Util.close(ch);
            throw new GridException("lock group member '" + raftId + "' could not start (data in " + dataDir + "): " + e, e);
        }
    }

    /**
     * Replicates a command and returns what the state machine answered, once a majority has it.
     *
     * @throws NoQuorumException   (in the future) when there is no leader, as on the minority side of a split
     * @throws GridTimeoutException (in the future) when the command was not committed in time; it may still be
     */
    CompletableFuture<byte[]> submit(byte[] command, Duration timeout) {
        CompletableFuture<byte[]> sent;
        try {
            sent = raft.setAsync(command, 0, command.length);
        } catch (RaftLeaderException e) {
            return CompletableFuture.failedFuture(noQuorum(e));
        } catch (Exception e) {
            if (raft.leader() == null) {
                return CompletableFuture.failedFuture(noQuorum(e)); // e.g. a leader that just stepped down
            }
            return CompletableFuture.failedFuture(new GridException("lock group member '" + raftId + "': " + e, e));
        }
        return sent.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((result, error) -> {
            if (error == null) {
                return result;
            }
            Throwable c = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (c instanceof RaftLeaderException || raft.leader() == null) {
                throw noQuorum(c); // including "I'm not the leader" from a leader that lost its majority
            }
            if (c instanceof TimeoutException) {
                long now = System.nanoTime();
                if (now - lastStateLog > TimeUnit.SECONDS.toNanos(5)) { // at most one line per 5 s per member
                    lastStateLog = now;
                    log.warn("{}: a command was not committed within {} ms: {}", raftId, timeout.toMillis(), state());
                }
                throw new GridTimeoutException("lock group: command not committed within " + timeout.toMillis()
                        + " ms (no majority reachable, or a leader change); it may still be committed", c);
            }
            throw c instanceof GridException g ? g : new GridException("lock group: " + c, c);
        });
    }

    private NoQuorumException noQuorum(Throwable cause) {
        NoQuorumException e = new NoQuorumException("lock group has no leader as seen from '" + raftId
                + "': fewer than a majority of " + raft.raft().members() + " are reachable");
        e.initCause(cause);
        return e;
    }

    boolean isLeader() {
        return raft.isLeader();
    }

    /** This member's Raft state in one line, for logs: role, term, leader, log indices, and the leader's commit table. */
    String state() {
        RAFT r = raft.raft();
        return "role=" + r.role() + " term=" + r.currentTerm() + " leader=" + r.leader() + " commit=" + r.commitIndex()
                + " last-appended=" + r.lastAppended() + " view=" + channel.getView()
                + (r.isLeader() ? " commit-table=" + r.dumpCommitTable().replace('\n', ' ') : "");
    }

    /** The leader's raft id, or null while there is none. */
    String leader() {
        return raft.leader() == null ? null : raft.leader().toString();
    }

    String raftId() {
        return raftId;
    }

    /** Writes a snapshot now and truncates the log. */
    void snapshot() {
        try {
            raft.snapshot();
        } catch (Exception e) {
            throw new GridException("lock group member '" + raftId + "' could not snapshot: " + e, e);
        }
    }

    JChannel channel() {
        return channel;
    }

    @Override
    public void close() {
        Util.close(channel);
    }

    /** jgroups-raft's view of the machine: bytes in, bytes out, snapshots as length-prefixed bytes. */
    private record Adapter(Machine machine) implements StateMachine {
        @Override
        public byte[] apply(byte[] data, int offset, int length, boolean serializeResponse) {
            byte[] command = offset == 0 && length == data.length ? data : java.util.Arrays.copyOfRange(data, offset, offset + length);
            byte[] result = machine.apply(command);
            return serializeResponse ? result : null;
        }

        @Override
        public void readContentFrom(DataInput in) throws Exception {
            byte[] snapshot = new byte[in.readInt()];
            in.readFully(snapshot);
            machine.restore(snapshot);
        }

        @Override
        public void writeContentTo(DataOutput out) throws Exception {
            byte[] snapshot = machine.snapshot();
            out.writeInt(snapshot.length);
            out.write(snapshot);
        }
    }
}
