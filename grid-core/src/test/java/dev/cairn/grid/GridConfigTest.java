package dev.cairn.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.cairn.GridConfigException;
import dev.cairn.membership.Transport;

class GridConfigTest {

    private static GridConfig.Builder empty() {
        return GridConfig.builder(new Properties());
    }

    private static Properties props(String... pairs) {
        Properties p = new Properties();
        for (int i = 0; i < pairs.length; i += 2) {
            p.setProperty(pairs[i], pairs[i + 1]);
        }
        return p;
    }

    private static String rejected(GridConfig.Builder b) {
        return assertThrows(GridConfigException.class, b::build).getMessage();
    }

    @Test
    void everySettingHasADefault() {
        GridConfig c = empty().build();
        assertEquals("cairn", c.clusterName());
        assertTrue(c.nodeName().matches(".+-\\d+"), c.nodeName());
        assertEquals(Transport.TCP, c.transport());
        assertEquals("127.0.0.1", c.bindAddress());
        assertEquals(7800, c.port());
        assertEquals(List.of("127.0.0.1:7800"), c.seeds());
        assertEquals(271, c.partitionCount());
        assertEquals(1, c.backupCount());
        assertEquals(Duration.ofSeconds(8), c.failureTimeout());
        assertEquals(List.of(), c.lockGroup());
        assertEquals(0, c.expectedMembers());
    }

    @Test
    void systemPropertiesFillWhatTheBuilderLeavesUnset() {
        GridConfig c = GridConfig.builder(props("cairn.cluster.name", "orders", "cairn.port", "7900",
                        "cairn.seeds", "127.0.0.1:7900, 127.0.0.1:7901", "cairn.failure.timeout", "3s",
                        "cairn.transport", "UDP", "cairn.backups", "2", "cairn.lock.group", "a,b,c",
                        "cairn.codec.classes", "java.util.Optional"))
                .port(7950)
                .build();
        assertEquals("orders", c.clusterName());
        assertEquals(7950, c.port(), "a builder call wins over the property");
        assertEquals(List.of("127.0.0.1:7900", "127.0.0.1:7901"), c.seeds());
        assertEquals(Duration.ofSeconds(3), c.failureTimeout());
        assertEquals(Transport.UDP, c.transport());
        assertEquals(2, c.backupCount());
        assertEquals(List.of("a", "b", "c"), c.lockGroup());
        assertEquals(List.of(java.util.Optional.class), c.codecClasses());
    }

    @Test
    void portOutOfRangeIsRejectedNamingTheSettingAndValue() {
        String m = rejected(empty().port(70000));
        assertTrue(m.contains("port (cairn.port)") && m.contains("'70000'") && m.contains("0 and 65535"), m);
        String p = rejected(GridConfig.builder(props("cairn.port", "seventy")));
        assertTrue(p.contains("port (cairn.port)") && p.contains("'seventy'"), p);
    }

    @Test
    void emptyClusterNameIsRejected() {
        String m = rejected(empty().clusterName(""));
        assertTrue(m.contains("clusterName (cairn.cluster.name)") && m.contains("''"), m);
    }

    @Test
    void unknownTransportIsRejectedListingTheKnownOnes() {
        String m = rejected(GridConfig.builder(props("cairn.transport", "carrier-pigeon")));
        assertTrue(m.contains("transport (cairn.transport)") && m.contains("'carrier-pigeon'")
                && m.contains("tcp, udp, xml, loopback"), m);
    }

    @Test
    void unreadableStackFileIsRejected(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-stack.xml");
        String m = rejected(empty().stackFile(missing));
        assertTrue(m.contains("stackFile (cairn.stack.file)") && m.contains(missing.toString()), m);
        String unset = rejected(empty().transport(Transport.XML));
        assertTrue(unset.contains("stackFile (cairn.stack.file) must be set when transport is xml"), unset);
        String directory = rejected(empty().stackFile(dir));
        assertTrue(directory.contains("must be a readable file"), directory);
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String m = rejected(empty().clusterName(" ").port(-1).backupCount(4).partitionCount(0)
                .seeds("localhost").nodeName("has space").lockGroup("a", "b"));
        for (String setting : List.of("clusterName", "port", "backupCount", "partitionCount", "seeds", "nodeName", "lockGroup")) {
            assertTrue(m.contains(setting), setting + " missing from: " + m);
        }
    }

    @Test
    void durationsAcceptUnitsAndIsoAndRejectNonsense() {
        assertEquals(Duration.ofMillis(500), GridConfig.builder(props("cairn.join.timeout", "500ms")).build().joinTimeout());
        assertEquals(Duration.ofMillis(750), GridConfig.builder(props("cairn.join.timeout", "750")).build().joinTimeout());
        assertEquals(Duration.ofMinutes(1), GridConfig.builder(props("cairn.join.timeout", "1m")).build().joinTimeout());
        assertEquals(Duration.ofSeconds(2), GridConfig.builder(props("cairn.join.timeout", "PT2S")).build().joinTimeout());
        String m = rejected(GridConfig.builder(props("cairn.join.timeout", "soon")));
        assertTrue(m.contains("joinTimeout (cairn.join.timeout)") && m.contains("'soon'"), m);
        String negative = rejected(empty().requestTimeout(Duration.ofSeconds(-1)));
        assertTrue(negative.contains("requestTimeout (cairn.request.timeout) must be positive"), negative);
    }

    @Test
    void lockGroupMustNameThreeOrFiveDistinctNodes() {
        assertEquals(5, empty().lockGroup("a", "b", "c", "d", "e").build().lockGroup().size());
        assertTrue(rejected(empty().lockGroup("a", "b", "c", "d")).contains("3 or 5"));
        assertTrue(rejected(empty().lockGroup("a", "b", "a")).contains("twice"));
    }

    @Test
    void lockSettingsHaveDefaultsPropertiesAndLimits() {
        GridConfig d = empty().build();
        assertEquals(Path.of("cairn-data"), d.lockDataDir());
        assertEquals(1000, d.lockPortOffset());
        assertEquals(Duration.ofSeconds(10), d.lockSessionTimeout());
        GridConfig c = GridConfig.builder(props("cairn.lock.dir", "/var/lib/cairn", "cairn.lock.session.timeout", "3s",
                "cairn.lock.port.offset", "50")).build();
        assertEquals(Path.of("/var/lib/cairn"), c.lockDataDir());
        assertEquals(Duration.ofSeconds(3), c.lockSessionTimeout());
        assertEquals(50, c.lockPortOffset());
        String m = rejected(empty().lockGroup("a", "b", "c").port(65000).lockPortOffset(1000));
        assertTrue(m.contains("lockPortOffset (cairn.lock.port.offset)"), m);
        assertTrue(rejected(empty().lockSessionTimeout(Duration.ZERO)).contains("cairn.lock.session.timeout"));
    }

    @Test
    void unknownCodecClassIsRejected() {
        String m = rejected(GridConfig.builder(props("cairn.codec.classes", "com.example.Nope")));
        assertTrue(m.contains("codecClasses (cairn.codec.classes)") && m.contains("com.example.Nope"), m);
    }

    @Test
    void udpNeedsAMulticastGroup() {
        String m = rejected(empty().transport(Transport.UDP).multicastAddress("10.0.0.1"));
        assertTrue(m.contains("multicastAddress (cairn.multicast.address)"), m);
    }

    @Test
    void mapSizingAndPerMapOptionsResolve() {
        GridConfig c = GridConfig.builder(props("cairn.map.entries", "2000000", "cairn.map.value.bytes", "1024"))
                .backupCount(2)
                .map("orders", dev.cairn.MapOptions.defaults(1).withReadBackups(true))
                .build();
        assertEquals(2_000_000, c.mapOptions("other").sizing().expectedEntries());
        assertEquals(1024, c.mapOptions("other").sizing().averageValueBytes());
        assertEquals(2, c.mapOptions("other").backupCount(), "maps without options get the grid's backup count");
        assertEquals(1, c.mapOptions("orders").backupCount());
        assertTrue(c.mapOptions("orders").readBackups());
        String m = rejected(GridConfig.builder(props("cairn.map.entries", "0", "cairn.map.key.bytes", "-4")));
        assertTrue(m.contains("cairn.map.entries") && m.contains("cairn.map.key.bytes"), m);
    }

    @Test
    void configIsImmutable(@TempDir Path dir) throws IOException {
        Path stack = Files.writeString(dir.resolve("s.xml"), "<config/>");
        List<String> seeds = new java.util.ArrayList<>(List.of("127.0.0.1:7800"));
        GridConfig c = empty().seeds(seeds).stackFile(stack).build();
        seeds.add("127.0.0.1:7801");
        assertEquals(List.of("127.0.0.1:7800"), c.seeds());
        assertThrows(UnsupportedOperationException.class, () -> c.seeds().add("x:1"));
    }
}
