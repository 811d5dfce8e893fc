package dev.cairn;

/** This side of a split does not hold a majority of the expected members, so the operation is refused. */
public class NoQuorumException extends GridException {
    private static final long serialVersionUID = 1L;

    public NoQuorumException(String message) {
        super(message);
    }
}
