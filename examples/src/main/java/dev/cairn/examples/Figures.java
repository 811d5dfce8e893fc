package dev.cairn.examples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Named measurements gathered over several rounds, printed as median, min, max and every round's value. */
final class Figures {
    private final Map<String, List<Double>> values = new TreeMap<>();

    void add(String name, double value) {
        values.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }

    void print() {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-40s %10s %10s %10s   (all rounds)%n", "figure", "median", "min", "max");
        values.forEach((name, vs) -> {
            List<Double> sorted = new ArrayList<>(vs);
            Collections.sort(sorted);
            int n = sorted.size();
            double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
            System.out.printf(Locale.ROOT, "%-40s %10.1f %10.1f %10.1f   %s%n", name, median, sorted.get(0), sorted.get(n - 1),
                    vs.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList());
        });
    }
}
