package dev.cairn.examples.launch;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One Cairn node running in its own JVM: {@code java -jar cairn-examples.jar node ...}. It reads the node's console
 * output and its log (stderr) line by line, keeps every line of both in one log file, and lets a caller wait for a line, send a console command,
 * kill the process with SIGKILL, or pause and resume it with SIGSTOP and SIGCONT.
 *
 * <p>The node prints machine-readable event lines: {@code READY <name> <address> first-view-ms=<ms>},
 * {@code VIEW <id> <name,name,...>}, {@code JOINED|LEFT|CRASHED <name>}, {@code MERGED <n>}.
 */
public final class NodeProcess implements AutoCloseable {
    private final String name;
    private final int port;
    private final Process process;
    private final Path log;
    private final Writer stdin;
    private final List<Line> lines = new ArrayList<>();
    private final Thread reader;
    private final Thread errors;
    private final Writer file;
    /** Output streams still being read; the log file is closed when both have ended. */
    private int open = 2;

    /** One line of output and when it was read. */
    public record Line(long nanos, String text) {
    }

    private NodeProcess(String name, int port, Process process, Path log) throws IOException {
        this.name = name;
        this.port = port;
        this.process = process;
        this.log = log;
        this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.file = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
        // stdout (console answers, events) and stderr (logs) are read apart and kept line by line, so that a log line
        // written while the console prints can never split an answer (they did when both shared one pipe, with DEBUG on)
        this.reader = new Thread(() -> pump(process.getInputStream()), "node-output-" + name);
        this.errors = new Thread(() -> pump(process.getErrorStream()), "node-errors-" + name);
        for (Thread t : List.of(reader, errors)) {
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Starts a node JVM.
     *
     * @param jar      the examples jar
     * @param jvmFlags flags for the JVM, before {@code -jar}
     * @param args     arguments after {@code node}
     * @param log      where to keep the node's output
     */
    public static NodeProcess start(Path jar, List<String> jvmFlags, String name, int port, List<String> args, Path log) {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        // the flags Cairn needs on this Java version (the same JDK runs the child): the jar's manifest carries the
        // opens, exports and native access, but nothing can carry Java 23+'s --sun-misc-unsafe-memory-access
        command.addAll(dev.cairn.grid.JvmFlags.required());
        command.addAll(jvmFlags);
        command.add("-jar");
        command.add(jar.toString());
        command.add("node");
        command.addAll(Arrays.asList("--name", name, "--port", Integer.toString(port)));
        command.addAll(args);
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(command).start();
            return new NodeProcess(name, port, p, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + name + ": " + command, e);
        }
    }

    /** The java launcher of this JVM, so children run on the same JDK. */
    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private void pump(java.io.InputStream stream) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String text;
            while ((text = in.readLine()) != null) {
                synchronized (lines) {
                    file.write(text);
                    file.write('\n');
                    file.flush();
                    lines.add(new Line(System.nanoTime(), text));
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process ended; what was read stays in the log
        } finally {
            synchronized (lines) {
                if (--open == 0) {
                    try {
                        file.close();
                    } catch (IOException e) {
                        // nothing more to keep
                    }
                }
                lines.notifyAll();
            }
        }
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** How many lines have been read so far; pass it to {@link #awaitLine(int, Predicate, Duration)} to wait for later ones. */
    public int mark() {
        synchronized (lines) {
            return lines.size();
        }
    }

    /**
     * Waits for a line at index {@code from} or later that matches.
     *
     * @throws IllegalStateException naming the node, what was awaited and the log file, when none comes in time or the
     *                               process ends first
     */
    public Line awaitLine(int from, Predicate<String> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            int i = from;
            while (true) {
                for (; i < lines.size(); i++) {
                    if (match.test(lines.get(i).text())) {
                        return lines.get(i);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || (!process.isAlive() && !reader.isAlive() && !errors.isAlive())) {
                    throw new IllegalStateException("node " + name + " (pid " + pid() + ", "
                            + (process.isAlive() ? "running" : "exited") + ") printed no matching line within "
                            + timeout.toMillis() + " ms; log: " + log);
                }
                try {
                    lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted waiting for node " + name, e);
                }
            }
        }
    }

    /** Waits {@code pause} or until the process prints something, whichever comes first (for polling loops). */
    public void awaitIdle(Duration pause) {
        int from = mark();
        long deadline = System.nanoTime() + pause.toNanos();
        synchronized (lines) {
            while (lines.size() == from && System.nanoTime() < deadline && process.isAlive()) {
                try {
                    lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Waits for the {@code READY} line and returns the milliseconds the node reported from start to first view. */
    public double awaitReady(Duration timeout) {
        String line = awaitLine(0, t -> t.startsWith("READY "), timeout).text();
        return Double.parseDouble(line.substring(line.indexOf("first-view-ms=") + "first-view-ms=".length()).trim());
    }

    /** The member names of the newest view (highest id) this node printed, in view order. */
    public Optional<List<String>> lastView() {
        long best = -1;
        List<String> view = null;
        synchronized (lines) {
            for (Line line : lines) {
                String t = line.text();
                if (t.startsWith("VIEW ")) {
                    String[] parts = t.split(" ", 3);
                    long id = Long.parseLong(parts[1]);
                    if (id >= best) {
                        best = id;
                        view = List.of(parts[2].split(","));
                    }
                }
            }
        }
        return Optional.ofNullable(view);
    }

    /** Sends one console command. */
    public void send(String command) {
        try {
            stdin.write(command);
            stdin.write('\n');
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("node " + name + " does not take commands (" + e.getMessage() + ")", e);
        }
    }

    /** Waits for the process to exit and returns its exit code. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("node " + name + " did not exit within " + timeout.toMillis() + " ms");
            }
            reader.join(timeout.toMillis());
            errors.join(timeout.toMillis());
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends a console command and returns its answer: the first later line that starts with {@code keyword}.
     *
     * @throws IllegalStateException when the node answers ERROR, or nothing in time
     */
    public String ask(String command, String keyword, Duration timeout) {
        int from = mark();
        send(command);
        String line = awaitLine(from, t -> t.startsWith(keyword + " ") || t.startsWith("ERROR"), timeout).text();
        if (!line.startsWith(keyword)) {
            throw new IllegalStateException(name + " answered '" + line + "' to '" + command + "'");
        }
        return line;
    }

    /** SIGKILL: the process dies at once, with no chance to leave the cluster. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGSTOP: the process freezes with its sockets open, as a long GC pause or a hung host would. */
    public void pause() {
        signal("STOP");
    }

    /** SIGCONT: a paused process runs on. */
    public void resume() {
        signal("CONT");
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Asks the node to leave gracefully and waits for it to exit; kills it if it does not within the timeout. */
    public void quit(Duration timeout) {
        if (!process.isAlive()) {
            return;
        }
        try {
            send("quit");
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill();
            }
        } catch (UncheckedIOException e) {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** The last {@code n} lines of output, for a failure report. */
    public List<String> tail(int n) {
        synchronized (lines) {
            return lines.subList(Math.max(0, lines.size() - n), lines.size()).stream().map(Line::text).toList();
        }
    }

    /** Kills the process if it still runs (resuming it first if paused). */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                resume();
            } catch (RuntimeException e) {
                // it may have exited in between
            }
            kill();
        }
    }
}
