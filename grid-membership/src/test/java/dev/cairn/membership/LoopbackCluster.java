package dev.cairn.membership;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.jgroups.JChannel;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Several nodes in one JVM over JGroups' SHARED_LOOPBACK, for any module's tests: start N, wait for a common view,
 * stop one gracefully, crash one, cut one off (DISCARD above the transport) and heal it.
 *
 * <pre>{@code
 * try (var cluster = LoopbackCluster.memberships(3)) {
 *     cluster.isolate(2);
 *     cluster.awaitView(0, 1);
 * }
 * }</pre>
 *
 * <p>Nodes are named {@code n0, n1, ...}. Each cluster gets its own cluster name, so clusters of parallel or earlier
 * tests never meet.
 *
 * @param <N> the node type: a {@link Membership}, or a higher-level node that has one
 */
public final class LoopbackCluster<N extends AutoCloseable> implements AutoCloseable {
    private static final AtomicInteger CLUSTERS = new AtomicInteger();

    private final ChannelSettings template;
    private final Function<ChannelSettings, N> starter;
    private final Function<N, Membership> membershipOf;
    private final List<N> nodes = new ArrayList<>();
    private final Duration patience;

    private LoopbackCluster(int size, ChannelSettings template, Function<ChannelSettings, N> starter,
                            Function<N, Membership> membershipOf) {
        this.template = template;
        this.starter = starter;
        this.membershipOf = membershipOf;
        this.patience = template.failureTimeout().multipliedBy(4).plusSeconds(20);
        try {
            for (int i = 0; i < size; i++) {
                nodes.add(starter.apply(template.withNodeName("n" + i)));
            }
            awaitConverged();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Starts {@code size} bare memberships with a 2 s failure timeout and quorum counted against {@code size}. */
    public static LoopbackCluster<Membership> memberships(int size) {
        return start(size, Duration.ofSeconds(2), s -> Membership.start(s, new SimpleMeterRegistry()), m -> m);
    }

    /**
     * Starts {@code size} nodes made by {@code starter} from loopback settings, and waits until they share one view.
     *
     * @param failureTimeout how long a crashed or cut-off node stays in the others' view
     * @param membershipOf   how to reach a node's membership, for fault injection
     */
    public static <N extends AutoCloseable> LoopbackCluster<N> start(int size, Duration failureTimeout,
                                                                     Function<ChannelSettings, N> starter,
                                                                     Function<N, Membership> membershipOf) {
        String cluster = "test-" + ProcessHandle.current().pid() + "-" + CLUSTERS.incrementAndGet();
        return new LoopbackCluster<>(size, ChannelSettings.loopback(cluster, "n0", failureTimeout, size), starter,
                membershipOf);
    }

    public N node(int i) {
        return Objects.requireNonNull(nodes.get(i), () -> "node n" + i + " is not running");
    }

    public Membership membership(int i) {
        return membershipOf.apply(node(i));
    }

    public int size() {
        return nodes.size();
    }

    /** How long the await methods wait: a few failure timeouts and then some. */
    public Duration patience() {
        return patience;
    }

    /** Indexes of the nodes that are running. */
    public List<Integer> running() {
        return IntStream.range(0, nodes.size()).filter(i -> nodes.get(i) != null).boxed().toList();
    }

    /** Waits until every running node sees a view of exactly the running nodes. */
    public void awaitConverged() {
        awaitView(running().stream().mapToInt(Integer::intValue).toArray());
    }

    /** Waits until each of the given nodes sees a view made of exactly these nodes, the same view on each. */
    public void awaitView(int... indexes) {
        List<String> expected = IntStream.of(indexes).sorted().mapToObj(i -> "n" + i).toList();
        await("view of " + expected).atMost(patience).pollInterval(Duration.ofMillis(20)).until(() -> {
            List<ClusterView> views = IntStream.of(indexes).mapToObj(i -> membership(i).view()).toList();
            boolean same = views.stream().map(ClusterView::members).distinct().count() == 1;
            return same && views.get(0).names().stream().sorted().toList().equals(expected);
        });
    }

    /** Closes node {@code i} gracefully; it leaves the view at once. */
    public void stop(int i) {
        N node = node(i);
        nodes.set(i, null);
        closeQuietly(node);
    }

    /** Stops node {@code i} without a leave, as a crash would; the others find out by failure detection. */
    public void crash(int i) {
        N node = node(i);
        nodes.set(i, null);
        membershipOf.apply(node).crash();
        closeQuietly(node);
    }

    /** Starts node {@code i} again (after stop or crash) under the same name, and waits for it to join. */
    public N restart(int i) {
        if (nodes.get(i) != null) {
            throw new IllegalStateException("node n" + i + " is running");
        }
        N node = starter.apply(template.withNodeName("n" + i));
        nodes.set(i, node);
        return node;
    }

    /** Cuts node {@code i} off from every other node, both ways, by DISCARD above its transport. */
    public void isolate(int i) {
        cutOff(membership(i).channel());
    }

    /** Reconnects node {@code i}; MERGE3 then heals the split. */
    public void heal(int i) {
        reconnect(membership(i).channel());
    }

    /** Cuts any channel off from every other member, both ways, by DISCARD above its transport. */
    public static void cutOff(JChannel channel) {
        Faults.cutOff(channel);
    }

    /** Undoes {@link #cutOff}. */
    public static void reconnect(JChannel channel) {
        Faults.reconnect(channel);
    }

    @Override
    public void close() {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            N node = nodes.get(i);
            if (node != null) {
                nodes.set(i, null);
                closeQuietly(node);
            }
        }
    }

    @Override
    public String toString() {
        return running().stream().map(i -> "n" + i + ": " + membership(i).view()).collect(Collectors.joining(", "));
    }

    private static void closeQuietly(AutoCloseable node) {
        try {
            node.close();
        } catch (Exception e) {
            // closing a node that already failed is not the test's concern
        }
    }
}
