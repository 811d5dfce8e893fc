package dev.cairn.membership;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.blocks.Response;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * The request handlers of one node, by request type, and the dispatch of each request that arrives: on the JGroups
 * thread that received it (inline) or on the worker pool, its reply (or failure) sent back with a status byte
 * (decisions 4 and 5).
 */
final class Handlers implements org.jgroups.blocks.RequestHandler {
    private static final byte OK = Status.OK.code();
    private static final byte FAILED = Status.FAILED.code();

    private record Registration(RequestHandler handler, boolean inline, Counter handled) {
    }

    private final Map<Short, Registration> byType = new ConcurrentHashMap<>();
    private final String node;
    private final Executor workers;
    private final Function<Address, Member> members;
    private final MeterRegistry registry;
    private final List<Meter> meters;

    /**
     * @param members the member of a sender's address
     * @param meters  where the handled-request counters are added, for their owner to remove on close
     */
    Handlers(String node, Executor workers, Function<Address, Member> members, MeterRegistry registry, List<Meter> meters) {
        this.node = node;
        this.workers = workers;
        this.members = members;
        this.registry = registry;
        this.meters = meters;
    }

    /** A module's handler for {@code type} (0 and up), counted as {@code cairn.requests.handled}. */
    void register(short type, RequestHandler handler, boolean inline) {
        if (type < 0) {
            throw new IllegalArgumentException("request type must be 0 or more but was " + type);
        }
        Objects.requireNonNull(handler, "handler");
        if (byType.containsKey(type)) {
            throw new IllegalStateException("request type " + type + " already has a handler");
        }
        Counter handled = Counter.builder("cairn.requests.handled").tags(Tags.of("node", node, "type",
                Short.toString(type))).description("Requests of one type this node handled").register(registry);
        meters.add(handled);
        byType.put(type, new Registration(handler, inline, handled));
    }

    /** The membership's own handler for one of its types (below 0): inline, not counted. */
    void registerOwn(short type, RequestHandler handler) {
        byType.put(type, new Registration(handler, true, null));
    }

    /** How many requests of {@code type} this node has handled (0 when it has no counted handler for the type). */
    long handled(short type) {
        Registration r = byType.get(type);
        return r == null || r.handled() == null ? 0 : (long) r.handled().count();
    }

    @Override
    public Object handle(Message msg) {
        throw new UnsupportedOperationException("requests are dispatched asynchronously");
    }

    @Override
    public void handle(Message msg, Response response) {
        byte[] buf = msg.getArray();
        int off = msg.getOffset();
        int len = msg.getLength();
        short type = (short) ((buf[off] << 8) | (buf[off + 1] & 0xff));
        byte[] payload = Arrays.copyOfRange(buf, off + 2, off + len);
        Member from = members.apply(msg.getSrc());
        Registration r = byType.get(type);
        if (r != null && r.handled() != null) {
            r.handled().increment();
        }
        if (r == null) {
            response.send(failed("no handler for request type " + type + " on member '" + node + "'"), false);
        } else if (r.inline()) {
            run(r.handler(), from, payload, response);
        } else {
            try {
                workers.execute(() -> run(r.handler(), from, payload, response));
            } catch (RejectedExecutionException e) {
                response.send(failed("member '" + node + "' is closing"), false);
            }
        }
    }

    private static void run(RequestHandler handler, Member from, byte[] payload, Response response) {
        CompletionStage<byte[]> stage;
        try {
            stage = handler.handle(from, payload);
        } catch (RuntimeException e) {
            response.send(failed(e.toString()), false);
            return;
        }
        stage.whenComplete((reply, error) -> {
            if (error != null) {
                Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                response.send(failed(e.toString()), false);
            } else {
                byte[] out = new byte[reply.length + 1];
                out[0] = OK;
                System.arraycopy(reply, 0, out, 1, reply.length);
                response.send(out, false);
            }
        });
    }

    private static byte[] failed(String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[text.length + 1];
        out[0] = FAILED;
        System.arraycopy(text, 0, out, 1, text.length);
        return out;
    }
}
