package dev.cairn.grid;

/**
 * Turns user objects into bytes and back. Below grid-core everything is bytes; this is where objects become bytes.
 * Every node of a cluster must use an equal codec, so that equal objects give equal bytes everywhere (keys are hashed
 * and compared as bytes). Implementations are thread-safe.
 */
public interface Codec {
    /**
     * @throws dev.cairn.SerializationException when the value's class (or a class inside it) cannot be written
     */
    byte[] encode(Object value);

    /**
     * @throws dev.cairn.SerializationException when the bytes are not a value this codec wrote
     */
    Object decode(byte[] bytes);
}
