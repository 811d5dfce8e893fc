package dev.cairn.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.cairn.MergePolicy;
import dev.cairn.Quorum;

class NodeCommandTest {
    @Test
    void mapQuorumNamesEachMapsMode() {
        assertEquals(Map.of("hist", Quorum.READS_AND_WRITES, "other", Quorum.WRITES),
                NodeCommand.mapQuorums("hist=READS_AND_WRITES,other=writes"));
        assertEquals(Map.of(), NodeCommand.mapQuorums(""));
    }

    @Test
    void aBadMapQuorumModeIsRefusedNamingTheModes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeCommand.mapQuorums("hist=MAJORITY"));
        assertTrue(e.getMessage().contains("'hist=MAJORITY'") && e.getMessage().contains("READS_AND_WRITES"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NodeCommand.mapQuorums("hist"));
    }

    @Test
    void mapMergeNamesEachMapsPolicyAndRefusesAnUnknownOne() {
        assertEquals(Map.of("hist", MergePolicy.LATEST_UPDATE, "other", MergePolicy.PUT_IF_ABSENT),
                NodeCommand.mapMergePolicies("hist=latest_update, other=PUT_IF_ABSENT"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NodeCommand.mapMergePolicies("hist=HIGHEST"));
        assertTrue(e.getMessage().contains("--map-merge") && e.getMessage().contains("'hist=HIGHEST'")
                && e.getMessage().contains("PASS_THROUGH"), e.getMessage());
    }
}
