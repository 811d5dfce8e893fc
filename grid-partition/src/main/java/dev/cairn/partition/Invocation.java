package dev.cairn.partition;

import dev.cairn.membership.Wire;
/**
 * The identity of one write, the same on every try (DESIGN.md decision 13).
 *
 * @param origin the calling node's incarnation (random per start of a partition service)
 * @param seq    the call's number on that incarnation
 */
record Invocation(long origin, long seq) {
    void write(Wire.Out out) {
        out.i64(origin).i64(seq);
    }

    static Invocation read(Wire.In in) {
        return new Invocation(in.i64(), in.i64());
    }
}
