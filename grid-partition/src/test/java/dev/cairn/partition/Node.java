package dev.cairn.partition;

import dev.cairn.MapOptions;
import java.time.Duration;
import java.util.function.Function;

import dev.cairn.membership.ChannelSettings;
import dev.cairn.membership.Membership;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** A membership with a partition service on it, as grid-core wires them, for LoopbackCluster. */
record Node(Membership membership, PartitionService service, SimpleMeterRegistry registry) implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    static Node start(ChannelSettings settings, Function<String, MapOptions> options) {
        return start(settings, options, java.util.List.of());
    }

    /** @param fenceQuorum the lock group whose majority a primary must see to apply a fenced write */
    static Node start(ChannelSettings settings, Function<String, MapOptions> options, java.util.List<String> fenceQuorum) {
        return start(settings, PartitionSettings.of(271, 1, TIMEOUT, options, fenceQuorum));
    }

    static Node start(ChannelSettings settings, PartitionSettings partitionSettings) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Membership m = Membership.create(settings, registry);
        PartitionService s = PartitionService.create(m, partitionSettings, registry);
        m.join();
        s.awaitReady(TIMEOUT);
        return new Node(m, s, registry);
    }

    /**
     * Maps with one backup (none when named b0-*, two when b2-*) and no quorum of their own: these clusters test
     * replication and migration, also with fewer than a majority of their nodes left; {@code QuorumTest} tests quorum.
     * A map merges a healed split {@link dev.cairn.MergePolicy#LATEST_UPDATE LATEST_UPDATE}, or as its name says:
     * PUT_IF_ABSENT-*, PASS_THROUGH-*, DISCARD-*, HIGHER_HITS-*.
     */
    static Node start(ChannelSettings settings) {
        return start(settings, name -> MapOptions.defaults(name.startsWith("b0-") ? 0 : name.startsWith("b2-") ? 2 : 1)
                .withQuorum(dev.cairn.Quorum.NONE).withMergePolicy(mergePolicyOf(name)));
    }

    private static dev.cairn.MergePolicy mergePolicyOf(String map) {
        if (map.startsWith("PUT_IF_ABSENT-")) {
            return dev.cairn.MergePolicy.PUT_IF_ABSENT;
        } else if (map.startsWith("PASS_THROUGH-")) {
            return dev.cairn.MergePolicy.PASS_THROUGH;
        } else if (map.startsWith("DISCARD-")) {
            return dev.cairn.MergePolicy.DISCARD;
        } else if (map.startsWith("HIGHER_HITS-")) {
            return dev.cairn.MergePolicy.HIGHER_HITS;
        }
        return dev.cairn.MergePolicy.LATEST_UPDATE;
    }

    @Override
    public void close() {
        if (!membership.isClosed()) {
            service.handOff();
        }
        membership.close();
        service.close();
    }
}
