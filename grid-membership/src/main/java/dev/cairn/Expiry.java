package dev.cairn;

import java.time.Duration;
import java.util.Objects;

/**
 * When a map's entries expire, unless a write says otherwise ({@link EntryOptions}). Expiry times are absolute (the
 * injected {@link Clock}'s wall time), travel with each entry to its backups and through migrations, so a move never
 * extends them; an expired entry is never returned, from any node, and is reclaimed by a background sweep.
 *
 * @param timeToLive how long an entry lives from its last write; {@link Duration#ZERO} for never
 * @param maxIdle    how long an entry lives without being read or written; {@link Duration#ZERO} for ever. Reads are
 *                   counted by the key's primary (a map with max idle never reads a backup copy), which sends its
 *                   backups the reads every half of the max idle: an entry read more often than that lives on through a
 *                   failover; one read less often may expire on a promoted backup up to half its max idle early
 * @param jitter     the fraction (0 to 0.5) by which each entry's time to live is spread at random, up or down, so that
 *                   entries written together do not all expire together (0.1: ±10%)
 */
public record Expiry(Duration timeToLive, Duration maxIdle, double jitter) {
    /** Nothing expires. */
    public static final Expiry NONE = new Expiry(Duration.ZERO, Duration.ZERO, 0);

    /** @throws IllegalArgumentException naming the component and the value when one is out of range */
    public Expiry {
        Objects.requireNonNull(timeToLive, "timeToLive");
        Objects.requireNonNull(maxIdle, "maxIdle");
        if (timeToLive.isNegative()) {
            throw new IllegalArgumentException("timeToLive must be zero (never) or positive, was " + timeToLive);
        }
        if (maxIdle.isNegative()) {
            throw new IllegalArgumentException("maxIdle must be zero (never) or positive, was " + maxIdle);
        }
        if (!(jitter >= 0 && jitter <= 0.5)) {
            throw new IllegalArgumentException("jitter must be between 0 and 0.5, was " + jitter);
        }
        if (jitter > 0 && timeToLive.isZero()) {
            throw new IllegalArgumentException("jitter " + jitter + " spreads a time to live, but timeToLive is zero");
        }
    }

    public Expiry withTimeToLive(Duration v) {
        return new Expiry(v, maxIdle, jitter);
    }

    public Expiry withMaxIdle(Duration v) {
        return new Expiry(timeToLive, v, jitter);
    }

    public Expiry withJitter(double v) {
        return new Expiry(timeToLive, maxIdle, v);
    }
}
