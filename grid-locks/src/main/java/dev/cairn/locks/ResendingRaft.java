package dev.cairn.locks;

import java.util.concurrent.TimeUnit;

import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.raft.RAFT;

/**
 * jgroups-raft's RAFT, resending to lagging followers while busy too.
 *
 * <p>RAFT 1.1.4 brings a follower up to date (its commit-table flush: resend what the follower lacks, or a snapshot)
 * only when its processing queue has stayed empty for {@code resend_interval}. Under a steady stream of commands, as
 * the lock clients' heartbeats and polls make, it never does. A follower that missed one AppendEntries (one sent
 * across a term change, as when an election follows a healed partition) then answers every later one "entry not
 * found"; with a second follower in that state, nothing commits again, however often the group re-elects the same
 * leader (LockIT, partition isolating the leader: about 1 run in 10, the group stuck for good). This runs the same
 * flush on the processing thread after each batch it handles (not after each drain of the queue: a queue that never
 * drains empty would never get to it), every 250 ms, and sends a lagging follower everything it lacks in one message
 * rather than one entry per flush.
 */
final class ResendingRaft extends RAFT {
    private static final long FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** On the system clock, not the grid's: the pace of Raft's own protocol, as RAFT's other timers are. */
    private long lastFlush = System.nanoTime();

    ResendingRaft() {
        setId(ClassConfigurator.getProtocolId(RAFT.class)); // RAFT's headers and id, as peers expect
    }

    @Override
    protected void process(java.util.List<Request> batch) {
        super.process(batch);
        long now = System.nanoTime();
        if (now - lastFlush >= FLUSH_NANOS) {
            lastFlush = now;
            if (isLeader() && commit_table != null) {
                commit_table.forEach((member, e) -> {
                    // a follower RAFT put in "single message" mode gets one entry per flush; under load every new
                    // append it rejects puts it back in that mode, so it falls behind for good (seen in CI: commits at
                    // one entry a second while the leader appended fourteen). Send it all it lacks at once instead.
                    e.sendSingleMessage(false);
                    sendAppendEntriesMessage(member, e);
                });
            }
        }
    }
}
