package dev.cairn.partition;

import dev.cairn.GridException;
import dev.cairn.GridTimeoutException;
import dev.cairn.NoQuorumException;
import dev.cairn.StaleFenceException;
import dev.cairn.StoreFullException;
import dev.cairn.membership.Status;
import dev.cairn.membership.Wire;

/**
 * The primary's answer to one operation: OK with the decision (the caller's value and flag), retry, or a refusal with
 * its message.
 */
record Reply(Status status, Op.Decision decision, String message) {
    static final Reply RETRY = new Reply(Status.RETRY, null, null);

    static Reply ok(Op.Decision d) {
        return new Reply(Status.OK, d, null);
    }

    static Reply refused(Status status, String message) {
        return new Reply(status, null, message);
    }

    /** The error this refusal means for the caller (who does not try again), or null when it is none. */
    RuntimeException error() {
        return switch (status) {
            case FULL -> new StoreFullException(message, null);
            case MAP_FULL -> new dev.cairn.MapFullException(message);
            case STALE_FENCE -> new StaleFenceException(message);
            case NO_QUORUM -> new NoQuorumException(message);
            case TOO_LARGE -> new IllegalArgumentException(message);
            case MALFORMED -> new GridException(message);
            case TIMEOUT -> new GridTimeoutException(message);
            default -> null;
        };
    }

    byte[] encode() {
        if (status == Status.OK) {
            byte[] returned = decision.returned();
            return new Wire.Out(16 + (returned == null ? 0 : returned.length))
                    .u8(status.code()).u8(decision.flag() ? 1 : 0).bytes(returned).toArray();
        }
        if (status.carriesMessage()) {
            return new Wire.Out(64 + message.length()).u8(status.code()).str(message).toArray();
        }
        return status.reply();
    }

    static Reply decode(byte[] reply) {
        Wire.In in = new Wire.In(reply);
        Status status = Status.of(in.u8());
        if (status == Status.OK) {
            boolean flag = in.u8() == 1;
            return ok(Op.Decision.keep(in.bytes(), flag));
        }
        if (status.carriesMessage()) {
            return refused(status, in.str());
        }
        return RETRY;
    }
}
