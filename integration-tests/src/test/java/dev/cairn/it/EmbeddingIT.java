package dev.cairn.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.cairn.grid.JvmFlags;

/**
 * The quickstart's class as an application runs it, in a JVM of its own (issue 23): without the flags it fails at
 * once and the JVM exits by itself; with them it clusters two nodes and prints no JVM warning and no Chronicle banner.
 * The class is started with {@code -cp}, not {@code -jar}, so the examples jar's manifest gives it no flags.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddingIT {
    private static final String QUICKSTART = "dev.cairn.quickstart.QuickStart";

    /** A JVM's output lines, each with when it was read. */
    private record Run(Process process, long startedNanos, List<Line> lines) {
        record Line(long nanos, String text) {
        }

        String output() {
            return String.join("\n", lines.stream().map(Line::text).toList());
        }
    }

    private static Run start(List<String> jvmFlags) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("cairn.examples.jar"), QUICKSTART));
        long started = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<Run.Line> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(new Run.Line(System.nanoTime(), line));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "quickstart-output");
        reader.setDaemon(true);
        reader.start();
        return new Run(p, started, lines);
    }

    @Test
    void withoutTheFlagsGridStartFailsWithinASecondListingThemAndTheJvmExitsByItself() throws Exception {
        Run run = start(List.of("-Xmx256m"));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> run.lines().stream().anyMatch(l -> l.text().contains(" lacks ")));
            Run.Line failure = run.lines().stream().filter(l -> l.text().contains(" lacks ")).findFirst().orElseThrow();
            long toFailureMs = TimeUnit.NANOSECONDS.toMillis(failure.nanos() - run.startedNanos());
            assertTrue(run.process().waitFor(5, TimeUnit.SECONDS), "the JVM still runs 5 s after the failure: "
                    + run.process().info() + "\n" + run.output());
            long toExitMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failure.nanos());
            System.out.printf("EmbeddingIT: no flags: GridConfigException %d ms after the JVM was started (JVM start "
                    + "included), JVM exited %d ms after that, exit code %d%n", toFailureMs, toExitMs, run.process().exitValue());
            assertTrue(toFailureMs < 1_000, "the failure came " + toFailureMs + " ms after the JVM was started");
            String out = run.output();
            assertTrue(failure.text().contains("GridConfigException"), out);
            for (String flag : JvmFlags.required()) {
                if (flag.startsWith("--add-opens=")) {
                    assertTrue(out.contains("\n    " + flag + "\n"), flag + " not listed:\n" + out);
                }
            }
            for (String place : List.of("<argLine>", "MAVEN_OPTS", "Gradle", "Add-Opens: ", "JAVA_TOOL_OPTIONS")) {
                assertTrue(out.contains(place), place + " not shown:\n" + out);
            }
            assertFalse(out.contains("IllegalAccessException") || out.contains("net.openhft"), "Chronicle ran:\n" + out);
            assertEquals(1, run.process().exitValue(), "main threw");
        } finally {
            run.process().destroyForcibly();
        }
    }

    @Test
    void withTheFlagsTwoNodesClusterAndNothingButCairnSpeaks(@TempDir Path dir) throws Exception {
        // INFO and up, as an application's log would show them (the examples jar's own logback.xml keeps to WARN)
        Path logback = Files.writeString(dir.resolve("logback.xml"), """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%-5level %logger - %msg%n</pattern></encoder>
                  </appender>
                  <root level="INFO"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        List<String> flags = new ArrayList<>(JvmFlags.required());
        flags.addAll(List.of("-Xmx256m", "-Dlogback.configurationFile=" + logback));
        Run run = start(flags);
        try {
            assertTrue(run.process().waitFor(60, TimeUnit.SECONDS), "the quickstart did not end:\n" + run.output());
            await().atMost(Duration.ofSeconds(5)).until(() -> run.output().contains("b read"));
            String out = run.output();
            System.out.println("EmbeddingIT: the quickstart on Java " + Runtime.version().feature() + ":\n" + out);
            assertEquals(0, run.process().exitValue(), out);
            assertTrue(out.contains("b read 2 espresso in a cluster of 2"), out);
            for (Run.Line line : run.lines()) {
                assertFalse(line.text().startsWith("WARNING:"), "a JVM warning: " + line.text() + "\n" + out);
                assertFalse(line.text().contains("net.openhft.chronicle"), "Chronicle speaks: " + line.text() + "\n" + out);
            }
            List<String> starts = run.lines().stream().map(Run.Line::text).filter(t -> t.startsWith("INFO  dev.cairn.grid.Grid")).toList();
            assertEquals(2, starts.size(), out);
            assertTrue(starts.get(0).contains("node 'a' founded cluster 'quickstart' (1 member) on 127.0.0.1:7800 in "), out);
            assertTrue(starts.get(1).contains("node 'b' joined cluster 'quickstart' (2 members) on 127.0.0.1:7801 in "), out);
        } finally {
            run.process().destroyForcibly();
        }
    }
}
