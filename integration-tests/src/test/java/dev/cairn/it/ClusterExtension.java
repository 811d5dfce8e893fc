package dev.cairn.it;

import java.nio.file.Path;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

import dev.cairn.examples.launch.NodeProcess;
import dev.cairn.examples.launch.ProcessCluster;

/**
 * Gives a test a {@link ProcessCluster} of node JVMs, kills whatever still runs after the test, and when the test
 * fails prints where each node's log is kept and its last lines.
 */
final class ClusterExtension implements ParameterResolver, AfterEachCallback, TestWatcher {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ClusterExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
        return p.getParameter().getType() == ProcessCluster.class;
    }

    /** A parameterized test's invocation, e.g. {@code -[3] SIGSTOP...}, so that each keeps its own logs. */
    private static String invocation(String displayName) {
        return displayName.startsWith("[") ? "-" + displayName.replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", "") : "";
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
        Path logs = Path.of(System.getProperty("cairn.it.logs", "target/node-logs"))
                .resolve(c.getRequiredTestClass().getSimpleName()).resolve(c.getRequiredTestMethod().getName()
                        + invocation(c.getDisplayName()));
        Path jar = Path.of(System.getProperty("cairn.examples.jar", "../examples/target/cairn-examples.jar"));
        java.util.List<String> flags = new java.util.ArrayList<>(ProcessCluster.DEFAULT_JVM_FLAGS);
        // e.g. -Dcairn.log.raft=DEBUG: the lock group's elections; -Dcairn.log.partition=DEBUG: partitions moving
        for (String log : java.util.List.of("cairn.log.raft", "cairn.log.partition")) {
            if (System.getProperty(log) != null) {
                flags.add("-D" + log + "=" + System.getProperty(log));
            }
        }
        ProcessCluster cluster = ProcessCluster.builder().jar(jar).logs(logs).jvmFlags(flags).build();
        c.getStore(NS).put("cluster", cluster);
        return cluster;
    }

    @Override
    public void testFailed(ExtensionContext c, Throwable cause) {
        ProcessCluster cluster = c.getStore(NS).get("cluster", ProcessCluster.class);
        if (cluster == null) {
            return;
        }
        StringBuilder report = new StringBuilder("\n=== node logs for failed test " + c.getDisplayName() + " ===\n");
        for (NodeProcess p : cluster.nodes()) {
            report.append("--- ").append(p.name()).append(" (pid ").append(p.pid()).append(") ").append(p.log()).append('\n');
            p.tail(40).forEach(line -> report.append("  ").append(line).append('\n'));
        }
        System.err.println(report);
    }

    @Override
    public void afterEach(ExtensionContext c) {
        ProcessCluster cluster = c.getStore(NS).remove("cluster", ProcessCluster.class);
        if (cluster != null) {
            cluster.close();
        }
    }
}
