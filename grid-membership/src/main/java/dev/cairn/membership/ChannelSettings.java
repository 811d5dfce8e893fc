package dev.cairn.membership;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the membership layer needs to build its channel. Values are checked by {@code GridConfig.build()} in grid-core,
 * which names the user-facing setting in its errors; this record only refuses nulls.
 *
 * @param clusterName      nodes join only nodes with the same cluster name
 * @param nodeName         this node's stable identity, unique in the cluster
 * @param transport        how nodes reach each other
 * @param bindAddress      the address to bind (TCP, UDP)
 * @param port             the port to bind (TCP, UDP); 0 picks a free one
 * @param portRange        how many ports above {@code port} to try if it is taken, and to probe on each seed
 * @param seeds            TCPPING initial hosts as {@code host:port}
 * @param stackFile        the JGroups XML stack for {@link Transport#XML}, otherwise null
 * @param multicastAddress the multicast group for {@link Transport#UDP}
 * @param multicastPort    the multicast port for {@link Transport#UDP}
 * @param joinTimeout      how long discovery waits for an existing member before this node starts a cluster
 * @param failureTimeout   how long a silent member stays in the view before it is declared crashed
 * @param leaveTimeout     how long a graceful leave waits for the coordinator to acknowledge
 * @param expectedMembers  the full cluster size quorum is counted against; 0 when not set
 */
public record ChannelSettings(
        String clusterName,
        String nodeName,
        Transport transport,
        String bindAddress,
        int port,
        int portRange,
        List<String> seeds,
        Path stackFile,
        String multicastAddress,
        int multicastPort,
        Duration joinTimeout,
        Duration failureTimeout,
        Duration leaveTimeout,
        int expectedMembers) {

    public ChannelSettings {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(bindAddress, "bindAddress");
        seeds = List.copyOf(seeds);
        Objects.requireNonNull(multicastAddress, "multicastAddress");
        Objects.requireNonNull(joinTimeout, "joinTimeout");
        Objects.requireNonNull(failureTimeout, "failureTimeout");
        Objects.requireNonNull(leaveTimeout, "leaveTimeout");
    }

    /**
     * Settings for an in-JVM loopback node with short timeouts, as tests use.
     *
     * @param failureTimeout how long a cut-off or crashed node stays in the others' view
     */
    public static ChannelSettings loopback(String clusterName, String nodeName, Duration failureTimeout, int expectedMembers) {
        return new ChannelSettings(clusterName, nodeName, Transport.LOOPBACK, "127.0.0.1", 0, 0, List.of(), null,
                "228.8.8.8", 45588, Duration.ofMillis(300), failureTimeout, Duration.ofSeconds(2), expectedMembers);
    }

    /** A copy with another node name. */
    public ChannelSettings withNodeName(String name) {
        return new ChannelSettings(clusterName, name, transport, bindAddress, port, portRange, seeds, stackFile,
                multicastAddress, multicastPort, joinTimeout, failureTimeout, leaveTimeout, expectedMembers);
    }
}
