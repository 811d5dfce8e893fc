package dev.cairn.grid;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cairn.Clock;
import dev.cairn.GridConfigException;
import dev.cairn.membership.ChannelSettings;
import dev.cairn.membership.HostPort;
import dev.cairn.membership.Transport;
import dev.cairn.MapOptions;
import dev.cairn.StoreSizing;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * How a node starts: immutable, made once with {@link #builder()} and checked once by {@link Builder#build()}.
 *
 * <p>Each setting is resolved as: the builder call if one was made, else the system property named in its Javadoc,
 * else the default. {@code build()} reports every bad value at once, each with the setting, its property and the
 * value seen.
 */
public final class GridConfig {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

    private final String clusterName;
    private final String nodeName;
    private final Transport transport;
    private final String bindAddress;
    private final int port;
    private final int portRange;
    private final List<String> seeds;
    private final Path stackFile;
    private final String multicastAddress;
    private final int multicastPort;
    private final Duration joinTimeout;
    private final Duration failureTimeout;
    private final Duration leaveTimeout;
    private final Duration requestTimeout;
    private final int expectedMembers;
    private final int partitionCount;
    private final int backupCount;
    private final List<String> lockGroup;
    private final Path lockDataDir;
    private final int lockPortOffset;
    private final Duration lockSessionTimeout;
    private final List<Class<?>> codecClasses;
    private final StoreSizing mapSizing;
    private final Map<String, MapOptions> maps;
    private final MeterRegistry meterRegistry;
    private final Clock clock;

    private GridConfig(Builder b, Resolved r) {
        this.clusterName = r.clusterName;
        this.nodeName = r.nodeName;
        this.transport = r.transport;
        this.bindAddress = r.bindAddress;
        this.port = r.port;
        this.portRange = r.portRange;
        this.seeds = r.seeds;
        this.stackFile = r.stackFile;
        this.multicastAddress = r.multicastAddress;
        this.multicastPort = r.multicastPort;
        this.joinTimeout = r.joinTimeout;
        this.failureTimeout = r.failureTimeout;
        this.leaveTimeout = r.leaveTimeout;
        this.requestTimeout = r.requestTimeout;
        this.expectedMembers = r.expectedMembers;
        this.partitionCount = r.partitionCount;
        this.backupCount = r.backupCount;
        this.lockGroup = r.lockGroup;
        this.lockDataDir = r.lockDataDir;
        this.lockPortOffset = r.lockPortOffset;
        this.lockSessionTimeout = r.lockSessionTimeout;
        this.codecClasses = r.codecClasses;
        this.mapSizing = r.mapSizing;
        this.maps = Map.copyOf(b.maps);
        this.meterRegistry = b.meterRegistry != null ? b.meterRegistry : new SimpleMeterRegistry();
        this.clock = b.clock != null ? b.clock : Clock.system();
    }

    /** A builder whose unset settings come from the system properties, then from the defaults. */
    public static Builder builder() {
        return new Builder(System.getProperties());
    }

    /** A builder whose unset settings come from {@code properties}, then from the defaults. */
    public static Builder builder(Properties properties) {
        return new Builder(properties);
    }

    /** Nodes join only nodes with the same cluster name. {@code cairn.cluster.name}, default {@code cairn}. */
    public String clusterName() { return clusterName; }

    /** This node's stable identity, unique in the cluster. {@code cairn.node.name}, default host name plus pid. */
    public String nodeName() { return nodeName; }

    /** How nodes reach each other. {@code cairn.transport} (tcp, udp, xml, loopback), default tcp. */
    public Transport transport() { return transport; }

    /** The address to bind. {@code cairn.bind.address}, default {@code 127.0.0.1}; set it to a routable one across hosts. */
    public String bindAddress() { return bindAddress; }

    /** The port to bind, 0 for any free one. {@code cairn.port}, default 7800. */
    public int port() { return port; }

    /** Ports above {@link #port()} to try when it is taken, and to probe on each seed. {@code cairn.port.range}, default 0. */
    public int portRange() { return portRange; }

    /** TCP discovery seeds as {@code host:port}. {@code cairn.seeds} (comma-separated), default this node's own address. */
    public List<String> seeds() { return seeds; }

    /** The JGroups stack XML for the xml transport. {@code cairn.stack.file}, no default. */
    public Path stackFile() { return stackFile; }

    /** The multicast group for the udp transport. {@code cairn.multicast.address}, default {@code 228.8.8.8}. */
    public String multicastAddress() { return multicastAddress; }

    /** The multicast port for the udp transport. {@code cairn.multicast.port}, default 45588. */
    public int multicastPort() { return multicastPort; }

    /** How long discovery waits for an existing member before starting a new cluster. {@code cairn.join.timeout}, default 2s. */
    public Duration joinTimeout() { return joinTimeout; }

    /** How long a crashed, paused or cut-off member stays in the view. {@code cairn.failure.timeout}, default 8s. */
    public Duration failureTimeout() { return failureTimeout; }

    /** How long a graceful close waits for the cluster to acknowledge the leave. {@code cairn.leave.timeout}, default 2s. */
    public Duration leaveTimeout() { return leaveTimeout; }

    /** How long a remote operation waits for its reply. {@code cairn.request.timeout}, default 5s. */
    public Duration requestTimeout() { return requestTimeout; }

    /**
     * The full cluster size quorum is counted against: with it, a map's writes (by default; see
     * {@link dev.cairn.Quorum}) are refused on a side of a split without a majority of it. 0 turns quorum checks off.
     * {@code cairn.cluster.size}, default 0.
     */
    public int expectedMembers() { return expectedMembers; }

    /** How many partitions the key space is split into. {@code cairn.partitions}, default 271. */
    public int partitionCount() { return partitionCount; }

    /** Backup copies of each partition, 0 to 3. {@code cairn.backups}, default 1. */
    public int backupCount() { return backupCount; }

    /** The node names that run the lock service, 3 or 5 of them; empty when locks are not used. {@code cairn.lock.group}. */
    public List<String> lockGroup() { return lockGroup; }

    /** Where a lock-group member keeps its fsynced Raft log and snapshots. {@code cairn.lock.dir}, default {@code cairn-data}. */
    public Path lockDataDir() { return lockDataDir; }

    /** The lock group's channel binds the node's port plus this. {@code cairn.lock.port.offset}, default 1000. */
    public int lockPortOffset() { return lockPortOffset; }

    /** A node silent this long loses its locks (decided through Raft). {@code cairn.lock.session.timeout}, default 10s. */
    public Duration lockSessionTimeout() { return lockSessionTimeout; }

    /** User classes the codec registers, in id order. {@code cairn.codec.classes} (comma-separated class names). */
    public List<Class<?>> codecClasses() { return codecClasses; }

    /**
     * How a map without options of its own is sized: {@code cairn.map.entries} (expected entries, cluster-wide,
     * default 100,000), {@code cairn.map.key.bytes} (average key, default 32), {@code cairn.map.value.bytes}
     * (average value, default 256).
     */
    public StoreSizing mapSizing() { return mapSizing; }

    /** The options of a named map: those given to {@link Builder#map}, else the defaults of this configuration. */
    public MapOptions mapOptions(String name) {
        MapOptions o = maps.get(name);
        return o != null ? o : new MapOptions(backupCount, false, false, mapSizing);
    }

    /** Where metrics go. No property; default a new {@link SimpleMeterRegistry}. */
    public MeterRegistry meterRegistry() { return meterRegistry; }

    /** The source of time for timeouts, leases and TTLs. No property; default {@link Clock#system()}. */
    public Clock clock() { return clock; }

    /** What the membership layer needs from this configuration. */
    public ChannelSettings channelSettings() {
        return new ChannelSettings(clusterName, nodeName, transport, bindAddress, port, portRange, seeds, stackFile,
                multicastAddress, multicastPort, joinTimeout, failureTimeout, leaveTimeout, expectedMembers);
    }

    @Override
    public String toString() {
        return "GridConfig{cluster=" + clusterName + ", node=" + nodeName + ", transport=" + transport
                + ", bind=" + bindAddress + ":" + port + ", seeds=" + seeds + ", partitions=" + partitionCount
                + ", backups=" + backupCount + ", lockGroup=" + lockGroup + "}";
    }

    /** Collects settings; nothing is checked until {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private final Properties properties;
        private String clusterName;
        private String nodeName;
        private Transport transport;
        private String bindAddress;
        private Integer port;
        private Integer portRange;
        private List<String> seeds;
        private Path stackFile;
        private String multicastAddress;
        private Integer multicastPort;
        private Duration joinTimeout;
        private Duration failureTimeout;
        private Duration leaveTimeout;
        private Duration requestTimeout;
        private Integer expectedMembers;
        private Integer partitionCount;
        private Integer backupCount;
        private List<String> lockGroup;
        private Path lockDataDir;
        private Integer lockPortOffset;
        private Duration lockSessionTimeout;
        private final List<Class<?>> codecClasses = new ArrayList<>();
        private final Map<String, MapOptions> maps = new java.util.HashMap<>();
        private Long mapEntries;
        private Integer mapKeyBytes;
        private Integer mapValueBytes;
        private MeterRegistry meterRegistry;
        private Clock clock;

        private Builder(Properties properties) {
            this.properties = Objects.requireNonNull(properties, "properties");
        }

        /** @see GridConfig#clusterName() */
        public Builder clusterName(String v) { clusterName = v; return this; }
        /** @see GridConfig#nodeName() */
        public Builder nodeName(String v) { nodeName = v; return this; }
        /** @see GridConfig#transport() */
        public Builder transport(Transport v) { transport = v; return this; }
        /** @see GridConfig#bindAddress() */
        public Builder bindAddress(String v) { bindAddress = v; return this; }
        /** @see GridConfig#port() */
        public Builder port(int v) { port = v; return this; }
        /** @see GridConfig#portRange() */
        public Builder portRange(int v) { portRange = v; return this; }
        /** @see GridConfig#seeds() */
        public Builder seeds(String... v) { seeds = Arrays.asList(v); return this; }
        /** @see GridConfig#seeds() */
        public Builder seeds(List<String> v) { seeds = v; return this; }
        /** Sets the transport to xml and reads the stack from {@code v}. @see GridConfig#stackFile() */
        public Builder stackFile(Path v) { stackFile = v; if (transport == null) { transport = Transport.XML; } return this; }
        /** @see GridConfig#multicastAddress() */
        public Builder multicastAddress(String v) { multicastAddress = v; return this; }
        /** @see GridConfig#multicastPort() */
        public Builder multicastPort(int v) { multicastPort = v; return this; }
        /** @see GridConfig#joinTimeout() */
        public Builder joinTimeout(Duration v) { joinTimeout = v; return this; }
        /** @see GridConfig#failureTimeout() */
        public Builder failureTimeout(Duration v) { failureTimeout = v; return this; }
        /** @see GridConfig#leaveTimeout() */
        public Builder leaveTimeout(Duration v) { leaveTimeout = v; return this; }
        /** @see GridConfig#requestTimeout() */
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        /** @see GridConfig#expectedMembers() */
        public Builder expectedMembers(int v) { expectedMembers = v; return this; }
        /** @see GridConfig#partitionCount() */
        public Builder partitionCount(int v) { partitionCount = v; return this; }
        /** @see GridConfig#backupCount() */
        public Builder backupCount(int v) { backupCount = v; return this; }
        /** @see GridConfig#lockGroup() */
        public Builder lockGroup(String... v) { lockGroup = Arrays.asList(v); return this; }
        /** @see GridConfig#lockDataDir() */
        public Builder lockDataDir(Path v) { lockDataDir = v; return this; }
        /** @see GridConfig#lockPortOffset() */
        public Builder lockPortOffset(int v) { lockPortOffset = v; return this; }
        /** @see GridConfig#lockSessionTimeout() */
        public Builder lockSessionTimeout(Duration v) { lockSessionTimeout = v; return this; }
        /** Adds classes for the codec to register, after any added before. @see GridConfig#codecClasses() */
        public Builder register(Class<?>... v) { codecClasses.addAll(Arrays.asList(v)); return this; }
        /** Options for one named map; maps not named here get the defaults. Configure every node alike. */
        public Builder map(String name, MapOptions options) {
            maps.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(options, "options"));
            return this;
        }
        /** @see GridConfig#mapSizing() */
        public Builder mapSizing(long expectedEntries, int averageKeyBytes, int averageValueBytes) {
            mapEntries = expectedEntries;
            mapKeyBytes = averageKeyBytes;
            mapValueBytes = averageValueBytes;
            return this;
        }
        /** @see GridConfig#meterRegistry() */
        public Builder meterRegistry(MeterRegistry v) { meterRegistry = Objects.requireNonNull(v, "meterRegistry"); return this; }
        /** @see GridConfig#clock() */
        public Builder clock(Clock v) { clock = Objects.requireNonNull(v, "clock"); return this; }

        /**
         * Resolves and checks every setting.
         *
         * @throws GridConfigException listing every bad setting with its property and the value seen
         */
        public GridConfig build() {
            Resolved r = new Resolved(this);
            if (!r.problems.isEmpty()) {
                throw new GridConfigException("invalid Cairn configuration: " + String.join("; ", r.problems));
            }
            return new GridConfig(this, r);
        }
    }

    /** The settings of one {@code build()}, each from its builder call, its property or its default. */
    private static final class Resolved {
        final List<String> problems = new ArrayList<>();
        final Builder b;
        String clusterName;
        String nodeName;
        Transport transport;
        String bindAddress;
        int port;
        int portRange;
        List<String> seeds;
        Path stackFile;
        String multicastAddress;
        int multicastPort;
        Duration joinTimeout;
        Duration failureTimeout;
        Duration leaveTimeout;
        Duration requestTimeout;
        int expectedMembers;
        int partitionCount;
        int backupCount;
        List<String> lockGroup;
        Path lockDataDir;
        int lockPortOffset;
        Duration lockSessionTimeout;
        List<Class<?>> codecClasses;
        StoreSizing mapSizing;

        Resolved(Builder b) {
            this.b = b;
            clusterName = pick("clusterName", "cairn.cluster.name", b.clusterName, s -> s, "cairn");
            if (clusterName != null && (clusterName.isBlank() || clusterName.length() > 100)) {
                bad("clusterName", "cairn.cluster.name", "must be 1 to 100 characters, not blank", clusterName);
            }
            nodeName = pick("nodeName", "cairn.node.name", b.nodeName, s -> s, null);
            if (nodeName == null) {
                nodeName = defaultNodeName();
            } else if (!NAME.matcher(nodeName).matches()) {
                bad("nodeName", "cairn.node.name", "must be 1 to 64 of A-Z a-z 0-9 . _ -", nodeName);
            }
            transport = pick("transport", "cairn.transport", b.transport, s -> Transport.parse("transport (cairn.transport)", s), Transport.TCP);
            bindAddress = pick("bindAddress", "cairn.bind.address", b.bindAddress, s -> s, "127.0.0.1");
            if (bindAddress != null && !resolvable(bindAddress)) {
                bad("bindAddress", "cairn.bind.address", "must be a resolvable host or address", bindAddress);
            }
            port = range("port", "cairn.port", b.port, 7800, 0, 65535);
            portRange = range("portRange", "cairn.port.range", b.portRange, 0, 0, 1000);
            if (port + portRange > 65535) {
                bad("portRange", "cairn.port.range", "must keep port + portRange within 65535 (port is " + port + ")", portRange);
            }
            seeds = pick("seeds", "cairn.seeds", b.seeds, GridConfig::splitList, null);
            if (seeds == null || seeds.isEmpty()) {
                seeds = List.of(bindAddress + ":" + (port == 0 ? 7800 : port));
            } else {
                seeds = List.copyOf(seeds);
                for (String seed : seeds) {
                    check(() -> HostPort.parse("seeds (cairn.seeds)", seed));
                }
            }
            stackFile = pick("stackFile", "cairn.stack.file", b.stackFile, Path::of, null);
            if (transport == Transport.XML) {
                if (stackFile == null) {
                    problems.add("stackFile (cairn.stack.file) must be set when transport is xml");
                } else if (!Files.isRegularFile(stackFile) || !Files.isReadable(stackFile)) {
                    bad("stackFile", "cairn.stack.file", "must be a readable file", stackFile);
                }
            }
            multicastAddress = pick("multicastAddress", "cairn.multicast.address", b.multicastAddress, s -> s, "228.8.8.8");
            if (transport == Transport.UDP && multicastAddress != null && !isMulticast(multicastAddress)) {
                bad("multicastAddress", "cairn.multicast.address", "must be a multicast address (224.0.0.0/4)", multicastAddress);
            }
            multicastPort = range("multicastPort", "cairn.multicast.port", b.multicastPort, 45588, 1, 65535);
            joinTimeout = duration("joinTimeout", "cairn.join.timeout", b.joinTimeout, Duration.ofSeconds(2));
            failureTimeout = duration("failureTimeout", "cairn.failure.timeout", b.failureTimeout, Duration.ofSeconds(8));
            if (failureTimeout != null && failureTimeout.toMillis() < 200) {
                bad("failureTimeout", "cairn.failure.timeout", "must be at least 200ms", failureTimeout.toMillis() + "ms");
            }
            leaveTimeout = duration("leaveTimeout", "cairn.leave.timeout", b.leaveTimeout, Duration.ofSeconds(2));
            requestTimeout = duration("requestTimeout", "cairn.request.timeout", b.requestTimeout, Duration.ofSeconds(5));
            expectedMembers = range("expectedMembers", "cairn.cluster.size", b.expectedMembers, 0, 0, 10_000);
            partitionCount = range("partitionCount", "cairn.partitions", b.partitionCount, 271, 1, 65_535);
            backupCount = range("backupCount", "cairn.backups", b.backupCount, 1, 0, 3);
            lockGroup = pick("lockGroup", "cairn.lock.group", b.lockGroup, GridConfig::splitList, List.of());
            if (lockGroup != null) {
                lockGroup = List.copyOf(lockGroup);
                if (!lockGroup.isEmpty() && lockGroup.size() != 3 && lockGroup.size() != 5) {
                    bad("lockGroup", "cairn.lock.group", "must name 3 or 5 nodes (or none)", lockGroup);
                } else if (new HashSet<>(lockGroup).size() != lockGroup.size()) {
                    bad("lockGroup", "cairn.lock.group", "must not name a node twice", lockGroup);
                }
            }
            lockDataDir = pick("lockDataDir", "cairn.lock.dir", b.lockDataDir, Path::of, Path.of("cairn-data"));
            lockPortOffset = range("lockPortOffset", "cairn.lock.port.offset", b.lockPortOffset, 1000, 0, 60_000);
            if (!lockGroup.isEmpty() && port != 0 && port + lockPortOffset > 65535) {
                bad("lockPortOffset", "cairn.lock.port.offset", "must keep port + offset within 65535 (port is " + port + ")",
                        lockPortOffset);
            }
            lockSessionTimeout = duration("lockSessionTimeout", "cairn.lock.session.timeout", b.lockSessionTimeout,
                    Duration.ofSeconds(10));
            codecClasses = new ArrayList<>();
            String classNames = b.properties.getProperty("cairn.codec.classes");
            if (classNames != null) {
                for (String name : splitList(classNames)) {
                    try {
                        codecClasses.add(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
                    } catch (ClassNotFoundException | LinkageError e) {
                        bad("codecClasses", "cairn.codec.classes", "names a class that cannot be loaded", name);
                    }
                }
            }
            codecClasses.addAll(b.codecClasses);
            if (new HashSet<>(codecClasses).size() != codecClasses.size()) {
                bad("codecClasses", "cairn.codec.classes", "must not register a class twice", codecClasses);
            }
            codecClasses = List.copyOf(codecClasses);
            long entries = pick("mapSizing", "cairn.map.entries", b.mapEntries, Long::valueOf, 100_000L);
            int keyBytes = range("mapSizing", "cairn.map.key.bytes", b.mapKeyBytes, 32, 1, 1 << 20);
            int valueBytes = range("mapSizing", "cairn.map.value.bytes", b.mapValueBytes, 256, 0, 64 << 20);
            if (entries < 1) {
                bad("mapSizing", "cairn.map.entries", "must be at least 1", entries);
                entries = 100_000L;
            }
            mapSizing = new StoreSizing(entries, keyBytes, valueBytes);
            for (Map.Entry<String, MapOptions> e : b.maps.entrySet()) {
                if (e.getKey().isEmpty() || e.getKey().length() > 200) {
                    bad("map", "-", "names must be 1 to 200 characters", e.getKey());
                }
            }
        }

        private <T> T pick(String setting, String property, T explicit, Function<String, T> parse, T fallback) {
            if (explicit != null) {
                return explicit;
            }
            String text = b.properties.getProperty(property);
            if (text == null) {
                return fallback;
            }
            try {
                return parse.apply(text.trim());
            } catch (GridConfigException e) {
                problems.add(e.getMessage());
            } catch (RuntimeException e) {
                bad(setting, property, "cannot be parsed (" + e.getMessage() + ")", text);
            }
            return fallback;
        }

        private int range(String setting, String property, Integer explicit, int fallback, int min, int max) {
            Integer v = pick(setting, property, explicit, s -> {
                try {
                    return Integer.valueOf(s);
                } catch (NumberFormatException e) {
                    throw new GridConfigException(setting + " (" + property + ") must be a whole number but was '" + s + "'");
                }
            }, fallback);
            if (v < min || v > max) {
                bad(setting, property, "must be between " + min + " and " + max, v);
                return fallback;
            }
            return v;
        }

        private Duration duration(String setting, String property, Duration explicit, Duration fallback) {
            Duration d = pick(setting, property, explicit, s -> parseDuration(setting, property, s), fallback);
            if (d.isNegative() || d.isZero()) {
                bad(setting, property, "must be positive", d);
                return fallback;
            }
            return d;
        }

        private void check(Runnable r) {
            try {
                r.run();
            } catch (GridConfigException e) {
                problems.add(e.getMessage());
            }
        }

        private void bad(String setting, String property, String rule, Object value) {
            problems.add(setting + " (" + property + ") " + rule + " but was '" + value + "'");
        }
    }

    static Duration parseDuration(String setting, String property, String text) {
        Matcher m = DURATION.matcher(text.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new GridConfigException(setting + " (" + property + ") must be a duration like 500ms, 2s, 1m or PT2S"
                    + " but was '" + text + "'");
        }
    }

    private static List<String> splitList(String text) {
        List<String> out = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    private static boolean resolvable(String host) {
        try {
            InetAddress.getByName(host);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean isMulticast(String host) {
        try {
            return InetAddress.getByName(host).isMulticastAddress();
        } catch (Exception e) {
            return false;
        }
    }

    private static String defaultNodeName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "node";
            }
        }
        String name = (host + "-" + ProcessHandle.current().pid()).replaceAll("[^A-Za-z0-9._-]", "-");
        return name.length() > 64 ? name.substring(name.length() - 64) : name;
    }
}
