package dev.cairn;

/**
 * A map's store in one partition has no room left. The message names the map, the partition, the entries and bytes
 * the store holds, and says to raise {@link StoreSizing#expectedEntries()}. Nothing already stored is lost: reads,
 * removes and overwrites of existing keys keep working.
 */
public class StoreFullException extends GridException {
    private static final long serialVersionUID = 1L;

    public StoreFullException(String message, Throwable cause) {
        super(message, cause);
    }
}
