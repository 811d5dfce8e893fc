package dev.cairn.partition;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import dev.cairn.GridException;

/**
 * Values of a map with compression on ({@link dev.cairn.MapOptions#compressAbove()}), as they travel and are stored:
 * a tag byte, then the value as it was (tag 0), or the length it had (4 bytes) and its LZ4 block (tag 1) when it was
 * larger than the threshold and came out smaller. Packed on the calling node, before anything is sent, so the wire, the
 * backups and the stores all carry the small form; unpacked on the calling node. The pure-Java LZ4 implementation is
 * used on every node, so a value always packs to the same bytes and the byte comparisons of {@code replace(k, old,
 * new)} and {@code remove(k, v)} hold. A packed length is checked before anything is allocated: bytes from the network
 * are untrusted.
 */
final class Compression {
    private static final LZ4Factory LZ4 = LZ4Factory.safeInstance();
    private static final byte RAW = 0;
    private static final byte LZ4_BLOCK = 1;
    /** The largest value unpacked: far above any a store takes. */
    private static final int MAX_UNPACKED = Integer.MAX_VALUE - 16;

    private final int above;
    private final PartitionMetrics.MapMetrics metrics;
    private final LZ4Compressor compressor = LZ4.fastCompressor();
    private final LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();

    Compression(int above, PartitionMetrics.MapMetrics metrics) {
        this.above = above;
        this.metrics = metrics;
    }

    /** The value as it is sent and stored: tagged, and compressed when that pays. */
    byte[] pack(byte[] value) {
        if (value.length > above) {
            byte[] block = compressor.compress(value);
            if (block.length + 5 < value.length + 1) {
                byte[] out = new byte[block.length + 5];
                out[0] = LZ4_BLOCK;
                java.nio.ByteBuffer.wrap(out, 1, 4).putInt(value.length);
                System.arraycopy(block, 0, out, 5, block.length);
                metrics.compressed(value.length, out.length);
                return out;
            }
        }
        byte[] out = new byte[value.length + 1];
        out[0] = RAW;
        System.arraycopy(value, 0, out, 1, value.length);
        return out;
    }

    /** The value {@link #pack} packed; null for null. */
    byte[] unpack(byte[] packed) {
        if (packed == null) {
            return null;
        }
        if (packed.length == 0) {
            throw new GridException("a value of a compressed map has no tag: was it written without compression?");
        }
        if (packed[0] == RAW) {
            return java.util.Arrays.copyOfRange(packed, 1, packed.length);
        }
        if (packed[0] != LZ4_BLOCK || packed.length < 5) {
            throw new GridException("a value of a compressed map has an unknown tag " + packed[0]);
        }
        int length = java.nio.ByteBuffer.wrap(packed, 1, 4).getInt();
        if (length < 0 || length > MAX_UNPACKED) {
            throw new GridException("a compressed value claims " + length + " bytes");
        }
        try {
            byte[] out = new byte[length];
            int n = decompressor.decompress(packed, 5, packed.length - 5, out, 0, length);
            if (n != length) {
                throw new GridException("a compressed value gave " + n + " bytes where it claimed " + length);
            }
            return out;
        } catch (LZ4Exception e) {
            throw new GridException("a compressed value is corrupt: " + e.getMessage(), e);
        }
    }
}
