package dev.cairn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.cairn.examples.Load;

/** The zipfian key choice the side-by-side workloads use draws ranks with the probabilities YCSB's constant gives. */
class ZipfianTest {
    private static final int KEYS = 100_000;
    private static final int DRAWS = 2_000_000;

    @Test
    void ranksFollowZipfWithConstant099() {
        Load.Zipfian z = new Load.Zipfian(KEYS, Load.Zipfian.YCSB_CONSTANT);
        SplittableRandom random = new SplittableRandom(42);
        long[] counts = new long[KEYS];
        for (int i = 0; i < DRAWS; i++) {
            int r = z.next(random);
            assertTrue(r >= 0 && r < KEYS, "rank out of range: " + r);
            counts[r]++;
        }
        // the hottest key: 1/zeta(100000, 0.99) = 7.83% of draws
        assertEquals(z.probability(0), counts[0] / (double) DRAWS, 0.003);
        assertEquals(0.0783, z.probability(0), 0.0005);
        // rank 1 too is drawn exactly; beyond it Gray's closed form (as in YCSB) is an approximation that gives the next
        // few ranks a little more than 1/(r+1)^0.99 (rank 2: 3.1% rather than 2.6%) and the tail a little less
        assertEquals(z.probability(1), counts[1] / (double) DRAWS, z.probability(1) * 0.05);
        for (int r = 2; r < 5; r++) {
            assertEquals(z.probability(r), counts[r] / (double) DRAWS, z.probability(r) * 0.25, "rank " + r);
        }
        // the hottest 1% of keys take about 60% of draws
        long top = 0;
        for (int r = 0; r < KEYS / 100; r++) {
            top += counts[r];
        }
        assertEquals(0.605, top / (double) DRAWS, 0.02);
    }

    @Test
    void rejectsAConstantOutsideZeroToOne() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Load.Zipfian(KEYS, 1.0));
    }
}
