package dev.cairn.partition;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import dev.cairn.Clock;

/** The JVM's clocks plus an offset a test moves forward, so a test can pass a grace or a timeout without waiting. */
final class ManualClock implements Clock {
    private final AtomicLong offsetNanos = new AtomicLong();

    void advance(Duration d) {
        offsetNanos.addAndGet(d.toNanos());
    }

    @Override
    public long nanoTime() {
        return System.nanoTime() + offsetNanos.get();
    }

    @Override
    public long epochMillis() {
        return System.currentTimeMillis() + offsetNanos.get() / 1_000_000;
    }
}
