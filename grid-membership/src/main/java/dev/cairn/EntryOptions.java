package dev.cairn;

import java.time.Duration;
import java.util.Objects;

/**
 * Options of one write: the entry's time to live and its {@link Priority}. A write without options, or with a null
 * {@code timeToLive}, takes the map's default time to live ({@link Expiry#timeToLive()}, none unless set).
 *
 * @param timeToLive how long the entry lives from this write; {@code null} for the map's default, {@link Duration#ZERO}
 *                   for never (it then outlives the map's default)
 * @param priority   how much the entry is worth keeping when its bounded map must evict
 */
public record EntryOptions(Duration timeToLive, Priority priority) {
    /** The map's default time to live, {@link Priority#NORMAL}. */
    public static final EntryOptions DEFAULT = new EntryOptions(null, Priority.NORMAL);

    /** @throws IllegalArgumentException for a negative time to live, naming it */
    public EntryOptions {
        Objects.requireNonNull(priority, "priority");
        if (timeToLive != null && timeToLive.isNegative()) {
            throw new IllegalArgumentException("timeToLive must be zero (never expires) or positive, was " + timeToLive);
        }
    }

    /** Lives {@code timeToLive} from the write ({@link Duration#ZERO}: never expires). */
    public static EntryOptions ttl(Duration timeToLive) {
        return new EntryOptions(Objects.requireNonNull(timeToLive, "timeToLive"), Priority.NORMAL);
    }

    /** The map's default time to live, at {@code priority}. */
    public static EntryOptions priority(Priority priority) {
        return new EntryOptions(null, priority);
    }

    public EntryOptions withTtl(Duration v) {
        return new EntryOptions(Objects.requireNonNull(v, "timeToLive"), priority);
    }

    public EntryOptions withPriority(Priority v) {
        return new EntryOptions(timeToLive, v);
    }

    /** The time to live in milliseconds for the wire: -1 for the map's default, 0 for never. */
    public long ttlMillis() {
        if (timeToLive == null) {
            return -1;
        }
        return timeToLive.isZero() ? 0 : Math.max(1, timeToLive.toMillis());
    }
}
