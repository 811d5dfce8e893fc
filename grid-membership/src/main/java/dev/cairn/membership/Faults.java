package dev.cairn.membership;

import java.util.Collection;
import java.util.Set;

import org.jgroups.JChannel;
import org.jgroups.protocols.DISCARD;
import org.jgroups.protocols.TP;
import org.jgroups.stack.ProtocolStack;

import dev.cairn.GridException;

/**
 * Fault injection for tests and drills: cuts a channel off from every other member, both ways, as a network cut would,
 * or only from some members ({@link #cutFrom}), as a split into two groups would.
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

    /**
     * Drops what this channel receives from the named members and the unicasts it sends them, above its transport;
     * its multicasts still reach them. Run it on each side of a split naming the other side, and each side sees the
     * other go silent after the failure timeout while its own links stay up. Adds to the names of an earlier call.
     *
     * @param members logical member names (node names), matched on every message, so a restarted member stays cut
     */
    public static synchronized void cutFrom(JChannel channel, Collection<String> members) {
        ProtocolStack stack = channel.getProtocolStack();
        CutFrom cut = stack.findProtocol(CutFrom.class);
        if (cut == null) {
            cut = new CutFrom();
            cut.add(members);
            try {
                stack.insertProtocol(cut, ProtocolStack.Position.ABOVE, TP.class);
                cut.init();
                cut.start();
            } catch (Exception e) {
                throw new GridException("cannot cut channel " + channel.getName() + " from " + members + ": " + e, e);
            }
        } else {
            cut.add(members);
        }
    }

    /** The member names {@link #cutFrom} cuts this channel from; empty when none. */
    public static synchronized Set<String> cutFrom(JChannel channel) {
        CutFrom cut = channel.getProtocolStack().findProtocol(CutFrom.class);
        return cut == null ? Set.of() : cut.names();
    }

    /** Undoes {@link #cutOff} and {@link #cutFrom}. Idempotent. */
    public static synchronized void reconnect(JChannel channel) {
        ProtocolStack stack = channel.getProtocolStack();
        DISCARD discard = stack.findProtocol(DISCARD.class);
        if (discard != null) {
            stack.removeProtocol(discard);
            discard.stop();
        }
        CutFrom cut = stack.findProtocol(CutFrom.class);
        if (cut != null) {
            stack.removeProtocol(cut);
            cut.stop();
        }
    }
}
