package dev.lowbit.cli;

import dev.lowbit.format.FormatInfo;
import dev.lowbit.format.Formats;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.format.LMul;
import dev.lowbit.report.Json;
import dev.lowbit.report.Table;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit formats}: the table of named number formats. */
@Command(name = "formats", mixinStandardHelpOptions = true,
        description = {"List every named number format and its range.", "",
            "For each: bits per element (block scales included), largest finite",
            "value, smallest normal and subnormal, epsilon (the gap above 1), and whether it has inf / NaN.",
            "Integer formats and NVFP4 are in units of their scale. With --lmul, also measure L-Mul's error."},
        footer = {"", "Examples:", "  ./lowbit formats", "  ./lowbit formats --json", "  ./lowbit formats --lmul"})
final class FormatsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--lmul", description = "Print L-Mul's mean relative error vs FP8 multiplication (200k N(0,1) pairs, seed 42).")
    boolean lmul;

    @Override
    public Integer call() {
        PrintWriter pw = spec.commandLine().getOut();
        List<NumberFormat> all = Formats.named();
        List<LMul.ErrorRow> study = lmul ? LMul.study(200_000, 42) : List.of();
        if (json) {
            Json j = Json.object().put("formats", all.stream().map(f -> {
                FormatInfo i = f.info();
                return Json.object().put("name", i.name()).put("bits", i.bits()).put("maxFinite", i.maxFinite())
                        .put("minNormal", i.minNormal()).put("minSubnormal", i.minSubnormal()).put("epsilon", i.epsilon())
                        .put("hasInf", i.hasInf()).put("hasNaN", i.hasNaN()).put("description", i.description());
            }).toList());
            if (lmul) {
                j.put("lmul", study.stream().map(r -> Json.object().put("method", r.method()).put("meanRelError", r.meanRelError())
                        .put("against", r.against())).toList());
            }
            pw.println(j);
        } else {
            Table t = new Table("format", "bits", "max finite", "min normal", "min subnormal", "epsilon", "inf", "NaN", "description");
            for (NumberFormat f : all) {
                FormatInfo i = f.info();
                t.row(i.name(), bits(i.bits()), num(i.maxFinite()), num(i.minNormal()), num(i.minSubnormal()), num(i.epsilon()),
                        i.hasInf() ? "yes" : "no", i.hasNaN() ? "yes" : "no", i.description());
            }
            pw.print(t);
            pw.println("Any eXmY (IEEE-style, suffixes -fn, -finite, -b<bias>), int<b> with -asym/-row/-col/-g<K>, and bfp<m>[-b<N>]"
                    + " are accepted too.");
            if (lmul) {
                pw.println();
                pw.println("L-Mul mean relative error, 200000 pairs of N(0,1) values (seed 42):");
                Table l = new Table("method", "mean rel. error", "against");
                for (LMul.ErrorRow r : study) {
                    l.row(r.method(), String.format(Locale.ROOT, "%.2f%%", 100 * r.meanRelError()), r.against());
                }
                pw.print(l);
            }
        }
        pw.flush();
        return 0;
    }

    private static String bits(double b) {
        return b == Math.rint(b) ? String.valueOf((long) b) : String.valueOf(b);
    }

    /** Powers of two as 2^k, other values with up to 7 significant digits. */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (v > 0 && v == Math.scalb(1.0, Math.getExponent(v)) && Math.abs(Math.getExponent(v)) > 10) {
            return "2^" + Math.getExponent(v);
        }
        String s = String.format(Locale.ROOT, "%.7g", v);
        if (s.contains("e")) {
            s = s.replaceFirst("\\.?0+e", "e");
        } else if (s.contains(".")) {
            s = s.replaceFirst("\\.?0+$", "");
        }
        return s;
    }
}
