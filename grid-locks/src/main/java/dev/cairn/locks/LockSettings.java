package dev.cairn.locks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

import dev.cairn.membership.ChannelSettings;

/**
 * What the lock service needs from the grid's configuration (checked there, by {@code GridConfig.build()}).
 *
 * @param group          the node names that run the Raft group, 3 or 5; empty when locks are not configured
 * @param dataDir        where a group member keeps its Raft log and snapshots (a sub-directory per node)
 * @param portOffset     the group channel binds the node's port plus this offset, and finds the other members at
 *                       their seeds' ports plus this offset
 * @param sessionTimeout a node whose heartbeats stop for this long loses its locks (decided through Raft)
 * @param requestTimeout how long a lock command waits to be committed
 */
public record LockSettings(List<String> group, Path dataDir, int portOffset, Duration sessionTimeout, Duration requestTimeout) {
    public LockSettings {
        group = List.copyOf(group);
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    /** The settings of this node's group channel: its own cluster name, the shifted port and seeds. */
    ChannelSettings groupChannel(ChannelSettings grid) {
        List<String> seeds = grid.seeds().stream().map(seed -> {
            int colon = seed.lastIndexOf(':');
            return seed.substring(0, colon + 1) + (Integer.parseInt(seed.substring(colon + 1)) + portOffset);
        }).toList();
        return new ChannelSettings(grid.clusterName() + "-locks", grid.nodeName(), grid.transport(), grid.bindAddress(),
                grid.port() == 0 ? 0 : grid.port() + portOffset, grid.portRange(), seeds, grid.stackFile(),
                grid.multicastAddress(), grid.multicastPort() + 1, grid.joinTimeout(), grid.failureTimeout(),
                grid.leaveTimeout(), group.size());
    }
}
