package dev.cairn.locks;

import dev.cairn.GridException;

/**
 * This node's lock session expired (its heartbeats stopped reaching the lock group for longer than the session
 * timeout: it was paused, cut off or too slow), so every lock it held was given to the next waiter with a new fence.
 */
public class LockOwnershipLostException extends GridException {
    private static final long serialVersionUID = 1L;

    public LockOwnershipLostException(String message) {
        super(message);
    }
}
