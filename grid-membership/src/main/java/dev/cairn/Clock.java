package dev.cairn;

/**
 * The source of time for leases, TTLs, session expiry and timeouts (DESIGN.md decision 7). Production code uses
 * {@link #system()}; tests pass a clock they drive.
 */
public interface Clock {
    /** Monotonic nanoseconds, for measuring intervals; unrelated to wall time. */
    long nanoTime();

    /** Wall-clock milliseconds since the epoch, for timestamps a person reads. */
    long epochMillis();

    /** The JVM's clocks: {@link System#nanoTime()} and {@link System#currentTimeMillis()}. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }

    /** The JVM's own clocks. */
    enum SystemClock implements Clock {
        INSTANCE;

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long epochMillis() {
            return System.currentTimeMillis();
        }
    }
}
