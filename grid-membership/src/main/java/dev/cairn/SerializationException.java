package dev.cairn;

/** A value could not be turned into bytes or back; the message names the class and what to do. */
public class SerializationException extends GridException {
    private static final long serialVersionUID = 1L;

    public SerializationException(String message) {
        super(message);
    }

    public SerializationException(String message, Throwable cause) {
        super(message, cause);
    }
}
