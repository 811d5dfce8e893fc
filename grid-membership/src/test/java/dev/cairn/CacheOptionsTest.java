package dev.cairn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/** Bad expiry, bound and eviction settings fail at once with a message naming the setting and the value (issue 15). */
class CacheOptionsTest {

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void aNegativeTimeToLiveOrMaxIdleOrAJitterOutOfRangeIsRefused() {
        MapOptions o = MapOptions.defaults(1);
        String ttl = message(() -> o.withTimeToLive(Duration.ofSeconds(-1)));
        assertTrue(ttl.contains("timeToLive") && ttl.contains("PT-1S"), ttl);
        String idle = message(() -> o.withMaxIdle(Duration.ofMillis(-5)));
        assertTrue(idle.contains("maxIdle"), idle);
        String jitter = message(() -> o.withTimeToLive(Duration.ofMinutes(1)).withTtlJitter(0.7));
        assertTrue(jitter.contains("jitter") && jitter.contains("0.7"), jitter);
        String noTtl = message(() -> o.withTtlJitter(0.1));
        assertTrue(noTtl.contains("timeToLive is zero"), noTtl);
        String entry = message(() -> EntryOptions.ttl(Duration.ofSeconds(-3)));
        assertTrue(entry.contains("timeToLive") && entry.contains("PT-3S"), entry);
    }

    @Test
    void aBoundOfZeroOrLessIsRefused() {
        String entries = message(() -> MapOptions.defaults(1).withMaxEntries(0));
        assertTrue(entries.contains("a bound of 0 entries"), entries);
        String bytes = message(() -> MapOptions.defaults(1).withMaxBytes(-10));
        assertTrue(bytes.contains("a bound of -10 bytes"), bytes);
        assertTrue(message(() -> MapOptions.defaults(1).withCompressionAbove(-1)).contains("compressAbove"));
    }

    @Test
    void anUnknownEvictionPolicyIsRefusedNamingThePoliciesThereAre() {
        String m = message(() -> EvictionPolicy.of("most-recent"));
        assertTrue(m.contains("'most-recent'") && m.contains("VOLATILE_LFU") && m.contains("NONE"), m);
        assertEquals(EvictionPolicy.VOLATILE_LRU, EvictionPolicy.of("volatile-lru"));
        assertEquals(EvictionPolicy.LFU, EvictionPolicy.of(" lfu "));
    }
}
