package dev.cairn.membership;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import org.jgroups.JChannel;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.PING;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.SHARED_LOOPBACK_PING;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UDP;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

import dev.cairn.GridConfigException;

/**
 * Builds the JGroups stack for a transport. The shape follows JGroups' tcp.xml and tcp-low-latency.xml: TCP with
 * {@code tcp_nodelay}, TCPPING discovery, FD_SOCK2 (a killed process's sockets close, so it is seen at once) backed
 * by FD_ALL3 heartbeats (a paused or cut-off process is seen after the failure timeout), MERGE3 to heal splits.
 * Every socket a node listens on (the transport's, FD_SOCK2's) binds to the configured bind address only; JGroups'
 * diagnostics (probe) stay off, as they are by default.
 */
public final class Stacks {
    private Stacks() {
    }

    static JChannel channel(ChannelSettings s) throws Exception {
        return channel(s, List.of());
    }

    /**
     * The stack for {@code s} with {@code top} stacked above it (bottom first), for a module that needs protocols of
     * its own, as the lock service needs jgroups-raft's. Not for the xml transport.
     */
    public static JChannel channel(ChannelSettings s, List<Protocol> top) throws Exception {
        if (!top.isEmpty() && s.transport() == Transport.XML) {
            throw new GridConfigException("a user's XML stack cannot have protocols added to it; use tcp, udp or loopback");
        }
        if (s.transport() == Transport.XML) {
            try (InputStream in = Files.newInputStream(s.stackFile())) {
                return new JChannel(in);
            } catch (IOException e) {
                throw new GridConfigException("stack file '" + s.stackFile() + "' cannot be read: " + e.getMessage(), e);
            }
        }
        List<Protocol> stack = new ArrayList<>();
        switch (s.transport()) {
            case TCP -> {
                TCP tcp = new TCP();
                tcp.tcpNodelay(true);
                tcp.setBindAddress(address(s.bindAddress()));
                tcp.setBindPort(s.port());
                tcp.setPortRange(s.portRange());
                stack.add(tcp);
                TCPPING ping = new TCPPING();
                ping.setInitialHosts(seeds(s.seeds()));
                ping.setPortRange(s.portRange());
                stack.add(ping);
            }
            case UDP -> {
                UDP udp = new UDP();
                udp.setBindAddress(address(s.bindAddress()));
                udp.setBindPort(s.port());
                udp.setPortRange(s.portRange());
                udp.setMulticastAddress(address(s.multicastAddress()));
                udp.setMulticastPort(s.multicastPort());
                stack.add(udp);
                stack.add(new PING());
            }
            case LOOPBACK -> {
                stack.add(new SHARED_LOOPBACK());
                stack.add(new SHARED_LOOPBACK_PING());
            }
            default -> throw new IllegalStateException("unreachable: " + s.transport());
        }
        long failure = s.failureTimeout().toMillis();
        // Heartbeats every eighth of the timeout; a suspect is verified for another eighth. A member silent for
        // 3/4 of the timeout is suspected, so it is out of the view within the timeout.
        long verify = Math.max(50, failure / 8);
        MERGE3 merge = new MERGE3();
        merge.setMinInterval(Math.max(200, failure / 4));
        merge.setMaxInterval(Math.max(400, failure / 2));
        stack.add(merge);
        if (s.transport() != Transport.LOOPBACK) {
            // FD_SOCK2 listens on port + 100 on every interface unless told otherwise: it binds where the transport
            // does, so nothing of a node is reachable beyond its bind address
            FD_SOCK2 fdSock = new FD_SOCK2();
            fdSock.setBindAddress(address(s.bindAddress()));
            stack.add(fdSock);
        }
        FD_ALL3 fd = new FD_ALL3();
        fd.setTimeout(Math.max(100, failure * 3 / 4));
        fd.setInterval(Math.max(25, failure / 8));
        stack.add(fd);
        VERIFY_SUSPECT2 verifySuspect = new VERIFY_SUSPECT2();
        verifySuspect.setTimeout(verify);
        stack.add(verifySuspect);
        stack.add(new NAKACK2().useMcastXmit(false));
        stack.add(new UNICAST3());
        stack.add(new STABLE());
        GMS gms = new GMS();
        gms.setJoinTimeout(s.joinTimeout().toMillis());
        gms.setLeaveTimeout(s.leaveTimeout().toMillis());
        gms.printLocalAddress(false);
        stack.add(gms);
        stack.add(new UFC());
        stack.add(new MFC());
        stack.add(new FRAG4());
        stack.addAll(top);
        return new JChannel(stack);
    }

    private static InetAddress address(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new GridConfigException("address '" + host + "' cannot be resolved", e);
        }
    }

    private static List<java.net.InetSocketAddress> seeds(List<String> seeds) {
        List<java.net.InetSocketAddress> out = new ArrayList<>();
        for (String seed : seeds) {
            HostPort hp = HostPort.parse("seeds", seed);
            out.add(new java.net.InetSocketAddress(address(hp.host()), hp.port()));
        }
        return out;
    }
}
