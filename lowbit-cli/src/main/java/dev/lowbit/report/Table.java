package dev.lowbit.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A plain-text table for humans: a header row, aligned columns (numbers right-aligned). */
public final class Table {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public Table(String... header) {
        this.header = List.of(header);
    }

    public Table row(Object... cells) {
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(format(c));
        }
        rows.add(r);
        return this;
    }

    /** Formats a cell: doubles with 4 significant digits, others with toString. */
    public static String format(Object c) {
        if (c instanceof Double d) {
            if (!Double.isFinite(d)) {
                return String.valueOf(d);
            }
            double a = Math.abs(d);
            if (a != 0 && (a < 1e-3 || a >= 1e6)) {
                return String.format(Locale.ROOT, "%.3e", d);
            }
            return String.format(Locale.ROOT, a >= 100 ? "%.1f" : "%.4f", d);
        }
        return String.valueOf(c);
    }

    @Override
    public String toString() {
        int n = header.size();
        int[] w = new int[n];
        for (int i = 0; i < n; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        appendRow(sb, header, w, false);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        }
        sb.append('\n');
        for (List<String> r : rows) {
            appendRow(sb, r, w, true);
        }
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, List<String> r, int[] w, boolean alignNumbers) {
        for (int i = 0; i < w.length; i++) {
            String c = r.get(i);
            boolean right = alignNumbers && c.matches("[-+0-9.eE%x×]+") && !c.isEmpty();
            String pad = " ".repeat(w[i] - c.length());
            sb.append(i == 0 ? "" : "  ").append(right ? pad + c : (i == w.length - 1 ? c : c + pad));
        }
        sb.append('\n');
    }
}
