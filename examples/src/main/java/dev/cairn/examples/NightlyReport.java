package dev.cairn.examples;

import dev.cairn.Fence;
import dev.cairn.grid.Grid;
import dev.cairn.grid.GridMap;
import dev.cairn.locks.FencedLock;

/**
 * The README's lock example, compiled by the build (ReadmeSnippetsTest checks that the README shows this text): one
 * holder at a time writes the nightly report, with its fence, so a holder that lost the lock cannot overwrite a newer
 * one's. {@link FencedLeader} is the whole leader-election pattern.
 */
final class NightlyReport {
    private NightlyReport() {
    }

    static void write(Grid grid, GridMap<String, String> results, String report) {
        // README begin: locks
        FencedLock lock = grid.lock("nightly-job");
        long fence = lock.lockAndGetFence();                       // grows with every new holder, across restarts
        try {
            results.set("report", report, new Fence("nightly-job", fence));   // refused if a newer holder wrote
        } finally {
            lock.unlock();
        }
        // README end
    }
}
