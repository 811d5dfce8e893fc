package dev.cairn.membership;

import dev.cairn.GridConfigException;

/**
 * A {@code host:port} pair as written in a seed list.
 *
 * @param host a host name or literal address
 * @param port 1 to 65535
 */
public record HostPort(String host, int port) {

    /**
     * Parses {@code host:port}.
     *
     * @param setting the setting the text came from, named in the error
     * @throws GridConfigException naming the setting and the text when it is not {@code host:port} with a valid port
     */
    public static HostPort parse(String setting, String text) {
        String t = text == null ? "" : text.trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new GridConfigException(setting + " entries must be host:port but one was '" + text + "'");
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new GridConfigException(setting + " entry '" + text + "' has a port that is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new GridConfigException(setting + " entry '" + text + "' has port " + port + ", outside 1..65535");
        }
        return new HostPort(t.substring(0, colon), port);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
