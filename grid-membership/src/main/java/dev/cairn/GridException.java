package dev.cairn;

/**
 * The root of every error Cairn raises. All are unchecked; the subclasses name the cases a caller can act on.
 */
public class GridException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GridException(String message) {
        super(message);
    }

    public GridException(String message, Throwable cause) {
        super(message, cause);
    }
}
