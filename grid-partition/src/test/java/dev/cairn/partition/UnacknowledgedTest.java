package dev.cairn.partition;

import static dev.cairn.partition.PartitionTests.b;
import static dev.cairn.partition.PartitionTests.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** What readers of a partition's primary see of keys whose writes wait for their backups. */
class UnacknowledgedTest {
    private static StoredEntry entry(String value) {
        return new StoredEntry(1, 0, 0, b(value));
    }

    /**
     * Found by the fault matrix: a remove was acknowledged while a set of the same key was being applied, and the set
     * then hid itself behind the removed value, which was read back after the remove's acknowledgement. A write applied
     * once the earlier one is acknowledged shows what the store held just before it.
     */
    @Test
    void aWriteAppliedAfterAnEarlierOneWasAcknowledgedShowsTheStoreAsItWasBeforeIt() {
        Unacknowledged u = new Unacknowledged();
        u.applied("m", b("k"), entry("removed value"), 1); // the remove, over the value
        u.acknowledged("m", b("k"), 1, null);
        u.applied("m", b("k"), null, 2); // the set, over the removed key
        assertNull(u.visibleOr("m", b("k"), entry("set")), "readers see the remove, not the value it removed");
        u.acknowledged("m", b("k"), 2, entry("set"));
        assertEquals("set", s(u.visibleOr("m", b("k"), entry("set")).value()));
    }

    @Test
    void writesWaitingTogetherShowTheLastAcknowledgedEntry() {
        Unacknowledged u = new Unacknowledged();
        u.applied("m", b("k"), entry("v0"), 1);
        u.applied("m", b("k"), entry("v1"), 2); // waits behind the first
        assertEquals("v0", s(u.visibleOr("m", b("k"), entry("v2")).value()));
        u.acknowledged("m", b("k"), 1, entry("v1"));
        assertEquals("v1", s(u.visibleOr("m", b("k"), entry("v2")).value()));
        u.acknowledged("m", b("k"), 2, entry("v2"));
        assertEquals("v2", s(u.visibleOr("m", b("k"), entry("v2")).value()));
    }

    @Test
    void eachMapOfAGroupHasItsOwnKeys() {
        Unacknowledged u = new Unacknowledged();
        u.applied("a", b("k"), entry("a's old"), 1);
        assertEquals("b's", s(u.visibleOr("b", b("k"), entry("b's")).value()));
        assertEquals("a's old", s(u.visibleOr("a", b("k"), entry("a's new")).value()));
    }
}
