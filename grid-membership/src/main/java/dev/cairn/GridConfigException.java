package dev.cairn;

/** A setting was missing or out of range; the message names the setting and the value seen. */
public class GridConfigException extends GridException {
    private static final long serialVersionUID = 1L;

    public GridConfigException(String message) {
        super(message);
    }

    public GridConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
