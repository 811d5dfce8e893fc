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
 * flush on the processing thread after each batch it handles, at most once per {@code resend_interval} (after each
 * batch, not after each drain of the queue: a queue that never drains empty would never get to it).
 */
final class ResendingRaft extends RAFT {
    private long lastFlush = System.nanoTime();

    ResendingRaft() {
        setId(ClassConfigurator.getProtocolId(RAFT.class)); // RAFT's headers and id, as peers expect
    }

    @Override
    protected void process(java.util.List<Request> batch) {
        super.process(batch);
        long now = System.nanoTime();
        if (now - lastFlush >= TimeUnit.MILLISECONDS.toNanos(resendInterval())) {
            lastFlush = now;
            if (isLeader() && commit_table != null) {
                commit_table.forEach(this::sendAppendEntriesMessage);
            }
        }
    }
}
