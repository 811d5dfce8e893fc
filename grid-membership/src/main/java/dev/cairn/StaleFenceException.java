package dev.cairn;

/** A write carried a fence lower than one its partition has already seen for the same lock; nothing was written. */
public class StaleFenceException extends GridException {
    private static final long serialVersionUID = 1L;

    public StaleFenceException(String message) {
        super(message);
    }
}
