package dev.cairn.locks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import dev.cairn.Clock;
import dev.cairn.membership.ChannelSettings;

/**
 * What the lock service needs from the grid's configuration (checked there, by {@code GridConfig.build()}).
 *
 * @param group          the node names that run the Raft group, 3 or 5; empty when locks are not configured
 * @param dataDir        where a group member keeps its Raft log and snapshots (a sub-directory per node)
 * @param portOffset     the group channel binds the node's port plus this offset, and finds the other members at
 *                       their seeds' ports plus this offset
 * @param sessionTimeout a node whose heartbeats stop for this long loses its locks (decided through Raft)
 * @param requestTimeout how long a lock command waits to be committed, plus {@link #commandTimeout() two failovers}
 * @param clock          what the lock client and service read time from: command deadlines, tryLock timeouts, the
 *                       time stamped into session expiry, a new leader's wait before it expires anyone
 */
public record LockSettings(List<String> group, Path dataDir, int portOffset, Duration sessionTimeout, Duration requestTimeout,
                           Clock clock) {
    public LockSettings {
        group = List.copyOf(group);
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(clock, "clock");
    }

    /** Settings that read the system clock. */
    public LockSettings(List<String> group, Path dataDir, int portOffset, Duration sessionTimeout, Duration requestTimeout) {
        this(group, dataDir, portOffset, sessionTimeout, requestTimeout, Clock.system());
    }

    /**
     * How soon the group's channel notices a member gone (paused, killed or cut off), which is what starts the
     * election of a new leader: a third of the session timeout, at least 1 s, at most the grid's failure timeout. A
     * leader lost is then replaced well within one session, before any live session could be expired.
     */
    Duration failover(Duration gridFailureTimeout) {
        Duration third = sessionThird();
        return third.compareTo(gridFailureTimeout) > 0 ? gridFailureTimeout : third;
    }

    /** A third of the session timeout, at least 1 s. */
    private Duration sessionThird() {
        Duration third = sessionTimeout.dividedBy(3);
        return third.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : third;
    }

    /**
     * How long one lock command is retried (with the same invocation id, so it is applied once) before the caller
     * gets an error: the request timeout plus two failovers, so that a command rides through a leader change.
     */
    Duration commandTimeout() {
        return requestTimeout.plus(sessionThird().multipliedBy(2));
    }

    /**
     * How long one attempt at one group member may take before the command is sent again (to the next member): half
     * the request timeout, at most a quarter of the session timeout (0.5-5 s). Long enough for a commit on a loaded
     * machine, where re-sending early only adds appends; short enough that a frozen member costs one attempt, not the
     * whole command timeout.
     */
    Duration attemptTimeout() {
        Duration half = requestTimeout.dividedBy(2);
        Duration quarterSession = sessionTimeout.dividedBy(4); // a heartbeat stuck on a lost member must still land in time
        Duration t = half.compareTo(quarterSession) < 0 ? half : quarterSession;
        return t.compareTo(Duration.ofMillis(500)) < 0 ? Duration.ofMillis(500)
                : t.compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : t;
    }

    /** The settings of this node's group channel: its own cluster name, the shifted port and seeds. */
    ChannelSettings groupChannel(ChannelSettings grid) {
        List<String> seeds = grid.seeds().stream().map(seed -> {
            int colon = seed.lastIndexOf(':');
            return seed.substring(0, colon + 1) + (Integer.parseInt(seed.substring(colon + 1)) + portOffset);
        }).toList();
        return new ChannelSettings(grid.clusterName() + "-locks", grid.nodeName(), grid.transport(), grid.bindAddress(),
                grid.port() == 0 ? 0 : grid.port() + portOffset, grid.portRange(), seeds, grid.stackFile(),
                grid.multicastAddress(), grid.multicastPort() + 1, grid.joinTimeout(), failover(grid.failureTimeout()),
                grid.leaveTimeout(), group.size());
    }
}
