package dev.cairn.grid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.cairn.SerializationException;

class KryoCodecTest {
    record Order(String id, long cents, List<String> lines) {
    }

    enum Colour { RED, GREEN }

    /** No no-arg constructor: Kryo falls back to Objenesis. */
    static final class Money {
        final long cents;
        final String currency;

        Money(long cents, String currency) {
            this.cents = cents;
            this.currency = currency;
        }
    }

    static final class Unregistered {
        int x = 1;
    }

    record Wrapper(Object inner) {
    }

    private final KryoCodec codec = new KryoCodec(List.of(Order.class, Colour.class, Wrapper.class, Money.class));

    @Test
    void classesWithoutANoArgConstructorRoundTrip() {
        Money back = (Money) codec.decode(codec.encode(new Money(250, "EUR")));
        assertEquals(250, back.cents);
        assertEquals("EUR", back.currency);
    }

    @Test
    void commonValuesRoundTrip() {
        List<Object> values = List.of("text", "", 42, 42L, 3.5d, true, 'c', (byte) 7, new byte[] {1, 2, 3},
                UUID.fromString("123e4567-e89b-12d3-a456-426614174000"), new BigDecimal("12.50"),
                Instant.ofEpochSecond(1_700_000_000, 5), new ArrayList<>(List.of(1, 2)), new HashMap<>(Map.of("k", "v")),
                List.of("a", "b"), Map.of("x", 1), Set.of(9), new Order("o-1", 1999, List.of("pen", "ink")),
                Colour.GREEN, "ünïcödé ✓");
        for (Object v : values) {
            Object back = codec.decode(codec.encode(v));
            if (v instanceof byte[] b) {
                assertArrayEquals(b, (byte[]) back);
            } else {
                assertEquals(v, back, "round trip of " + v.getClass().getName());
            }
        }
    }

    @Test
    void equalValuesGiveEqualBytesOnEveryCodecWithTheSameRegistrations() {
        KryoCodec other = new KryoCodec(List.of(Order.class, Colour.class, Wrapper.class, Money.class));
        Order o = new Order("o-2", 5, List.of("x"));
        assertArrayEquals(codec.encode(o), other.encode(o));
        assertArrayEquals(codec.encode("key-17"), other.encode("key-17"));
    }

    @Test
    void unregisteredClassIsNamedWithHowToRegisterIt() {
        SerializationException e = assertThrows(SerializationException.class, () -> codec.encode(new Unregistered()));
        String name = Unregistered.class.getName();
        assertTrue(e.getMessage().contains("class " + name + " is not registered"), e.getMessage());
        assertTrue(e.getMessage().contains("GridConfig.builder().register(" + name + ".class)"), e.getMessage());
        assertTrue(e.getMessage().contains("-Dcairn.codec.classes=" + name), e.getMessage());
    }

    @Test
    void unregisteredClassInsideARegisteredOneIsNamedToo() {
        SerializationException e = assertThrows(SerializationException.class,
                () -> codec.encode(new Wrapper(new Unregistered())));
        assertTrue(e.getMessage().contains(Unregistered.class.getName()), e.getMessage());
    }

    @Test
    void bytesFromAnotherRegistrationOrGarbageAreRefused() {
        byte[] order = codec.encode(new Order("o", 1, List.of()));
        KryoCodec fewer = new KryoCodec(List.of());
        assertThrows(SerializationException.class, () -> fewer.decode(order));
        assertThrows(SerializationException.class, () -> codec.decode(new byte[] {(byte) 0xff, (byte) 0xff, 0x7f, 1}));
        byte[] padded = java.util.Arrays.copyOf(codec.encode("abc"), codec.encode("abc").length + 3);
        SerializationException e = assertThrows(SerializationException.class, () -> codec.decode(padded));
        assertTrue(e.getMessage().contains("not bytes this codec wrote"), e.getMessage());
    }

    @Test
    void nullIsRefused() {
        assertThrows(NullPointerException.class, () -> codec.encode(null));
        assertThrows(NullPointerException.class, () -> codec.decode(null));
    }

    @Test
    void manyThreadsShareOneCodec() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 5_000; i++) {
                        Order o = new Order("t" + thread + "-" + i, i, List.of("l" + i));
                        if (!o.equals(codec.decode(codec.encode(o)))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
