package dev.cairn.partition;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The byte layouts of the partition protocol: a growable writer and a reader over one message. */
final class Wire {
    private Wire() {
    }

    /** Writes big-endian numbers and length-prefixed byte strings into a growing array. */
    static final class Out {
        private byte[] buf;
        private int pos;

        Out(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void room(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        Out u8(int v) {
            room(1);
            buf[pos++] = (byte) v;
            return this;
        }

        Out i32(int v) {
            room(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
            return this;
        }

        Out i64(long v) {
            i32((int) (v >>> 32));
            return i32((int) v);
        }

        /** A length-prefixed byte string; null is written as length -1. */
        Out bytes(byte[] b) {
            if (b == null) {
                return i32(-1);
            }
            i32(b.length);
            room(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        Out str(String s) {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        int size() {
            return pos;
        }

        byte[] toArray() {
            return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
        }
    }

    /** Reads what {@link Out} wrote, in the same order. */
    static final class In {
        private final byte[] buf;
        private int pos;

        In(byte[] buf) {
            this.buf = buf;
        }

        int u8() {
            return buf[pos++] & 0xff;
        }

        int i32() {
            int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        long i64() {
            return ((long) i32() << 32) | (i32() & 0xffffffffL);
        }

        byte[] bytes() {
            int n = i32();
            if (n < 0) {
                return null;
            }
            if (n > buf.length - pos) {
                throw new IllegalArgumentException("malformed message: a byte string of " + n + " bytes at offset " + pos
                        + " runs past its end (" + buf.length + " bytes)");
            }
            byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
            pos += n;
            return b;
        }

        /** A count of items that follow, each at least one byte: checked against the bytes left before use. */
        int count() {
            int n = i32();
            if (n < 0 || n > buf.length - pos) {
                throw new IllegalArgumentException("malformed message: a count of " + n + " at offset " + pos
                        + " with " + (buf.length - pos) + " bytes left");
            }
            return n;
        }

        String str() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        /** Skips a one-byte status and reads the long after it. */
        long i64AfterStatus() {
            u8();
            return i64();
        }

        boolean more() {
            return pos < buf.length;
        }
    }
}
