package dev.cairn.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --key value} and bare {@code --flag} arguments. */
final class Args {
    private Args() {
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
            }
            String key = args[i].substring(2);
            // --cairn-args takes node options, which start with -- themselves
            if (i + 1 < args.length && (!args[i + 1].startsWith("--") || key.equals("cairn-args"))) {
                out.put(key, args[++i]);
            } else {
                out.put(key, "true");
            }
        }
        return out;
    }

    static String need(Map<String, String> o, String key) {
        String v = o.get(key);
        if (v == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }
}
