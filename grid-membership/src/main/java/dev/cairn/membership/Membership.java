package dev.cairn.membership;

import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.MergeView;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.SuspectedException;
import org.jgroups.View;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.Response;
import org.jgroups.protocols.TP;
import org.jgroups.util.Util;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.cairn.GridClosedException;
import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.MemberUnreachableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * This node's place in the cluster: the JGroups channel, the current view, membership events, quorum and
 * request/response messaging for the modules above.
 *
 * <p>Requests are sent out-of-band and unbundled (DESIGN.md decision 11): a synchronous caller waits for each reply,
 * so bundling only adds latency. Handlers run on this node's worker pool unless registered inline; JGroups' own
 * threads only hand work over and never wait on it.
 */
public final class Membership implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Membership.class);

    /** Request types below zero are this class's own; modules above use 0 and up. */
    private static final short LEAVING = RequestTypes.LEAVING;
    private static final byte OK = Status.OK.code();
    /** Times out pending requests: JGroups' future ignores the timeout in its request options. */
    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private final ChannelSettings settings;
    private final JChannel channel;
    private final MessageDispatcher dispatcher;
    private final ExecutorService events;
    private final ThreadPoolExecutor workers;
    private final Handlers handlers;
    private final Identities identities;
    private final Set<Address> announcedLeaving = ConcurrentHashMap.newKeySet();
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Meter> meters = new ArrayList<>();
    private final MeterRegistry registry;
    private final Counter viewChanges;
    private final long startedNanos = System.nanoTime();
    private volatile ClusterView view;
    private volatile long firstViewNanos;
    private volatile boolean closed;
    /** The last view listeners were told of; touched only on the events thread. */
    private ClusterView delivered;

    private Membership(ChannelSettings settings, MeterRegistry registry) throws Exception {
        this.settings = settings;
        this.registry = registry;
        String node = settings.nodeName();
        this.events = Executors.newSingleThreadExecutor(daemon("cairn-events-" + node));
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        this.workers = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemon("cairn-worker-" + node));
        this.workers.allowCoreThreadTimeOut(true);
        Tags tags = Tags.of("node", node);
        this.viewChanges = Counter.builder("cairn.cluster.view.changes").tags(tags)
                .description("Views installed by this node").register(registry);
        meters.add(viewChanges);
        this.channel = Stacks.channel(settings);
        channel.name(node);
        // the node's name travels inside its address, so every member knows it from the view alone: JGroups' name
        // cache is filled by discovery and merges and may miss a member that came back (a node then saw a paused
        // and resumed peer only as a UUID, and routed by a table computed from the wrong names)
        this.identities = new Identities(channel, node);
        this.handlers = new Handlers(node, workers, this::member, registry, meters);
        this.dispatcher = new MessageDispatcher(channel, handlers).asyncDispatching(true).setReceiver(new Views());
        meters.add(Gauge.builder("cairn.cluster.members", this, m -> m.view == null ? 0 : m.view.size()).tags(tags)
                .description("Members in this node's current view").register(registry));
        TP transport = channel.getProtocolStack().getTransport();
        transport.getMessageStats().enable(true);
        meters.add(FunctionCounter.builder("cairn.transport.messages.sent", transport,
                t -> t.getMessageStats().getNumMsgsSent()).tags(tags).register(registry));
        meters.add(FunctionCounter.builder("cairn.transport.messages.received", transport,
                t -> t.getMessageStats().getNumMsgsReceived()).tags(tags).register(registry));
        meters.add(FunctionCounter.builder("cairn.transport.bytes.sent", transport,
                t -> t.getMessageStats().getNumBytesSent()).tags(tags).baseUnit("bytes").register(registry));
        meters.add(FunctionCounter.builder("cairn.transport.bytes.received", transport,
                t -> t.getMessageStats().getNumBytesReceived()).tags(tags).baseUnit("bytes").register(registry));
        handlers.registerOwn(LEAVING, (from, payload) -> {
            announcedLeaving.add(from.address());
            return CompletableFuture.completedFuture(new byte[0]);
        });
    }

    /**
     * Builds the channel and joins the cluster; returns once this node has its first view. Same as
     * {@link #create} then {@link #join}.
     *
     * @throws GridException when the channel cannot be built or the cluster cannot be joined (the port is taken,
     *                       the stack file is invalid), naming the node and the cause
     */
    public static Membership start(ChannelSettings settings, MeterRegistry registry) {
        Membership m = create(settings, registry);
        m.join();
        return m;
    }

    /**
     * Builds the channel without joining, so that request handlers can be registered before any request can arrive.
     *
     * @throws GridException when the channel cannot be built (an invalid stack), naming the node and the cause
     */
    public static Membership create(ChannelSettings settings, MeterRegistry registry) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(registry, "registry");
        try {
            return new Membership(settings, registry);
        } catch (GridException e) {
            throw e;
        } catch (Exception e) {
            throw new GridException("node '" + settings.nodeName() + "' could not build its channel: " + rootCause(e), e);
        }
    }

    /**
     * Joins the cluster; returns once this node has its first view. On failure this membership is closed.
     *
     * @throws GridException when the cluster cannot be joined (the port is taken), naming the node and the cause
     */
    public void join() {
        try {
            channel.connect(settings.clusterName());
        } catch (Exception e) {
            closeQuietly(this);
            Throwable root = rootCause(e);
            String why = root instanceof BindException
                    ? "port " + settings.port() + " on " + settings.bindAddress() + " is in use (" + root.getMessage() + ")"
                    : root.toString();
            throw new GridException("node '" + settings.nodeName() + "' could not join cluster '"
                    + settings.clusterName() + "': " + why, e);
        }
    }

    /** This node. */
    public Member localMember() {
        return member(channel.getAddress());
    }

    /** The current view; before {@link #join} an empty view with id 0. */
    public ClusterView view() {
        ClusterView v = view;
        return v == null ? new ClusterView(0, List.of()) : v;
    }

    /** The members of the current view, in view order; empty before {@link #join}. */
    public List<Member> members() {
        return view().members();
    }

    /**
     * Whether this node's side holds a majority of the expected cluster size. Without an expected size (0) every side
     * counts as holding one, so quorum checks are off.
     */
    public boolean hasQuorum() {
        int expected = settings.expectedMembers();
        return expected <= 0 || view().size() > expected / 2;
    }

    /** Whether this node has left (or crashed out of) the cluster. */
    public boolean isClosed() {
        return closed;
    }

    /** The settings this node was started with. */
    public ChannelSettings settings() {
        return settings;
    }

    /** Nanoseconds from {@link #create} until the first view was installed. */
    public long nanosToFirstView() {
        return firstViewNanos - startedNanos;
    }

    /** The pool handlers run on; modules above may use it for work that must leave JGroups' threads. */
    public ExecutorService workers() {
        return workers;
    }

    public void addListener(MembershipListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(MembershipListener listener) {
        listeners.remove(listener);
    }

    /** Answers requests of {@code type} (0 and up) on the worker pool. */
    public void handle(short type, RequestHandler handler) {
        handlers.register(type, handler, false);
    }

    /**
     * Answers requests of {@code type} (0 and up) on the JGroups thread that received them, saving a thread hand-off.
     * Only for handlers that never block.
     */
    public void handleInline(short type, RequestHandler handler) {
        handlers.register(type, handler, true);
    }

    /** How many requests of {@code type} this node has handled (0 when it has no handler for the type). */
    public long requestsHandled(short type) {
        return handlers.handled(type);
    }

    /**
     * Sends a request to one member and returns its reply.
     *
     * <p>The future fails with {@link GridTimeoutException} when no reply comes in time, with
     * {@link MemberUnreachableException} when {@code to} is not in the view or leaves before replying, with
     * {@link GridClosedException} when this node is closed, and with {@link GridException} carrying the remote error
     * when the handler failed.
     */
    public CompletableFuture<byte[]> request(Member to, short type, byte[] payload, Duration timeout) {
        return request(to, type, payload, timeout, false);
    }

    /**
     * {@link #request(Member, short, byte[], Duration)}, optionally in order: ordered requests from this node to one
     * member are handled there one at a time, in the order they were sent (JGroups regular messages, FIFO per sender),
     * which replication relies on. Unordered ones are out-of-band: handled as soon as they arrive, in parallel.
     */
    public CompletableFuture<byte[]> request(Member to, short type, byte[] payload, Duration timeout, boolean ordered) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(payload, "payload");
        if (closed) {
            return CompletableFuture.failedFuture(new GridClosedException("node '" + settings.nodeName() + "' is closed"));
        }
        ClusterView current = view();
        if (!current.members().contains(to)) {
            return CompletableFuture.failedFuture(new MemberUnreachableException(
                    "member '" + to.name() + "' is not in the current " + current));
        }
        byte[] buf = new byte[payload.length + 2];
        buf[0] = (byte) (type >> 8);
        buf[1] = (byte) type;
        System.arraycopy(payload, 0, buf, 2, payload.length);
        Message.Flag[] flags = ordered ? new Message.Flag[] {Message.Flag.DONT_BUNDLE}
                : new Message.Flag[] {Message.Flag.OOB, Message.Flag.DONT_BUNDLE};
        Message msg = new BytesMessage(to.address(), buf).setFlag(flags);
        RequestOptions opts = RequestOptions.SYNC().timeout(timeout.toMillis()).flags(flags);
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        CompletableFuture<Object> sent;
        try {
            sent = dispatcher.sendMessageWithFuture(msg, opts);
        } catch (Exception e) {
            result.completeExceptionally(failure(to, type, timeout, e));
            return result;
        }
        ScheduledFuture<?> expiry = TIMER.schedule(() -> {
            if (result.completeExceptionally(new GridTimeoutException("request type " + type + " to member '"
                    + to.name() + "' got no reply within " + Math.max(1, timeout.toMillis()) + " ms"))) {
                sent.cancel(false); // frees the request's slot in JGroups' correlator
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        sent.whenComplete((reply, error) -> {
            expiry.cancel(false);
            if (error != null) {
                result.completeExceptionally(failure(to, type, timeout, error));
            } else {
                byte[] r = (byte[]) reply;
                if (r[0] == OK) {
                    result.complete(Arrays.copyOfRange(r, 1, r.length));
                } else {
                    result.completeExceptionally(new GridException("member '" + to.name() + "' failed request type "
                            + type + ": " + new String(r, 1, r.length - 1, StandardCharsets.UTF_8)));
                }
            }
        });
        return result;
    }

    /** {@link #request} that waits for the reply, with the same errors thrown directly. */
    public byte[] call(Member to, short type, byte[] payload, Duration timeout) {
        // the request fails by itself at its timeout; the margin only guards against a lost completion
        return Futures.await(request(to, type, payload, timeout), timeout.plusSeconds(1),
                "request type " + type + " to member '" + to.name() + "'");
    }

    private GridException failure(Member to, short type, Duration timeout, Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof TimeoutException) {
            return new GridTimeoutException("request type " + type + " to member '" + to.name() + "' got no reply within "
                    + Math.max(1, timeout.toMillis()) + " ms", e);
        }
        if (e instanceof SuspectedException) {
            return new MemberUnreachableException("member '" + to.name() + "' left before replying to request type "
                    + type, e);
        }
        if (closed) {
            return new GridClosedException("node '" + settings.nodeName() + "' closed while waiting for member '"
                    + to.name() + "'");
        }
        return e instanceof GridException g ? g : new GridException("request type " + type + " to member '"
                + to.name() + "' failed: " + e, e);
    }

    /**
     * Leaves the cluster gracefully: tells the others this is a leave rather than a crash, then leaves the view.
     * Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        ClusterView current = view;
        if (current != null && channel.isConnected() && current.size() > 1) {
            announceLeave(current);
        }
        closed = true;
        Util.close(dispatcher);
        Util.close(channel);
        release();
    }

    private void announceLeave(ClusterView current) {
        List<CompletableFuture<byte[]>> acks = new ArrayList<>();
        for (Member m : current.members()) {
            if (!m.address().equals(channel.getAddress())) {
                acks.add(request(m, LEAVING, new byte[0], settings.leaveTimeout()));
            }
        }
        try {
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
                    .get(settings.leaveTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.debug("{}: not every member acknowledged the leave announcement: {}", settings.nodeName(), e.toString());
        }
    }

    /** Stops the channel without a leave, as a crash would: the others see this node crash. For tests. */
    void crash() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Util.shutdown(channel);
        } catch (Exception e) {
            log.debug("{}: shutdown: {}", settings.nodeName(), e.toString());
        }
        Util.close(dispatcher);
        release();
    }

    JChannel channel() {
        return channel;
    }

    /**
     * Fault injection for tests and drills: {@code true} cuts this node off from every other member, both ways, as a
     * network cut would ({@link Faults}); {@code false} reconnects it, after which the split heals.
     */
    public void cutOff(boolean cut) {
        if (cut) {
            Faults.cutOff(channel);
        } else {
            Faults.reconnect(channel);
        }
    }

    /** Fault injection: cuts this node from the named members only ({@link Faults#cutFrom}); undone by {@code cutOff(false)}. */
    public void cutFrom(java.util.Collection<String> members) {
        Faults.cutFrom(channel, members);
    }

    private void release() {
        events.shutdown();
        workers.shutdown();
        for (Meter meter : meters) {
            registry.remove(meter);
        }
    }

    private Member member(Address address) {
        return identities.member(address);
    }

    /** The node name carried in a member's address, else JGroups' name cache's. */
    static String nameOf(Address address) {
        return Identities.nameOf(address);
    }

    private ClusterView toClusterView(View v) {
        List<Member> ms = new ArrayList<>(v.size());
        for (Address a : v.getMembersRaw()) {
            ms.add(member(a));
        }
        return new ClusterView(v.getViewId().getId(), ms);
    }

    /** Receives views on a JGroups thread and hands them to the events thread in order. */
    private final class Views implements Receiver {
        @Override
        public void viewAccepted(View v) {
            ClusterView next = toClusterView(v);
            List<ClusterView> subgroups = v instanceof MergeView mv
                    ? mv.getSubgroups().stream().map(Membership.this::toClusterView).toList()
                    : List.of();
            view = next;
            viewChanges.increment();
            if (firstViewNanos == 0) {
                firstViewNanos = System.nanoTime();
                // the start itself is logged once, by the grid, with the cluster, size, address and time it took
                log.debug("{}: {}", settings.nodeName(), next);
            } else {
                log.info("{}: {}", settings.nodeName(), next);
            }
            if (!events.isShutdown()) {
                try {
                    events.execute(() -> deliver(next, subgroups));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    log.debug("{}: closed, view {} not delivered", settings.nodeName(), next.id());
                }
            }
        }
    }

    private void deliver(ClusterView next, List<ClusterView> subgroups) {
        ClusterView previous = delivered;
        delivered = next;
        Set<Member> before = previous == null ? Set.of() : new HashSet<>(previous.members());
        Set<Member> after = new HashSet<>(next.members());
        for (Member m : next.members()) {
            if (previous != null && !before.contains(m)) {
                notify(l -> l.memberJoined(m, next));
            }
        }
        if (previous != null) {
            for (Member m : previous.members()) {
                if (!after.contains(m)) {
                    boolean left = announcedLeaving.remove(m.address());
                    identities.forget(m);
                    notify(left ? l -> l.memberLeft(m, next) : l -> l.memberCrashed(m, next));
                }
            }
        }
        if (!subgroups.isEmpty()) {
            notify(l -> l.merged(next, subgroups));
        }
        notify(l -> l.viewChanged(next));
    }

    private void notify(java.util.function.Consumer<MembershipListener> call) {
        for (MembershipListener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                log.warn("{}: membership listener {} failed", settings.nodeName(), l, e);
            }
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemon("cairn-request-timer"));
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static void closeQuietly(Membership m) {
        if (m != null) {
            m.closed = true;
            Util.close(m.dispatcher);
            Util.close(m.channel);
            m.release();
        }
    }
}
