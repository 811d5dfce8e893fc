package dev.cairn.bench;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/** The clusters the side-by-side runs: three nodes of one system, each its own JVM, Cairn's or a peer's. */
final class BenchClusters {
    static final List<String> NODES = List.of("a", "b", "c");
    private static final Duration STEP = SideBySide.STEP;

    private BenchClusters() {
    }

    /** Three nodes of one system, a, b and c, each its own JVM, and any added later. */
    interface Cluster extends AutoCloseable {
        /** Starts a, b, c, waits until each sees all three and data placement has settled; returns the product. */
        String start();

        NodeProcess node(String name);

        /** Starts one more node that joins the others; returns without waiting. */
        NodeProcess add(String name);

        /** Where the nodes' output and GC logs go. */
        Path logs();

        @Override
        void close();
    }

    /** Cairn's own node, {@code java -jar cairn-examples.jar node}, through the examples' ProcessCluster. */
    static final class CairnCluster implements Cluster {
        private final ProcessCluster cluster;
        private final Path logs;

        CairnCluster(Path jar, List<String> flags, Path logs, List<String> nodeArgs) {
            this.logs = logs;
            cluster = ProcessCluster.builder().jar(jar).logs(logs).jvmFlags(flags).nodeArgs(nodeArgs.toArray(String[]::new)).build();
        }

        @Override
        public String start() {
            cluster.start(NODES.toArray(String[]::new));
            cluster.awaitView(Duration.ofSeconds(120), NODES.toArray(String[]::new));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            for (String n : NODES) {
                while (!cluster.node(n).ask("partitions", "PARTITIONS", STEP).contains("settled=true")) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("cairn: node " + n + " did not settle its partitions within 120 s");
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
            }
            Package p = ProcessCluster.class.getPackage();
            return "cairn " + (p.getImplementationVersion() != null ? p.getImplementationVersion() : "0.1.0-SNAPSHOT");
        }

        @Override
        public NodeProcess node(String name) {
            return cluster.node(name);
        }

        @Override
        public NodeProcess add(String name) {
            return cluster.startNode(name);
        }

        @Override
        public Path logs() {
            return logs;
        }

        @Override
        public void close() {
            quitAll(cluster.nodes());
            cluster.close();
        }
    }

    /**
     * A peer's nodes: {@code java -jar cairn-benchmarks.jar node --system S --name N --port P --members ...}, started
     * with NodeProcess (whose {@code node --name --port} arguments the peer main accepts as Cairn's does).
     */
    static final class PeerCluster implements Cluster {
        private final String system;
        private final Path jar;
        private final List<String> flags;
        private final Path logs;
        private final String clusterName;
        private final Map<String, Integer> ports = new LinkedHashMap<>();
        private final Map<String, NodeProcess> nodes = new LinkedHashMap<>();
        private final Thread reaper = new Thread(this::close, "peer-cluster-reaper");

        PeerCluster(String system, Path jar, List<String> flags, Path logs) {
            if (!system.equals("hazelcast") && !system.equals("infinispan")) {
                throw new IllegalArgumentException("unknown system '" + system + "': cairn, hazelcast or infinispan");
            }
            this.system = system;
            this.jar = jar;
            this.flags = flags;
            this.logs = logs;
            this.clusterName = system + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
            Runtime.getRuntime().addShutdownHook(reaper);
        }

        @Override
        public String start() {
            for (String n : NODES) {
                ports.put(n, ProcessCluster.freePort());
            }
            for (String n : NODES) {
                startNode(n);
            }
            String product = system;
            for (NodeProcess p : nodes.values()) {
                String ready = p.awaitLine(0, t -> t.startsWith("READY ") || t.startsWith("ERROR"), Duration.ofSeconds(180)).text();
                if (ready.startsWith("ERROR")) {
                    throw new IllegalStateException(p.name() + ": " + ready + "; log: " + p.log());
                }
                Matcher m = Pattern.compile("product=(\\S+)").matcher(ready);
                if (m.find()) {
                    product = m.group(1).replace('-', ' ');
                }
            }
            for (NodeProcess p : nodes.values()) {
                p.awaitLine(0, t -> t.startsWith("VIEW ") && t.split(" ", 3)[2].split(",").length == NODES.size(),
                        Duration.ofSeconds(180));
            }
            String settled = nodes.get("a").ask("settle 120", "SETTLED", STEP);
            if (!settled.equals("SETTLED true")) {
                throw new IllegalStateException(system + " did not settle: " + settled);
            }
            return product;
        }

        private NodeProcess startNode(String name) {
            String members = String.join(",", ports.values().stream().map(p -> "127.0.0.1:" + p).toList());
            NodeProcess p = NodeProcess.start(jar, flags, name, ports.get(name),
                    List.of("--system", system, "--members", members, "--cluster", clusterName), logs.resolve(name + ".log"));
            nodes.put(name, p);
            return p;
        }

        @Override
        public NodeProcess node(String name) {
            NodeProcess p = nodes.get(name);
            if (p == null) {
                throw new IllegalArgumentException("no node " + name + "; nodes: " + nodes.keySet());
            }
            return p;
        }

        @Override
        public NodeProcess add(String name) {
            ports.put(name, ProcessCluster.freePort());
            return startNode(name);
        }

        @Override
        public Path logs() {
            return logs;
        }

        @Override
        public void close() {
            quitAll(nodes.values());
            for (NodeProcess p : nodes.values()) {
                p.close();
            }
            if (Thread.currentThread() != reaper) {
                try {
                    Runtime.getRuntime().removeShutdownHook(reaper);
                } catch (IllegalStateException e) {
                    // shutting down already
                }
            }
        }
    }

    /** Asks every node to leave at once, then waits for each (at most 20 s in all) and kills what still runs. */
    static void quitAll(java.util.Collection<NodeProcess> nodes) {
        for (NodeProcess p : nodes) {
            if (p.isAlive()) {
                try {
                    p.send("quit");
                } catch (UncheckedIOException e) {
                    // its input is closed: close() below kills it
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (NodeProcess p : nodes) {
            while (p.isAlive() && System.nanoTime() < deadline) {
                p.awaitIdle(Duration.ofMillis(100));
            }
            p.close();
        }
    }
}
