package dev.cairn.locks;

import dev.cairn.GridException;

/** Waiting for this lock would have closed a cycle of waiters; the message names every lock, owner and node in it. */
public class DeadlockException extends GridException {
    private static final long serialVersionUID = 1L;

    public DeadlockException(String message) {
        super(message);
    }
}
