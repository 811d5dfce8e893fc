package dev.cairn;

/**
 * A write to a bounded map ({@link Eviction}) would take it past its bound and its policy may evict nothing (it is
 * {@link EvictionPolicy#NONE}, or every entry left is {@link Priority#CRITICAL}, or none has a time to live under a
 * volatile policy). The message names the map and the bound; nothing was written and nothing stored is lost.
 */
public class MapFullException extends StoreFullException {
    private static final long serialVersionUID = 1L;

    public MapFullException(String message) {
        super(message, null);
    }
}
