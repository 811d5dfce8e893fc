package dev.cairn.grid;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.GridConfigException;

/**
 * The JVM flags Cairn needs, and which of them this JVM lacks. The list is the build's own: the root pom's
 * {@code cairn.jvm.flags} (every Java 17+) and {@code cairn.jvm.flags.jdk23} (Java 23 and later, which alone accept
 * it), filtered into {@code jvm-flags.properties} beside this class.
 *
 * <p>{@link Grid#start} checks before it opens anything. Without one of the opens or exports Chronicle Map cannot
 * work (it fails on the first write, deep inside), so the start fails at once with a {@link GridConfigException}
 * listing every missing flag and where flags go. Native access (Java 22+) and {@code sun.misc.Unsafe} memory access
 * (Java 24+) only decide whether the JVM prints warnings, so a JVM without them starts, with one warning from Cairn
 * naming them; a JVM that denies Unsafe memory access fails, as the store would.
 *
 * <p>Launchers that start JVMs embedding Cairn (such as the examples' process launcher) pass {@link #required()}.
 */
public final class JvmFlags {
    private static final Logger log = LoggerFactory.getLogger(JvmFlags.class);
    private static final String RESOURCE = "jvm-flags.properties";
    private static final Properties LISTS = load();
    private static final String UNSAFE_MEMORY_ACCESS = "--sun-misc-unsafe-memory-access=";

    private JvmFlags() {
    }

    /** Every flag Cairn asks of a JVM of this Java version, in the build's order. */
    public static List<String> required() {
        return required(Runtime.version().feature());
    }

    /** Every flag Cairn asks of a JVM of Java version {@code feature} (17, 21, 25, ...). */
    public static List<String> required(int feature) {
        List<String> out = new ArrayList<>(split(LISTS.getProperty("flags")));
        if (feature >= 23) {
            out.addAll(split(LISTS.getProperty("flags.jdk23")));
        }
        return List.copyOf(out);
    }

    /** The flags of {@link #required()} this JVM was not started with, in the same order; empty when it has them all. */
    public static List<String> missing() {
        List<String> out = new ArrayList<>();
        for (String flag : required()) {
            if (!present(flag)) {
                out.add(flag);
            }
        }
        return out;
    }

    /** The lists as the build wrote them into {@code jvm-flags.properties}: flags and manifest attributes. */
    static Properties lists() {
        Properties copy = new Properties();
        copy.putAll(LISTS);
        return copy;
    }

    /**
     * Fails when the store could not work in this JVM; warns once when the JVM will print warnings of its own.
     *
     * @throws GridConfigException listing every missing flag and where flags go
     */
    static void check() {
        List<String> missing = missing();
        if (missing.isEmpty()) {
            return;
        }
        boolean fatal = missing.stream().anyMatch(f -> f.startsWith("--add-") || unsafeMemoryAccessDenied(f));
        if (fatal) {
            throw new GridConfigException(explain(missing, Runtime.version().feature()));
        }
        log.warn("this JVM (Java {}) lacks {}: it will print warnings of its own; give it these flags as well "
                + "(README, 'JVM flags')", Runtime.version().feature(), String.join(" ", missing));
    }

    /** The message for a JVM of Java {@code feature} that lacks {@code missing}. */
    static String explain(List<String> missing, int feature) {
        StringBuilder b = new StringBuilder();
        b.append("this JVM (Java ").append(feature).append(") lacks ").append(missing.size())
                .append(missing.size() == 1 ? " flag" : " flags")
                .append(" that Cairn's off-heap store (Chronicle Map) needs, so Grid.start opened nothing:\n");
        for (String flag : missing) {
            b.append("    ").append(flag).append('\n');
        }
        b.append("Give the JVM all of these, FLAGS below (for Java ").append(feature).append("):\n    ")
                .append(String.join(" ", required(feature))).append('\n');
        b.append("Where FLAGS go:\n");
        b.append("    java command line        java FLAGS -cp ... your.Main\n");
        b.append("    Maven Surefire/Failsafe  <configuration><argLine>FLAGS</argLine></configuration>\n");
        b.append("    Maven exec:java          runs in Maven's own JVM: MAVEN_OPTS=\"FLAGS\" (or exec:exec, FLAGS before -classpath)\n");
        b.append("    Gradle                   jvmArgs(FLAGS) in tasks.withType(Test) and JavaExec; application { "
                + "applicationDefaultJvmArgs = [FLAGS] }\n");
        b.append("    executable jar manifest  Add-Exports: ").append(LISTS.getProperty("manifest.add-exports"))
                .append("\n                             Add-Opens: ").append(LISTS.getProperty("manifest.add-opens"))
                .append("\n                             Enable-Native-Access: ")
                .append(LISTS.getProperty("manifest.enable-native-access")).append('\n');
        if (feature >= 23) {
            b.append("                             (no attribute carries ").append(LISTS.getProperty("flags.jdk23"))
                    .append(": java ").append(LISTS.getProperty("flags.jdk23")).append(" -jar app.jar)\n");
        }
        b.append("    container                JAVA_TOOL_OPTIONS=\"FLAGS\"\n");
        b.append("Java 17 to 22 refuse to start with ").append(LISTS.getProperty("flags.jdk23"))
                .append(": give it on Java 23 and later only. See the README, 'JVM flags'.");
        return b.toString();
    }

    /** Whether this JVM has {@code flag}, as far as it can be seen from inside. */
    static boolean present(String flag) {
        Module self = JvmFlags.class.getModule();
        if (flag.startsWith("--add-exports=") || flag.startsWith("--add-opens=")) {
            String target = flag.substring(flag.indexOf('=') + 1);
            int slash = target.indexOf('/');
            int eq = target.indexOf('=');
            if (slash < 0 || eq < slash) {
                throw new IllegalStateException("unreadable flag in " + RESOURCE + ": " + flag);
            }
            Optional<Module> module = ModuleLayer.boot().findModule(target.substring(0, slash));
            if (module.isEmpty()) {
                return true; // an image without that module (a jlink'd runtime): the JVM ignores the flag too
            }
            String pkg = target.substring(slash + 1, eq);
            return flag.startsWith("--add-opens=") ? module.get().isOpen(pkg, self) : module.get().isExported(pkg, self);
        }
        if (flag.startsWith("--enable-native-access=")) {
            if (Runtime.version().feature() < 22) {
                return true; // nothing to warn about before Java 22, and no way to ask
            }
            try {
                return (Boolean) Module.class.getMethod("isNativeAccessEnabled").invoke(self);
            } catch (ReflectiveOperationException e) {
                return true;
            }
        }
        if (flag.startsWith(UNSAFE_MEMORY_ACCESS)) {
            String wanted = flag.substring(UNSAFE_MEMORY_ACCESS.length());
            return unsafeMemoryAccess().map(wanted::equalsIgnoreCase).orElse(true);
        }
        throw new IllegalStateException("flag in " + RESOURCE + " that JvmFlags cannot check: " + flag);
    }

    private static boolean unsafeMemoryAccessDenied(String flag) {
        return flag.startsWith(UNSAFE_MEMORY_ACCESS) && unsafeMemoryAccess().map("deny"::equalsIgnoreCase).orElse(false);
    }

    /**
     * The JVM's {@code --sun-misc-unsafe-memory-access} mode (allow, warn, debug, deny), from the field
     * {@code sun.misc.Unsafe} keeps it in since Java 23 (jdk.unsupported opens sun.misc), else from the JVM's
     * arguments; empty before Java 23.
     */
    private static Optional<String> unsafeMemoryAccess() {
        if (Runtime.version().feature() < 23) {
            return Optional.empty();
        }
        try {
            Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("MEMORY_ACCESS_OPTION");
            f.setAccessible(true);
            return Optional.of(f.get(null).toString());
        } catch (ReflectiveOperationException | RuntimeException e) {
            List<String> args = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
            String given = null;
            for (String a : args) {
                if (a.startsWith(UNSAFE_MEMORY_ACCESS)) {
                    given = a.substring(UNSAFE_MEMORY_ACCESS.length()); // the last one wins, as in the JVM
                }
            }
            return Optional.of(given == null ? "warn" : given);
        }
    }

    private static List<String> split(String list) {
        return list == null || list.isBlank() ? List.of() : Arrays.asList(list.trim().split("\\s+"));
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = JvmFlags.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing beside " + JvmFlags.class.getName()
                        + ": grid-core was not built by Maven");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (p.getProperty("flags", "").contains("${")) {
            throw new IllegalStateException(RESOURCE + " was not filtered by the build: " + p.getProperty("flags"));
        }
        return p;
    }
}
