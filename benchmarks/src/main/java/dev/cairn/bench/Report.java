package dev.cairn.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cairn.bench.SideBySide.Figure;
import dev.cairn.bench.SideBySide.Plan;
import dev.cairn.bench.SideBySide.Row;
import dev.cairn.bench.SideBySide.Workload;

/** The side-by-side's output: the steady-state table with ratios, the other figures, and the two CSV files. */
final class Report {
    private static final List<String> COLUMNS = List.of("ops-per-s", "get-p50-us", "get-p99-us", "get-p999-us", "put-p50-us",
            "put-p99-us", "put-p999-us", "errors");

    private Report() {
    }

    static Map<String, Double> fields(String line) {
        Map<String, Double> out = new TreeMap<>(dev.cairn.examples.Load.fields(line));
        // "FILLED 100000 in 2345 ms", "CHECKED ... in 2345 ms"
        Matcher in = Pattern.compile("\\bin (\\d+) ms").matcher(line);
        if (in.find()) {
            out.put("in", Double.parseDouble(in.group(1)));
        }
        return out;
    }

    private static Row cairnRow(List<Row> rows, Workload w) {
        return rows.stream().filter(r -> r.system().equals("cairn") && r.workload().equals(w) && r.note() == null).findFirst()
                .orElse(null);
    }

    private static double ratio(double cairn, double other) {
        return other > 0 ? cairn / other : Double.NaN;
    }

    static void printRows(List<Row> rows, List<String> systems) {
        if (rows.isEmpty()) {
            return;
        }
        System.out.println("Steady state: ops/s and latencies in microseconds (get and put p50 / p99 / p99.9); ops ratio = Cairn's ops/s "
                + "over the system's; p99 ratio = Cairn's get p99 over the system's (below 1: Cairn's is lower); load = the machine's "
                + "1-minute load average as the run ended (2 cores: above 2, something else was running too)");
        String fmt = "%-42s %-11s %9s %6s %6s %7s %6s %6s %7s %6s %9s %9s %5s%n";
        System.out.printf(Locale.ROOT, fmt, "workload", "system", "ops/s", "get50", "get99", "get99.9", "put50", "put99", "put99.9",
                "errors", "ops ratio", "p99 ratio", "load");
        for (Workload w : rows.stream().map(Row::workload).distinct().toList()) {
            Row cairn = cairnRow(rows, w);
            for (Row r : rows) {
                if (!r.workload().equals(w)) {
                    continue;
                }
                if (r.note() != null) {
                    System.out.printf(Locale.ROOT, "%-42s %-11s %s%n", w.label(), r.system(), r.note());
                    continue;
                }
                Map<String, Double> m = r.m();
                String opsRatio = cairn == null ? "" : String.format(Locale.ROOT, "%.2fx", ratio(cairn.ops(), r.ops()));
                String p99Ratio = cairn == null ? "" : String.format(Locale.ROOT, "%.2fx", ratio(cairn.m().get("get-p99-us"),
                        m.get("get-p99-us")));
                System.out.printf(Locale.ROOT, fmt, w.label(), r.system(), num(r.ops()), num(m.get("get-p50-us")), num(m.get("get-p99-us")),
                        num(m.get("get-p999-us")), num(m.get("put-p50-us")), num(m.get("put-p99-us")), num(m.get("put-p999-us")),
                        num(m.get("errors")), opsRatio, p99Ratio, String.format(Locale.ROOT, "%.1f", m.getOrDefault("load-1m", Double.NaN)));
            }
        }
        System.out.println();
        for (Workload w : rows.stream().map(Row::workload).distinct().toList()) {
            Row cairn = cairnRow(rows, w);
            if (cairn == null) {
                continue;
            }
            StringBuilder s = new StringBuilder("  " + w.label() + ": Cairn");
            Row best = null;
            for (Row r : rows) {
                if (r.workload().equals(w) && !r.system().equals("cairn") && r.note() == null) {
                    s.append(String.format(Locale.ROOT, " %.2fx %s", ratio(cairn.ops(), r.ops()), r.system()));
                    if (best == null || r.ops() > best.ops()) {
                        best = r;
                    }
                }
            }
            if (best != null) {
                s.append(String.format(Locale.ROOT, "; best peer %s: %.2fx its ops/s at %.2fx its get p99", best.system(),
                        ratio(cairn.ops(), best.ops()), ratio(cairn.m().get("get-p99-us"), best.m().get("get-p99-us"))));
            }
            System.out.println(s);
        }
    }

    static void printFigures(List<Figure> figures, List<String> systems) {
        if (figures.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println("Beyond steady state:");
        String fmt = "%-10s %-11s %-44s %12s  %s%n";
        System.out.printf(Locale.ROOT, fmt, "step", "system", "figure", "value", "note");
        List<String> order = List.of("run", "steady", "locks", "memory", "rebalance", "recovery");
        for (String step : order) {
            for (String system : systems) {
                for (Figure f : figures) {
                    if (f.step().equals(step) && f.system().equals(system)) {
                        String v = Double.isNaN(f.value()) ? "-" : (f.unit().equals("s") ? String.format(Locale.ROOT, "%.1f", f.value())
                                : num(f.value())) + " " + f.unit();
                        System.out.printf(Locale.ROOT, fmt, f.step(), f.system(), f.metric(), v, f.note());
                    }
                }
            }
        }
    }

    static void writeCsv(Path csv, Path stepsCsv, Plan p, List<Row> rows, List<Figure> figures) throws IOException {
        Files.createDirectories(csv.toAbsolutePath().getParent());
        String date = LocalDate.now().toString();
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
            w.println("date,design,workload,threads,read_percent,value_bytes,key_choice,map,keys,seconds,system,product,"
                    + String.join(",", COLUMNS).replace('-', '_') + ",cairn_ops_ratio,cairn_get_p99_ratio,load_1m,note");
            for (Row r : rows) {
                Workload wl = r.workload();
                Row cairn = cairnRow(rows, wl);
                List<String> cells = new ArrayList<>(List.of(date, p.quick() ? "quick" : p.design(), quote(wl.name()),
                        Integer.toString(wl.threads()), Integer.toString(wl.read()), Integer.toString(wl.bytes()), wl.keyChoice(), wl.map(),
                        Integer.toString(p.keys()), num(p.seconds()), r.system(), quote(r.product())));
                for (String c : COLUMNS) {
                    cells.add(num(r.m().getOrDefault(c, Double.NaN)));
                }
                cells.add(cairn == null || r.note() != null ? "" : String.format(Locale.ROOT, "%.3f", ratio(cairn.ops(), r.ops())));
                cells.add(cairn == null || r.note() != null ? "" : String.format(Locale.ROOT, "%.3f",
                        ratio(cairn.m().get("get-p99-us"), r.m().get("get-p99-us"))));
                double load = r.m().getOrDefault("load-1m", Double.NaN);
                cells.add(Double.isNaN(load) ? "" : String.format(Locale.ROOT, "%.2f", load));
                cells.add(r.note() == null ? "" : quote(r.note()));
                w.println(String.join(",", cells));
            }
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(stepsCsv, StandardCharsets.UTF_8))) {
            w.println("date,system,step,figure,value,unit,note");
            for (Figure f : figures) {
                w.println(String.join(",", date, f.system(), f.step(), quote(f.metric()),
                        Double.isNaN(f.value()) ? "" : String.format(Locale.ROOT, "%.1f", f.value()), f.unit(), quote(f.note())));
            }
        }
    }

    private static String quote(String s) {
        return s == null ? "" : '"' + s.replace('"', '\'') + '"';
    }

    static String num(Double v) {
        return v == null || Double.isNaN(v) ? "" : v == Math.rint(v) || Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.1f", v);
    }
}
