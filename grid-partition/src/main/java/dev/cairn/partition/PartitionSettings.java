package dev.cairn.partition;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import dev.cairn.Clock;
import dev.cairn.MapOptions;

/**
 * How a node's partition engine runs; grid-core builds one from {@code GridConfig}.
 *
 * @param partitionCount partitions per map, the same on every node
 * @param defaultBackups the backup count of maps without options of their own, for the ownership gauges
 * @param requestTimeout how long an operation may take, retries included
 * @param optionsFor     the options of a named map; called once per map name on this node
 * @param fenceQuorum    the members that hand out fences (the lock group; empty for none): a primary applies a fenced
 *                       write only while a majority of them is in its view. The side of a split that cannot see that
 *                       majority cannot learn of newer fences, so it must not accept an old holder's write
 * @param clock          the time every decision of the engine reads (DESIGN.md decision 7)
 * @param dropGrace      how long a copy this node no longer owns is kept before it asks the owners whether they hold
 *                       the partition (and drops it once they all do)
 */
public record PartitionSettings(int partitionCount, int defaultBackups, Duration requestTimeout,
                                Function<String, MapOptions> optionsFor, List<String> fenceQuorum, Clock clock,
                                Duration dropGrace) {
    /** The default {@link #dropGrace}. */
    public static final Duration DEFAULT_DROP_GRACE = Duration.ofSeconds(10);

    public PartitionSettings {
        if (partitionCount < 1) {
            throw new IllegalArgumentException("partitionCount must be at least 1 but was " + partitionCount);
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(optionsFor, "optionsFor");
        fenceQuorum = List.copyOf(fenceQuorum);
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(dropGrace, "dropGrace");
    }

    /** Settings with the system clock and the default grace. */
    public static PartitionSettings of(int partitionCount, int defaultBackups, Duration requestTimeout,
                                       Function<String, MapOptions> optionsFor, List<String> fenceQuorum) {
        return new PartitionSettings(partitionCount, defaultBackups, requestTimeout, optionsFor, fenceQuorum,
                Clock.system(), DEFAULT_DROP_GRACE);
    }

    public PartitionSettings withClock(Clock v) {
        return new PartitionSettings(partitionCount, defaultBackups, requestTimeout, optionsFor, fenceQuorum, v, dropGrace);
    }

    public PartitionSettings withDropGrace(Duration v) {
        return new PartitionSettings(partitionCount, defaultBackups, requestTimeout, optionsFor, fenceQuorum, clock, v);
    }
}
