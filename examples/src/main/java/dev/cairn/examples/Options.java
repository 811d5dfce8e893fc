package dev.cairn.examples;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options of a command; a bare {@code --flag} reads as "true". */
final class Options {
    private final Map<String, String> values = new HashMap<>();

    Options(String[] args, Set<String> known) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'; options look like --name value");
            }
            String key = a.substring(2);
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown option '" + a + "'; known: --" + String.join(", --", known));
            }
            boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
            values.put(key, hasValue ? args[++i] : "true");
        }
    }

    String get(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    int getInt(String key, int fallback) {
        String v = values.get(key);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a whole number but was '" + v + "'");
        }
    }

    boolean has(String key) {
        return values.containsKey(key);
    }
}
