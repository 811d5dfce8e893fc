package dev.cairn.membership;

import java.util.Objects;

import org.jgroups.Address;

/**
 * One node of the cluster, as seen in a view. Two members are equal when they are the same incarnation: a node that
 * restarts under the same name is a new member with the same {@link #name()}.
 */
public final class Member {
    private final String name;
    private final String physicalAddress;
    private final Address address;
    private final long startedAt;

    Member(String name, String physicalAddress, Address address, long startedAt) {
        this.name = Objects.requireNonNull(name);
        this.physicalAddress = physicalAddress == null ? "" : physicalAddress;
        this.address = Objects.requireNonNull(address);
        this.startedAt = startedAt;
    }

    /** The node's configured name, its stable identity across restarts. */
    public String name() {
        return name;
    }

    /** Where the node listens, as {@code host:port}; empty when the transport has no such address. */
    public String physicalAddress() {
        return physicalAddress;
    }

    /**
     * When this incarnation started, in epoch milliseconds (0 when unknown): of two members with one name in a view,
     * the later started is the node's current incarnation.
     */
    public long startedAt() {
        return startedAt;
    }

    Address address() {
        return address;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Member other && address.equals(other.address);
    }

    @Override
    public int hashCode() {
        return address.hashCode();
    }

    @Override
    public String toString() {
        return name;
    }
}
