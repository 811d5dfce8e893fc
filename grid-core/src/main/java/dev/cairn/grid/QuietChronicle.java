package dev.cairn.grid;

import java.lang.reflect.Method;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps Chronicle's start-up lines out of the application's log: its usage analytics (DESIGN.md decision 8, also set
 * by grid-partition's store), its announcer ("Leave your e-mail ...", "Process id: ... :: Chronicle Map", "Running
 * under ...") and the INFO line "Chronicle core loaded from ...", which no property turns off.
 *
 * <p>The properties are read once, when Chronicle's classes initialise, so this runs in {@link Grid#start} before
 * anything touches Chronicle. Set to {@code false} by the user (as {@code -D...}), a property is left alone. The
 * announcer's switch is {@code chronicle.announcer.disable}, read by Chronicle-Core's {@code InternalAnnouncer}
 * (chronicle-core 2.27ea10). The core's INFO line goes to the SLF4J logger {@code net.openhft.chronicle.core.Jvm};
 * Cairn turns it to WARN where it can without depending on a logging backend: Logback (when that logger has no level
 * of its own) and slf4j-simple (through its system property). With another backend, set that logger to WARN.
 */
final class QuietChronicle {
    static final String CORE_LOGGER = "net.openhft.chronicle.core.Jvm";
    private static final String[] SWITCHES = {"chronicle.analytics.disable", "chronicle.announcer.disable"};

    private QuietChronicle() {
    }

    static void apply() {
        for (String key : SWITCHES) {
            if (System.getProperty(key) == null) {
                System.setProperty(key, "true");
            }
        }
        String simple = "org.slf4j.simpleLogger.log." + CORE_LOGGER;
        if (System.getProperty(simple) == null) {
            System.setProperty(simple, "warn"); // slf4j-simple reads it when the logger is first asked for
        }
        Logger core = LoggerFactory.getLogger(CORE_LOGGER);
        if (core.getClass().getName().equals("ch.qos.logback.classic.Logger")) {
            try {
                Method getLevel = core.getClass().getMethod("getLevel");
                if (getLevel.invoke(core) == null) {
                    Class<?> level = Class.forName("ch.qos.logback.classic.Level", true, core.getClass().getClassLoader());
                    core.getClass().getMethod("setLevel", level).invoke(core, level.getField("WARN").get(null));
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                LoggerFactory.getLogger(QuietChronicle.class).debug("could not quiet {}: {}", CORE_LOGGER, e.toString());
            }
        }
    }
}
