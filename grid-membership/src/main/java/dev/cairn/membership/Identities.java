package dev.cairn.membership;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.PhysicalAddress;
import org.jgroups.util.ExtendedUUID;
import org.jgroups.util.NameCache;

/**
 * Who a member is, as its address carries it: the node name (decision 35: JGroups' name cache may miss a member that
 * came back) and when its incarnation started (decision 46: of two members of one name, the later started is the
 * node). One per channel; the {@link Member} of each address is made once and remembered until it leaves.
 */
final class Identities {
    /** The key under which a member's address carries its node name. */
    private static final byte[] NAME_KEY = "cairn-name".getBytes(StandardCharsets.UTF_8);
    /** When this incarnation started (epoch ms), so that members of one name are told apart by age. */
    private static final byte[] STARTED_KEY = "cairn-started".getBytes(StandardCharsets.UTF_8);

    private final JChannel channel;
    private final Map<Address, Member> known = new ConcurrentHashMap<>();

    /** Makes every address {@code channel} generates carry {@code node} and the time of this call. */
    Identities(JChannel channel, String node) {
        this.channel = channel;
        long started = System.currentTimeMillis();
        channel.addAddressGenerator(() -> ExtendedUUID.randomUUID(node)
                .put(NAME_KEY, node.getBytes(StandardCharsets.UTF_8))
                .put(STARTED_KEY, ByteBuffer.allocate(Long.BYTES).putLong(started).array()));
    }

    /** The member at {@code address}; remembered once its name is known. */
    Member member(Address address) {
        Member m = known.get(address);
        if (m != null) {
            return m;
        }
        String name = nameOf(address);
        Object physical = channel.down(new Event(Event.GET_PHYSICAL_ADDRESS, address));
        Member made = new Member(name == null ? address.toString() : name,
                physical instanceof PhysicalAddress p ? p.printIpAddress() : "", address, startedAt(address));
        if (name == null) {
            return made; // not remembered: the name may still arrive
        }
        Member raced = known.putIfAbsent(address, made);
        return raced == null ? made : raced;
    }

    /** Forgets a member that left. */
    void forget(Member m) {
        known.remove(m.address());
    }

    /** The node name carried in a member's address, else JGroups' name cache's. */
    static String nameOf(Address address) {
        if (address instanceof ExtendedUUID e) {
            byte[] name = e.get(NAME_KEY);
            if (name != null) {
                return new String(name, StandardCharsets.UTF_8);
            }
        }
        return NameCache.get(address);
    }

    /** When the member's incarnation started, carried in its address; 0 when unknown. */
    private static long startedAt(Address address) {
        if (address instanceof ExtendedUUID e) {
            byte[] started = e.get(STARTED_KEY);
            if (started != null && started.length == Long.BYTES) {
                return ByteBuffer.wrap(started).getLong();
            }
        }
        return 0;
    }
}
