package dev.cairn.membership;

import org.jgroups.JChannel;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TP;
import org.jgroups.stack.ProtocolStack;

import dev.cairn.GridException;

/**
 * Fault injection for tests and drills: cuts a channel off from every other member, both ways, as a network cut would.
 * A DISCARD protocol goes in right above the transport, so every message above it is dropped, heartbeats included:
 * the others see this member go silent and, after the failure timeout, leave their view, and it sees them go. TCP
 * connections stay up, as they can in a real cut until a write times out; only silence is detected. Undone by
 * {@link #reconnect}, after which MERGE3 heals the split.
 */
public final class Faults {
    private Faults() {
    }

    /** Drops everything this channel sends and receives above its transport. Idempotent. */
    public static synchronized void cutOff(JChannel channel) {
        ProtocolStack stack = channel.getProtocolStack();
        if (stack.findProtocol(DISCARD.class) == null) {
            DISCARD discard = new DISCARD().discardAll(true);
            try {
                stack.insertProtocol(discard, ProtocolStack.Position.ABOVE, TP.class);
                discard.init();
                discard.start();
            } catch (Exception e) {
                throw new GridException("cannot cut off channel " + channel.getName() + ": " + e, e);
            }
        }
    }

    /** Undoes {@link #cutOff}. Idempotent. */
    public static synchronized void reconnect(JChannel channel) {
        ProtocolStack stack = channel.getProtocolStack();
        DISCARD discard = stack.findProtocol(DISCARD.class);
        if (discard != null) {
            stack.removeProtocol(discard);
            discard.stop();
        }
    }
}
