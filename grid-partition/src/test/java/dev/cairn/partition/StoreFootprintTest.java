package dev.cairn.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs {@link StoreFootprint} small, so the measurement program keeps compiling and working. */
class StoreFootprintTest {
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theFootprintProgramStoresEveryEntryAndReportsItsFigures() {
        StoreFootprint.Figures figures = StoreFootprint.measure(3, 3_000, 16, 128);

        assertEquals(3_000, figures.storedEntries());
        assertTrue(figures.offHeapBytesPerEntry() > 16 + 128, figures.report());
        assertTrue(figures.firstCreateNanos() > 0 && figures.laterCreatesNanos() > 0, figures.report());
        assertTrue(figures.report().contains("off-heap bytes per entry"), figures.report());
        // VmSize and VmRSS are the whole process's: in a test JVM shared with other tests they shrink whenever an
        // earlier test's threads exit or the heap gives memory back, so at this size they are only printed
        // (a clean-clone CI run saw VmSize fall by 1 MB while three small stores were created)
    }
}
