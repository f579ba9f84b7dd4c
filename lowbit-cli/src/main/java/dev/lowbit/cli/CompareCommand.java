package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.report.QuantComparison;
import dev.lowbit.report.QuantComparison.MethodResult;
import dev.lowbit.report.Json;
import dev.lowbit.report.Plots;
import dev.lowbit.report.Table;
import dev.lowbit.tensor.FloatMatrix;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit compare}: the seeds' quantizers side by side on one GEMM. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Apply the seeds' quantizers to the same GEMM Y = X·Wᵀ and compare them.",
            "",
            "For each method: the output's relative error vs float64, the SQNR of each operand (null = kept in",
            "float32), and storage bits per element including scales, outlier copies and unpacked digits.",
            "Methods: imunpack, rtn-clip, int8, llm-int8, gptq, rtn-weight, hadamard, bfp, rtn-absmax, os+.",
            "os+ (Outlier Suppression+): per-column shift z = (max+min)/2 and scale s = max(1, |x - z|max / t) of X, t",
            "searched on --calib by the quantized output error; folded into W (W diag(s)) and a bias (W z); then",
            "rtn-absmax (b-bit symmetric absmax RTN, X per tensor, W per output row), its baseline.", ""},
        footer = {"", "Examples:",
            "  ./lowbit compare --lhs X.npy --rhs W.npy --table",
            "  ./lowbit compare --lhs X.npy --rhs W.npy --calib Xc.npy --methods gptq,rtn-weight --bits 3",
            "  ./lowbit compare --lhs X.npy --rhs W.npy --plot compare.png"})
final class CompareCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    BackendOption backendOption;

    @Spec
    CommandSpec spec;

    @Option(names = "--lhs", required = true, paramLabel = "X.npy", description = "Activations X, m×k.")
    Path lhs;

    @Option(names = "--rhs", required = true, paramLabel = "W.npy", description = "Weight W, n×k.")
    Path rhs;

    @Option(names = "--calib", paramLabel = "Xc.npy", description = "Calibration inputs for GPTQ and os+, t×k (default: X).")
    Path calib;

    @Option(names = "--methods", defaultValue = "all", paramLabel = "all|m1,m2", description = "Methods to run (default: ${DEFAULT-VALUE}).")
    String methods;

    @Option(names = "--bits", defaultValue = "4", paramLabel = "B",
            description = "Bits for gptq/rtn-weight weights, bfp elements, rtn-absmax/os+ operands and imunpack's unpacked GEMMs (default: ${DEFAULT-VALUE}).")
    int bits;

    @Option(names = "--seed", defaultValue = "1", description = "Seed for stochastic rounding (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--table", description = "Print a table instead of JSON.")
    boolean table;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw the output errors as a bar chart.")
    Path plot;

    @Override
    public Integer call() {
        Inputs.checkOutput(plot, "--plot");
        if (bits < 2 || bits > 16) {
            throw new LowbitException("--bits must be in 2..16, got " + bits);
        }
        List<String> names = QuantComparison.parseMethods(methods);
        FloatMatrix x = Inputs.finiteMatrix(lhs);
        FloatMatrix w = Inputs.finiteMatrix(rhs);
        Inputs.requireSameInner(x, lhs, w, rhs);
        FloatMatrix xc = x;
        if (calib != null) {
            xc = Inputs.finiteMatrix(calib);
            Inputs.requireSameInner(xc, calib, w, rhs);
        }
        List<MethodResult> results = QuantComparison.run(
                new QuantComparison.Inputs(x, w, xc, bits, seed, backendOption.backend()), names);
        PrintWriter pw = spec.commandLine().getOut();
        if (table) {
            pw.print("Y = X·Wᵀ with X " + x.shapeString() + ", W " + w.shapeString() + ", bits " + bits + "\n" + table(results));
        } else {
            pw.println(Json.object().put("lhs", x.shapeString()).put("rhs", w.shapeString()).put("bits", bits).put("seed", seed)
                    .put("methods", toJson(results)));
        }
        if (plot != null) {
            CategoryChart ch = new CategoryChartBuilder().width(900).height(450).title("GEMM output error vs float64 (" + x.shapeString()
                    + " · " + w.shapeString() + "ᵀ, " + bits + " bits)").xAxisTitle("method").yAxisTitle("relative error").build();
            ch.getStyler().setLegendVisible(false);
            ch.addSeries("relative error", results.stream().map(MethodResult::name).toList(),
                    results.stream().map(MethodResult::relErrorVsFp32).toList());
            Plots.savePng(plot, List.of(ch));
        }
        pw.flush();
        return 0;
    }

    static List<Json> toJson(List<MethodResult> results) {
        return results.stream().map(r -> Json.object().put("name", r.name()).put("description", r.description())
                .put("relErrorVsFp32", r.relErrorVsFp32()).put("lhsSqnrDb", r.lhsSqnrDb()).put("rhsSqnrDb", r.rhsSqnrDb())
                .put("lhsBitsPerElement", r.lhsBitsPerElement()).put("rhsBitsPerElement", r.rhsBitsPerElement())
                .put("unpackRatio", r.unpackRatio())).toList();
    }

    /** The human table plus one line per method saying what it does. */
    static String table(List<MethodResult> results) {
        Table t = new Table("method", "rel. error", "SQNR X (dB)", "SQNR W (dB)", "bits/elem X", "bits/elem W", "unpack ratio");
        for (MethodResult r : results) {
            t.row(r.name(), r.relErrorVsFp32(), sqnr(r.lhsSqnrDb()), sqnr(r.rhsSqnrDb()), r.lhsBitsPerElement(), r.rhsBitsPerElement(),
                    r.unpackRatio() == null ? "-" : Table.format(r.unpackRatio()));
        }
        StringBuilder sb = new StringBuilder(t.toString());
        for (MethodResult r : results) {
            sb.append("  ").append(r.name()).append(": ").append(r.description()).append('\n');
        }
        return sb.toString();
    }

    private static String sqnr(double db) {
        return Double.isInfinite(db) ? "float" : Table.format(db);
    }
}
