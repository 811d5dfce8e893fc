package dev.cairn.partition;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Keys pinned to chosen owners (Infinispan's {@code MagicKey} idea): the first key of a prefix whose partition has the
 * given primary and, optionally, the given backup in the current view of {@code service}.
 */
final class MagicKeys {
    private MagicKeys() {
    }

    /** A key whose primary is {@code primary} and whose backups include {@code backup} (null: any). */
    static byte[] ownedBy(PartitionService service, int backups, String primary, String backup, String prefix) {
        PartitionTable table = service.table(backups);
        for (int i = 0; i < 1_000_000; i++) {
            byte[] key = (prefix + i).getBytes(StandardCharsets.UTF_8);
            int p = service.partitionOf(key);
            List<String> bs = table.backups(p);
            if (table.primary(p).equals(primary) && (backup == null || bs.contains(backup))) {
                return key;
            }
        }
        throw new AssertionError("no key with primary " + primary + " and backup " + backup + " in " + table);
    }
}
