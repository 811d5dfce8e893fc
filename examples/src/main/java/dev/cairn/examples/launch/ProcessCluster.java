package dev.cairn.examples.launch;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Several Cairn nodes, each its own JVM on 127.0.0.1, for the demo, the benchmarks and the integration tests.
 *
 * <pre>{@code
 * try (ProcessCluster cluster = ProcessCluster.builder().logs(dir).build()) {
 *     cluster.start("n1", "n2", "n3");
 *     cluster.awaitView(Duration.ofSeconds(10), "n1", "n2", "n3");
 *     cluster.node("n2").kill();
 *     cluster.awaitView(Duration.ofSeconds(10), "n1", "n3");
 * }
 * }</pre>
 *
 * Every node gets a free port up front, and every node's seed list names all of them, so any node can start or
 * restart in any order. Closing the cluster kills whatever still runs.
 */
public final class ProcessCluster implements AutoCloseable {
    /** JVM flags for every node: small heaps (the machine has 2 cores and runs several JVMs) and IPv4. */
    public static final List<String> DEFAULT_JVM_FLAGS = List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC",
            "-Djava.net.preferIPv4Stack=true");

    private final Path jar;
    private final Path logs;
    private final String clusterName;
    private final List<String> jvmFlags;
    private final List<String> nodeArgs;
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private final Map<String, NodeProcess> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> incarnations = new LinkedHashMap<>();
    private final Thread reaper;

    private ProcessCluster(Builder b) {
        this.jar = b.jar != null ? b.jar : ownJar();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("examples jar not found at " + jar + "; build it with ./mvnw -q package -DskipTests");
        }
        this.logs = b.logs;
        this.clusterName = b.clusterName != null ? b.clusterName : "cairn-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
        this.jvmFlags = List.copyOf(b.jvmFlags);
        this.nodeArgs = new ArrayList<>(b.nodeArgs);
        this.reaper = new Thread(this::close, "process-cluster-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings for a cluster of node processes. */
    public static final class Builder {
        private Path jar;
        private Path logs = Path.of("target", "node-logs");
        private String clusterName;
        private List<String> jvmFlags = DEFAULT_JVM_FLAGS;
        private final List<String> nodeArgs = new ArrayList<>();

        /** The examples jar; default the jar this class was loaded from. */
        public Builder jar(Path v) { jar = v; return this; }
        /** Where each node's output is kept, one file per start. */
        public Builder logs(Path v) { logs = v; return this; }
        /** Default a name unique to this launcher, so concurrent clusters never meet. */
        public Builder clusterName(String v) { clusterName = v; return this; }
        public Builder jvmFlags(List<String> v) { jvmFlags = v; return this; }
        /** Extra arguments for every node, after {@code node --name N --port P}. */
        public Builder nodeArgs(String... v) { nodeArgs.addAll(List.of(v)); return this; }

        public ProcessCluster build() {
            return new ProcessCluster(this);
        }
    }

    /** Adds arguments for every node started from now on (after {@code node --name N --port P}). */
    public ProcessCluster withNodeArgs(String... args) {
        nodeArgs.addAll(List.of(args));
        return this;
    }

    /** Reserves a port for each name (so seed lists are complete), then starts a JVM for each. */
    public List<NodeProcess> start(String... names) {
        for (String name : names) {
            ports.computeIfAbsent(name, n -> freePort());
        }
        List<NodeProcess> started = new ArrayList<>();
        for (String name : names) {
            started.add(startNode(name));
        }
        return started;
    }

    /** Starts (or restarts) the named node; its port stays the same across restarts. */
    public NodeProcess startNode(String name) {
        NodeProcess old = nodes.get(name);
        if (old != null && old.isAlive()) {
            throw new IllegalStateException("node " + name + " is still running (pid " + old.pid() + ")");
        }
        int port = ports.computeIfAbsent(name, n -> freePort());
        int incarnation = incarnations.merge(name, 1, Integer::sum);
        List<String> args = new ArrayList<>(List.of("--cluster", clusterName, "--seeds", seeds()));
        args.addAll(nodeArgs);
        NodeProcess p = NodeProcess.start(jar, jvmFlags, name, port, args, logs.resolve(name + "-" + incarnation + ".log"));
        nodes.put(name, p);
        incarnationsStarted.add(p);
        return p;
    }

    /** Every node process started, earlier incarnations of restarted nodes included, in start order. */
    public List<NodeProcess> everyIncarnation() {
        return List.copyOf(incarnationsStarted);
    }

    private String seeds() {
        return ports.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    public NodeProcess node(String name) {
        NodeProcess p = nodes.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no node named " + name + "; nodes: " + nodes.keySet());
        }
        return p;
    }

    private final List<NodeProcess> incarnationsStarted = new java.util.concurrent.CopyOnWriteArrayList<>();

    public Collection<NodeProcess> nodes() {
        return nodes.values();
    }

    public String clusterName() {
        return clusterName;
    }

    /**
     * Waits until each named node has printed a view made of exactly the named nodes, and returns the time waited.
     *
     * @throws IllegalStateException naming the node that did not get there, with the views each printed last
     */
    public Duration awaitView(Duration timeout, String... names) {
        long start = System.nanoTime();
        List<String> expected = List.of(names).stream().sorted().toList();
        for (String name : names) {
            NodeProcess p = node(name);
            long left = timeout.toNanos() - (System.nanoTime() - start);
            try {
                p.awaitLine(0, t -> p.lastView().map(v -> v.stream().sorted().toList().equals(expected)).orElse(false),
                        Duration.ofNanos(Math.max(1, left)));
            } catch (IllegalStateException e) {
                throw new IllegalStateException("node " + name + " did not see the view " + expected + " within "
                        + timeout.toMillis() + " ms; last views: " + lastViews(), e);
            }
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Each running node's last printed view, for messages. */
    public String lastViews() {
        return nodes.values().stream().map(p -> p.name() + (p.isAlive() ? "" : "(dead)") + "=" + p.lastView().orElse(List.of()))
                .collect(Collectors.joining(", "));
    }

    /** Kills every node that still runs. */
    @Override
    public void close() {
        for (NodeProcess p : nodes.values()) {
            p.close();
        }
        if (Thread.currentThread() != reaper) {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down
            }
        }
    }

    /**
     * A port on 127.0.0.1 that is free now, and so are port + 100 and port + 1000 (the lock group's channel binds the
     * node's port + 1000 by default). Chosen below Linux's ephemeral range (32768-60999), so that no outgoing
     * connection of another process can take it between this check and the node's bind, as happened with ports the
     * kernel handed out (a lock-group member failed to bind port + 1000). Never the same port twice in one JVM.
     */
    public static int freePort() {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(15_000, 31_000);
            synchronized (HANDED_OUT) {
                // a node binds its port, +100 (failure detection), +1000 and +1100 (the lock group's channel and its
                // failure detection): none may be one another node was handed, which may not be bound yet (LockIT on
                // CI: a node's port was another's lock port)
                boolean free = true;
                for (int offset : NODE_PORT_OFFSETS) {
                    free &= !HANDED_OUT.contains(port + offset) && available(port + offset);
                }
                if (free) {
                    for (int offset : NODE_PORT_OFFSETS) {
                        HANDED_OUT.add(port + offset);
                    }
                    return port;
                }
            }
        }
        throw new IllegalStateException("no free port (with +100, +1000 and +1100 free too) found on 127.0.0.1 in"
                + " 15000-31000");
    }

    /** The ports above its own that a node binds. */
    private static final int[] NODE_PORT_OFFSETS = {0, 100, 1000, 1100};

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static boolean available(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort() == port;
        } catch (IOException e) {
            return false;
        }
    }

    private static Path ownJar() {
        try {
            return Path.of(ProcessCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
