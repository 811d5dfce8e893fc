package dev.cairn.partition;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Prints the movement figures quoted in reviews; run alone with {@code -Dtest=MovementReportTest}. */
class MovementReportTest {
    @Test
    void printsTheMovementOfJoinsAndLeaves() {
        for (int backups = 1; backups <= 2; backups++) {
            String report = MovementReport.report(Partitioner.DEFAULT_PARTITION_COUNT, backups, new int[] {3, 10, 39});
            System.out.print(report);
            assertTrue(report.contains("join  3->4 "), report);
            assertTrue(report.contains("join 39->40 "), report);
        }
    }
}
