package dev.cairn.partition;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.cairn.Fence;
import dev.cairn.membership.RequestTypes;
import dev.cairn.membership.Status;
import dev.cairn.membership.Wire;

/**
 * The partition protocol's messages, one record each with its encoding and decoding side by side, so the layout of a
 * message is in one place. Decoders throw {@link IllegalArgumentException} on a malformed message (see {@link Wire.In}).
 */
final class Messages {
    private Messages() {
    }

    // request types of the partition engine (grid-membership carries them as the first two bytes of a request)
    static final short MAP_OP = RequestTypes.MAP_OP;
    static final short MAP_BATCH = RequestTypes.MAP_BATCH;
    static final short BACKUP = RequestTypes.BACKUP;
    static final short PUSH = RequestTypes.PUSH;
    static final short MAP_SIZE = RequestTypes.MAP_SIZE;
    static final short MAP_CLEAR = RequestTypes.MAP_CLEAR;
    static final short MAP_DESTROY = RequestTypes.MAP_DESTROY;
    static final short PULL = RequestTypes.PULL;
    static final short RESYNC = RequestTypes.RESYNC;
    static final short LEASE = RequestTypes.LEASE;

    static Wire.Out writeFence(Wire.Out out, Fence fence) {
        return out.bytes(fence == null ? null : fence.lock().getBytes(StandardCharsets.UTF_8))
                .i64(fence == null ? 0 : fence.token());
    }

    static Fence readFence(Wire.In in) {
        byte[] lock = in.bytes();
        long token = in.i64();
        return lock == null ? null : new Fence(new String(lock, StandardCharsets.UTF_8), token);
    }

    static Wire.Out writeInvocation(Wire.Out out, Invocation id) {
        out.u8(id == null ? 0 : 1);
        if (id != null) {
            id.write(out);
        }
        return out;
    }

    static Invocation readInvocation(Wire.In in) {
        return in.u8() == 0 ? null : Invocation.read(in);
    }

    /**
     * One operation for a key's primary.
     *
     * @param viewKey the sender's view ({@link Topology#key}); another view is answered retry
     * @param id      the write's invocation id, the same on every try; null for a read
     */
    record OpRequest(Op op, long viewKey, String map, int partition, byte[] key, Fence fence, Invocation id) {
        byte[] encode() {
            Wire.Out out = new Wire.Out(key.length + (op.value() == null ? 0 : op.value().length) + 96);
            Op.write(out, op).i64(viewKey).str(map).i32(partition).bytes(key);
            writeFence(out, fence);
            return writeInvocation(out, id).toArray();
        }

        static OpRequest decode(byte[] payload) {
            Wire.In in = new Wire.In(payload);
            return new OpRequest(Op.read(in), in.i64(), in.str(), in.i32(), in.bytes(), readFence(in), readInvocation(in));
        }
    }

    /** Many operations for one member, each for a partition it is primary of in view {@code viewKey}. */
    record BatchRequest(long viewKey, String map, Fence fence, List<Item> items) {
        record Item(int partition, byte[] key, Op op, Invocation id) {
        }

        byte[] encode() {
            Wire.Out out = new Wire.Out(4096).i64(viewKey).str(map);
            writeFence(out, fence).i32(items.size());
            for (Item i : items) {
                Op.write(out.i32(i.partition()).bytes(i.key()), i.op());
                writeInvocation(out, i.id());
            }
            return out.toArray();
        }

        static BatchRequest decode(byte[] payload) {
            Wire.In in = new Wire.In(payload);
            long viewKey = in.i64();
            String map = in.str();
            Fence fence = readFence(in);
            List<Item> items = new ArrayList<>();
            for (int n = in.count(); n > 0; n--) {
                items.add(new Item(in.i32(), in.bytes(), Op.read(in), readInvocation(in)));
            }
            return new BatchRequest(viewKey, map, fence, items);
        }
    }

    static byte[] encodeReplies(List<Reply> replies) {
        Wire.Out out = new Wire.Out(4096).i32(replies.size());
        for (Reply r : replies) {
            out.bytes(r.encode());
        }
        return out.toArray();
    }

    static List<Reply> decodeReplies(byte[] payload) {
        Wire.In in = new Wire.In(payload);
        List<Reply> rs = new ArrayList<>();
        for (int n = in.count(); n > 0; n--) {
            rs.add(Reply.decode(in.bytes()));
        }
        return rs;
    }

    /**
     * What a backup applies: the entry as the primary now holds it, removed, only a raised fence, every entry removed,
     * or every entry removed and the store freed (a map being destroyed).
     */
    /** What a backup write does; {@code ACCESS} merges the primary's access record of a key read since it was written. */
    enum BackupKind { REMOVE, WRITE, FENCE_ONLY, CLEAR, FREE, ACCESS }

    /** How a backup records the write's outcome: none, derived from its own copy, or as sent. */
    enum OutcomeMode { NONE, PREVIOUS_VALUE, NO_VALUE, SENT }

    /**
     * A write for a backup, sent by the primary ordered (FIFO) while it holds the partition's monitor.
     *
     * @param version   the partition version after the write
     * @param changeSeq the change feed's position after the write
     * @param entry     the stored entry for {@link BackupKind#WRITE}; for {@link BackupKind#REMOVE}, when the key was
     *                  removed ({@link StoredEntry#removal}); else null
     * @param id        the write's invocation id (null for none) and how the backup records its outcome
     * @param returned  the recorded outcome's value, for {@link OutcomeMode#SENT}
     */
    record BackupWrite(long viewKey, String map, int partition, byte[] key, Fence fence, long version, long changeSeq,
                       BackupKind kind, StoredEntry entry, Invocation id, OutcomeMode outcome, boolean flag,
                       byte[] returned) {
        byte[] encode() {
            Wire.Out out = new Wire.Out(key.length + (entry == null ? 0 : entry.value().length)
                    + (returned == null ? 0 : returned.length) + 128).i64(viewKey).str(map).i32(partition).bytes(key);
            writeFence(out, fence).i64(version).i64(changeSeq).u8(kind.ordinal());
            if (kind == BackupKind.WRITE) {
                writeEntry(out, entry);
            } else if (kind == BackupKind.REMOVE) {
                out.i64(entry.writtenAt());
            } else if (kind == BackupKind.ACCESS) {
                out.i64(entry.access());
            }
            writeInvocation(out, id);
            if (id != null) {
                out.u8(outcome.ordinal()).u8(flag ? 1 : 0);
                if (outcome == OutcomeMode.SENT) {
                    out.bytes(returned);
                }
            }
            return out.toArray();
        }

        static BackupWrite decode(byte[] payload) {
            Wire.In in = new Wire.In(payload);
            long viewKey = in.i64();
            String map = in.str();
            int p = in.i32();
            byte[] key = in.bytes();
            Fence fence = readFence(in);
            long version = in.i64();
            long changeSeq = in.i64();
            BackupKind kind = enumOf(BackupKind.values(), in.u8(), "backup kind");
            StoredEntry entry = kind == BackupKind.WRITE ? readEntry(in)
                    : kind == BackupKind.REMOVE ? StoredEntry.removal(version, in.i64())
                    : kind == BackupKind.ACCESS ? StoredEntry.accessOnly(in.i64()) : null;
            Invocation id = readInvocation(in);
            OutcomeMode outcome = OutcomeMode.NONE;
            boolean flag = false;
            byte[] returned = null;
            if (id != null) {
                outcome = enumOf(OutcomeMode.values(), in.u8(), "outcome mode");
                flag = in.u8() == 1;
                if (outcome == OutcomeMode.SENT) {
                    returned = in.bytes();
                }
            }
            return new BackupWrite(viewKey, map, p, key, fence, version, changeSeq, kind, entry, id, outcome, flag, returned);
        }
    }

    /**
     * Clear a map's store in each of {@code partitions}, which the receiver is primary of in view {@code viewKey}; with
     * {@code free}, close the store too (the map is being destroyed).
     */
    record ClearRequest(long viewKey, String map, boolean free, List<Integer> partitions) {
        byte[] encode() {
            Wire.Out out = new Wire.Out(64 + 4 * partitions.size()).i64(viewKey).str(map).bool(free).i32(partitions.size());
            partitions.forEach(out::i32);
            return out.toArray();
        }

        static ClearRequest decode(byte[] payload) {
            Wire.In in = new Wire.In(payload);
            long viewKey = in.i64();
            String map = in.str();
            boolean free = in.bool();
            List<Integer> ps = new ArrayList<>();
            for (int n = in.count(); n > 0; n--) {
                ps.add(in.i32());
            }
            return new ClearRequest(viewKey, map, free, ps);
        }
    }

    /** A primary tells a backup its copy of a partition missed a write: it pulls the partition afresh. */
    record Resync(long viewKey, int backups, int partition) {
        byte[] encode() {
            return new Wire.Out(24).i64(viewKey).u8(backups).i32(partition).toArray();
        }

        static Resync decode(byte[] payload) {
            Wire.In in = new Wire.In(payload);
            return new Resync(in.i64(), in.u8(), in.i32());
        }
    }

    /**
     * What a pull asks: {@code QUERY} for the version of any copy held (kept ones too: the freshest copy wins),
     * {@code HOLDS} whether the member holds the partition as an owner that counts (complete, not leaving), {@code SEND}
     * to push it, {@code MERGE} to push what its side wrote since the split (the rest is not merged, decision 67).
     */
    enum PullMode { QUERY, HOLDS, SEND, MERGE }

    /**
     * A pull; a {@code SEND} from a member that holds a copy already carries that copy's {@link Digests}, and only the
     * buckets that differ are sent.
     */
    record PullRequest(PullMode mode, long viewKey, int backups, int partition, long pullId, long[] digests) {
        PullRequest(PullMode mode, long viewKey, int backups, int partition, long pullId) {
            this(mode, viewKey, backups, partition, pullId, null);
        }

        byte[] encode() {
            Wire.Out out = new Wire.Out(digests == null ? 40 : 40 + 8 * Digests.BUCKETS).u8(mode.ordinal()).i64(viewKey)
                    .u8(backups).i32(partition).i64(pullId).bool(digests != null);
            if (digests != null) {
                Digests.write(out, digests);
            }
            return out.toArray();
        }

        static PullRequest decode(byte[] payload) {
            Wire.In in = new Wire.In(payload);
            return new PullRequest(enumOf(PullMode.values(), in.u8(), "pull mode"), in.i64(), in.u8(), in.i32(), in.i64(),
                    in.bool() ? Digests.read(in) : null);
        }
    }

    /**
     * A member's answer to a {@code QUERY} pull: whether it holds a copy (complete or kept) and its version, whether
     * members it has seen are missing from the view, and what decides whether the copy holds every acknowledged write
     * ({@link Migration.CopyState}). The fences of a copy held follow it on the wire.
     */
    record QueryAnswer(boolean holds, long version, boolean missing, Migration.CopyState copy) {
        void write(Wire.Out out) {
            out.u8((holds ? Status.OK : Status.NONE).code()).i64(version).bool(missing).bool(copy.current())
                    .bool(copy.currentBefore()).bool(copy.ownedIncomplete()).bool(copy.primaryBefore())
                    .i64(copy.previousKey());
        }

        static QueryAnswer read(Wire.In in) {
            boolean holds = in.u8() == Status.OK.code();
            return new QueryAnswer(holds, in.i64(), in.bool(),
                    new Migration.CopyState(in.bool(), in.bool(), in.bool(), in.bool(), in.i64()));
        }
    }

    /** The pieces of a snapshot: begin, chunks of one map's entries each, and end with the partition's metadata. */
    enum PushKind { BEGIN, CHUNK, END }

    /** The header every push message starts with. */
    record PushHeader(PushKind kind, int backups, int partition, long pushId) {
        Wire.Out start(int capacity) {
            return new Wire.Out(capacity).u8(kind.ordinal()).u8(backups).i32(partition).i64(pushId);
        }

        static PushHeader read(Wire.In in) {
            return new PushHeader(enumOf(PushKind.values(), in.u8(), "push kind"), in.u8(), in.i32(), in.i64());
        }
    }

    /** An entry on the wire (backup writes, snapshots): its header fields, then its value. */
    static Wire.Out writeEntry(Wire.Out out, StoredEntry entry) {
        return out.i64(entry.version()).i64(entry.expiresAt()).i64(entry.writtenAt()).i64(entry.access())
                .bytes(entry.value());
    }

    /** An entry {@link #writeEntry} wrote. */
    static StoredEntry readEntry(Wire.In in) {
        return new StoredEntry(in.i64(), in.i64(), in.i64(), in.i64(), in.bytes());
    }

    static <E extends Enum<E>> E enumOf(E[] values, int code, String what) {
        if (code < 0 || code >= values.length) {
            throw new IllegalArgumentException("malformed message: unknown " + what + " " + code);
        }
        return values[code];
    }
}
