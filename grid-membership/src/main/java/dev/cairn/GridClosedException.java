package dev.cairn;

/** The node (or the structure the call was made on) has been closed. */
public class GridClosedException extends GridException {
    private static final long serialVersionUID = 1L;

    public GridClosedException(String message) {
        super(message);
    }
}
