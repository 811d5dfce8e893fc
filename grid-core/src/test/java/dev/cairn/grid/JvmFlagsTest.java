package dev.cairn.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class JvmFlagsTest {

    @Test
    void thisTestJvmHasEveryFlagTheBuildGivesIt() {
        // surefire's argLine is the same list (cairn.jvm.flags.here), so a flag the code asks for and the build does
        // not give, or one the code cannot see, fails here
        assertEquals(List.of(), JvmFlags.missing());
        JvmFlags.check();
    }

    @Test
    void theManifestFormOfTheOpensAndExportsIsTheSameList() {
        Properties p = JvmFlags.lists();
        List<String> exports = new ArrayList<>();
        List<String> opens = new ArrayList<>();
        for (String flag : JvmFlags.required(17)) {
            String target = flag.substring(flag.indexOf('=') + 1).replace("=ALL-UNNAMED", "");
            if (flag.startsWith("--add-exports=")) {
                exports.add(target);
            } else if (flag.startsWith("--add-opens=")) {
                opens.add(target);
            }
        }
        assertEquals(String.join(" ", exports), p.getProperty("manifest.add-exports"));
        assertEquals(String.join(" ", opens), p.getProperty("manifest.add-opens"));
        assertTrue(JvmFlags.required(17).contains("--enable-native-access=" + p.getProperty("manifest.enable-native-access")));
    }

    @Test
    void theUnsafeMemoryFlagIsAskedOnlyOfJava23AndLater() {
        String unsafe = "--sun-misc-unsafe-memory-access=allow";
        assertFalse(JvmFlags.required(17).contains(unsafe), "Java 17 refuses to start with it");
        assertFalse(JvmFlags.required(21).contains(unsafe));
        assertTrue(JvmFlags.required(25).contains(unsafe));
        assertTrue(JvmFlags.required(25).containsAll(JvmFlags.required(17)));
        assertTrue(JvmFlags.required(17).contains("--add-opens=java.base/java.lang=ALL-UNNAMED"));
    }

    @Test
    void everyFlagInTheListCanBeChecked() {
        for (String flag : JvmFlags.required(25)) {
            JvmFlags.present(flag); // throws for a flag the check does not understand
        }
    }

    @Test
    void theFailureListsEachMissingFlagAndWhereFlagsGo() {
        List<String> missing = List.of("--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED");
        String m = JvmFlags.explain(missing, 25);
        for (String f : missing) {
            assertTrue(m.contains("    " + f + "\n"), m);
        }
        assertTrue(m.contains(String.join(" ", JvmFlags.required(25))), "the whole line to copy: " + m);
        for (String place : List.of("<argLine>", "MAVEN_OPTS", "exec:java", "Gradle", "jvmArgs", "Add-Opens: ",
                "Add-Exports: ", "Enable-Native-Access: ALL-UNNAMED", "JAVA_TOOL_OPTIONS=", "Java 23 and later")) {
            assertTrue(m.contains(place), place + " missing from: " + m);
        }
        assertTrue(m.startsWith("this JVM (Java 25) lacks 2 flags"), m);
        assertFalse(JvmFlags.explain(missing, 17).contains("Java 17):\n    " + String.join(" ", JvmFlags.required(25))));
    }
}
