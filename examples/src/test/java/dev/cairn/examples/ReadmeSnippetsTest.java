package dev.cairn.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.cairn.grid.JvmFlags;

/**
 * The README shows only code the build compiles (issue 23): every {@code java} block in it is, character for
 * character, a region between {@code // README begin: NAME} and {@code // README end} in a source the examples module
 * compiles (its own, and the quickstart's), and the quickstart's pom carries the root pom's flags.
 */
class ReadmeSnippetsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void everyJavaBlockInTheReadmeIsCompiledSource() throws IOException {
        Map<String, String> regions = regions();
        assertTrue(regions.containsKey("embedding") && regions.containsKey("locks"), regions.keySet().toString());
        List<String> blocks = javaBlocks(Files.readString(ROOT.resolve("README.md")));
        assertFalse(blocks.isEmpty(), "the README shows no Java");
        for (String block : blocks) {
            assertTrue(regions.containsValue(block), "a README block that no compiled source holds:\n" + block
                    + "\n\ncompiled regions: " + regions);
        }
        for (Map.Entry<String, String> region : regions.entrySet()) {
            assertTrue(blocks.contains(region.getValue()), "region '" + region.getKey() + "' is not in the README");
        }
    }

    @Test
    void theQuickstartPomCarriesTheSameFlagsAsTheBuild() throws IOException {
        String pom = Files.readString(ROOT.resolve("examples/quickstart/pom.xml"));
        assertTrue(pom.contains("<cairn.jvm.flags>" + String.join(" ", JvmFlags.required(17)) + "</cairn.jvm.flags>"),
                "examples/quickstart/pom.xml's cairn.jvm.flags differ from the root pom's");
        List<String> java23 = new ArrayList<>(JvmFlags.required(25));
        java23.removeAll(JvmFlags.required(17));
        assertTrue(pom.contains("<cairn.jvm.flags.java23>" + String.join(" ", java23) + "</cairn.jvm.flags.java23>"), pom);
        assertTrue(pom.contains("<jdk>[23,)</jdk>"), pom);
    }

    @Test
    void regionsAreFoundAndDedented() {
        String source = "class X {\n    void m() {\n        // README begin: r\n        int a = 1;\n          int b = 2;\n"
                + "        // README end\n    }\n}\n";
        assertEquals(Map.of("r", "int a = 1;\n  int b = 2;"), regionsOf(source));
        assertEquals(List.of("int a = 1;"), javaBlocks("text\n```java\nint a = 1;\n```\n```sh\nls\n```\n"));
    }

    private static Map<String, String> regions() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Path dir : List.of(ROOT.resolve("examples/src/main/java"), ROOT.resolve("examples/quickstart/src/main/java"))) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                    out.putAll(regionsOf(Files.readString(f)));
                }
            }
        }
        return out;
    }

    static Map<String, String> regionsOf(String source) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^[ \\t]*// README begin: (\\S+)\\n(.*?)^[ \\t]*// README end$", Pattern.DOTALL)
                .matcher(source);
        while (m.find()) {
            out.put(m.group(1), m.group(2).stripTrailing().stripIndent().strip());
        }
        return out;
    }

    static List<String> javaBlocks(String markdown) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^```java\\n(.*?)^```$", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            out.add(m.group(1).strip());
        }
        return out;
    }
}
