package dev.cairn.partition;

/** Temporary stand-in; replaced by the Chronicle Map store. */
record StoredEntry(long version, long expiresAt, long touchedAt, byte[] value) {
}
