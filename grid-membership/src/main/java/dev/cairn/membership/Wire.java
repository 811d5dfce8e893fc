package dev.cairn.membership;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The one encoder and decoder of Cairn's messages, for every module: a growable big-endian writer and a reader over
 * one message that checks every length and count against the bytes left before it allocates, so a malformed message
 * fails with {@link IllegalArgumentException} rather than an out-of-memory or an index error.
 */
public final class Wire {
    private Wire() {
    }

    /** Writes big-endian numbers and length-prefixed byte strings into a growing array. */
    public static final class Out {
        private byte[] buf;
        private int pos;

        public Out(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void room(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        public Out u8(int v) {
            room(1);
            buf[pos++] = (byte) v;
            return this;
        }

        public Out bool(boolean v) {
            return u8(v ? 1 : 0);
        }

        public Out i32(int v) {
            room(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
            return this;
        }

        public Out i64(long v) {
            i32((int) (v >>> 32));
            return i32((int) v);
        }

        /** A length-prefixed byte string; null is written as length -1. */
        public Out bytes(byte[] b) {
            if (b == null) {
                return i32(-1);
            }
            i32(b.length);
            room(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
            return this;
        }

        public Out str(String s) {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        public int size() {
            return pos;
        }

        public byte[] toArray() {
            return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
        }
    }

    /** Reads what {@link Out} wrote, in the same order. */
    public static final class In {
        private final byte[] buf;
        private int pos;

        public In(byte[] buf) {
            this.buf = buf;
        }

        private void need(int n) {
            if (n > buf.length - pos) {
                throw new IllegalArgumentException("malformed message: " + n + " more bytes expected at offset " + pos
                        + ", but it ends there (" + buf.length + " bytes)");
            }
        }

        public int u8() {
            need(1);
            return buf[pos++] & 0xff;
        }

        /** A boolean {@link Out#bool} wrote: any byte but 0 or 1 is malformed. */
        public boolean bool() {
            int b = u8();
            if (b > 1) {
                throw new IllegalArgumentException("malformed message: a boolean of " + b + " at offset " + (pos - 1));
            }
            return b == 1;
        }

        public int i32() {
            need(4);
            int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        public long i64() {
            return ((long) i32() << 32) | (i32() & 0xffffffffL);
        }

        public byte[] bytes() {
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
        public int count() {
            int n = i32();
            if (n < 0 || n > buf.length - pos) {
                throw new IllegalArgumentException("malformed message: a count of " + n + " at offset " + pos
                        + " with " + (buf.length - pos) + " bytes left");
            }
            return n;
        }

        /** A string {@link Out#str} wrote; a null byte string is malformed here. */
        public String str() {
            byte[] b = bytes();
            if (b == null) {
                throw new IllegalArgumentException("malformed message: a null string at offset " + (pos - 4));
            }
            return new String(b, StandardCharsets.UTF_8);
        }

        public boolean more() {
            return pos < buf.length;
        }
    }
}
