package dev.cairn;

/** An operation did not complete within its timeout. Whether it took effect is unknown. */
public class GridTimeoutException extends GridException {
    private static final long serialVersionUID = 1L;

    public GridTimeoutException(String message) {
        super(message);
    }

    public GridTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
