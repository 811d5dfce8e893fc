package dev.cairn.partition;

import dev.cairn.GridException;

/** Temporary stand-in; replaced by the Chronicle Map store. */
public class StoreFullException extends GridException {
    private static final long serialVersionUID = 1L;

    public StoreFullException(String message, Throwable cause) {
        super(message, cause);
    }
}
