package dev.cairn;

/**
 * A value is larger than its map takes ({@link MapOptions#maxValueBytes}). The message names the map, the value's
 * serialized size and the limit; the call failed before anything was sent, so nothing was written.
 */
public class ValueTooLargeException extends GridException {
    private static final long serialVersionUID = 1L;

    public ValueTooLargeException(String message) {
        super(message);
    }
}
