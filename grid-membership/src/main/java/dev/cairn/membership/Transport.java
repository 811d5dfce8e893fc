package dev.cairn.membership;

import java.util.Locale;

import dev.cairn.GridConfigException;

/** How a node reaches the others. */
public enum Transport {
    /** TCP with a TCPPING seed list: the default, and the one that works across hosts without multicast. */
    TCP,
    /** UDP with IP multicast discovery, for networks that carry multicast. */
    UDP,
    /** A JGroups stack read from the user's own XML file. */
    XML,
    /** In-JVM SHARED_LOOPBACK, for tests that run several nodes in one JVM. */
    LOOPBACK;

    /**
     * Parses a transport name case-insensitively.
     *
     * @param setting the setting the text came from, named in the error
     * @throws GridConfigException naming the setting, the text and the accepted names
     */
    public static Transport parse(String setting, String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new GridConfigException(setting + " must be one of tcp, udp, xml, loopback but was '" + text + "'");
        }
    }
}
