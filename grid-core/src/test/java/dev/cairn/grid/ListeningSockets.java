package dev.cairn.grid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The sockets a process listens on, read from Linux's /proc: the socket inodes among the process's open files,
 * matched against the TCP sockets in LISTEN state and the bound UDP sockets of /proc/net/{tcp,tcp6,udp,udp6}.
 */
final class ListeningSockets {
    /** One socket: {@code tcp} or {@code udp}, and where it is bound. */
    record Socket(String protocol, InetSocketAddress address) {
        @Override
        public String toString() {
            return protocol + " " + address.getAddress().getHostAddress() + ":" + address.getPort();
        }
    }

    private ListeningSockets() {
    }

    static boolean available() {
        return Files.isDirectory(Path.of("/proc/self/fd")) && Files.isReadable(Path.of("/proc/net/tcp"));
    }

    /** Every listening TCP socket and bound UDP socket of process {@code pid}, as protocol and address. */
    static Set<Socket> of(long pid) {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<Socket> out = new HashSet<>();
        for (String table : List.of("tcp", "tcp6", "udp", "udp6")) {
            boolean tcp = table.startsWith("tcp");
            for (String line : lines(Path.of("/proc/" + pid + "/net/" + table))) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                if (f.length < 10 || !inodes.contains(f[9])) {
                    continue;
                }
                boolean listening = tcp ? f[3].equals("0A") : f[3].equals("07");
                if (listening) {
                    out.add(new Socket(tcp ? "tcp" : "udp", address(f[1])));
                }
            }
        }
        return out;
    }

    /** {@code 0100007F:1E78} or the IPv6 form, as an address and port. */
    static InetSocketAddress address(String hex) {
        String[] hp = hex.split(":");
        String h = hp[0];
        byte[] bytes = new byte[h.length() / 2];
        // the kernel prints each 32-bit word in host order (little-endian here)
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = word * 8 + (3 - i) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(h.substring(at, at + 2), 16);
            }
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), Integer.parseInt(hp[1], 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> lines(Path table) {
        try {
            List<String> all = Files.readAllLines(table);
            return new ArrayList<>(all.subList(Math.min(1, all.size()), all.size()));
        } catch (IOException e) {
            return List.of();
        }
    }
}
