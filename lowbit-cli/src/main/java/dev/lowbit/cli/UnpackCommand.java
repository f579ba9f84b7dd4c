package dev.lowbit.cli;

import dev.lowbit.Flags;
import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ImUnpackResult;
import dev.lowbit.gemm.ImUnpackSpec;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.Sqnr;
import dev.lowbit.report.Json;
import dev.lowbit.report.Table;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.OperandStats;
import dev.lowbit.unpack.UnpackStats;
import dev.lowbit.unpack.UnpackStrategy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit unpack}: quantize two matrices, unpack to b bits, run the low-bit GEMM, fold, and check exactness. */
@Command(name = "unpack", mixinStandardHelpOptions = true,
        description = {"Run C = A·Wᵀ exactly as b-bit integer GEMMs (IM-Unpack) and report the unpack cost.",
            "",
            "Quantizes A (m×k) and W (n×k) with the RTN percentile quantizer (heavy hitters kept as large",
            "integers), unpacks both to b-bit integers, runs the low-bit GEMMs, folds the result back, and",
            "checks it against the int64 GEMM of the codes. Prints one JSON object: unpacked shapes,",
            "heavy hitters, the work ratio m'n'k'/mnk, 'exact', and the relative error vs float64.", ""},
        footer = {"", "Examples:",
            "  ./lowbit unpack --lhs A.npy --rhs W.npy --bits 4 --strategy row",
            "  ./lowbit unpack --lhs A.npy --rhs W.npy --bits 8 --strategy column --beta 0.99 --table --out C.npy",
            "", "Strategies:",
            "  row     each row of A and W becomes its base-2^(b-1) digit rows",
            "  column  inner index c becomes a_c·b_c digit-pair columns (good for outlier channels)",
            "  both    the paper's greedy mix of row and column splits",
            "  auto    the cheapest of the three by m'·n'·k', decided before any GEMM runs",
            "The result does not depend on --bits (unpacking is exact); only the unpacked size does."})
final class UnpackCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--lhs", required = true, paramLabel = "A.npy", description = "Left operand A, m×k, float or int .npy.")
    Path lhs;

    @Option(names = "--rhs", required = true, paramLabel = "W.npy", description = "Right operand W, n×k (nn.Linear weight layout).")
    Path rhs;

    @Option(names = "--bits", required = true, paramLabel = "B", description = "Bit-width of the low-bit GEMMs, 2..16.")
    int bits;

    @Option(names = "--strategy", required = true, paramLabel = "row|column|both|auto", description = "Unpacking strategy.")
    String strategy;

    @Option(names = "--beta", defaultValue = "0.95", paramLabel = "P", description = "Percentile in (0, 1] for the scale (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--levels", defaultValue = "15", paramLabel = "N", description = "Quantization levels: s = (N/2)/alpha (default: ${DEFAULT-VALUE}).")
    int levels;

    @Option(names = "--granularity", defaultValue = "tensor", paramLabel = "G",
            description = "Scale granularity: tensor, row, column or group:K (default: ${DEFAULT-VALUE}).")
    String granularity;

    @Option(names = "--clip", description = "Clip codes to ±floor((N−1)/2) (the paper's ablation; heavy hitters are lost).")
    boolean clip;

    @Option(names = "--backend", paramLabel = "NAME", description = "GEMM backend for the low-bit GEMMs: onednn, simd or scalar (default: the fastest one proven exact here).")
    String backend;

    @Option(names = "--out", paramLabel = "C.npy", description = "Write the dequantized result (float32, m×n).")
    Path out;

    @Option(names = "--table", description = "Print a human-readable table instead of JSON.")
    boolean table;

    @Override
    public Integer call() {
        Inputs.checkOutput(out, "--out");
        Digits.checkBits(bits);
        Inputs.checkBeta(beta);
        UnpackStrategy strat = UnpackStrategy.parse(strategy);
        QuantParams qp = new QuantParams(beta, levels, Granularity.parse(granularity), clip);
        GemmBackend be = GemmBackends.select(backend == null ? Flags.backend() : backend);
        FloatMatrix a = Inputs.finiteMatrix(lhs);
        FloatMatrix w = Inputs.finiteMatrix(rhs);
        Inputs.requireSameInner(a, lhs, w, rhs);

        ImUnpackResult r = ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(qp, bits, strat), be, true);
        double relErr = Sqnr.relativeError(r.outF64(), ScalarGemm.f64(a, w));
        if (out != null) {
            Npy.write(out, NpyArray.of(r.out()));
        }
        PrintWriter pw = spec.commandLine().getOut();
        UnpackStats st = r.stats();
        if (table) {
            pw.print(table(st, qp, relErr, r.exact(), strat));
        } else {
            Json j = Json.object().put("bits", bits).put("strategy", strat.label());
            if (strat == UnpackStrategy.AUTO) {
                j.put("chosenStrategy", st.strategies());
            }
            j.put("beta", beta).put("levels", levels);
            if (qp.granularity().kind() != Granularity.Kind.TENSOR || clip) {
                j.put("granularity", qp.granularity().toString()).put("clip", clip);
            }
            j.put("lhs", operandJson(st.lhs())).put("rhs", operandJson(st.rhs()))
                    .put("innerDim", st.innerDim()).put("unpackedInnerDim", st.unpackedInnerDim()).put("ratio", st.ratio())
                    .put("exact", r.exact()).put("relErrorVsFp32", relErr);
            pw.println(j);
        }
        pw.flush();
        if (!r.exact()) {
            throw new LowbitException("the folded low-bit GEMM differs from the int64 GEMM of the codes (backend "
                    + be.name() + "): this is a bug, please report it");
        }
        return 0;
    }

    static Json operandJson(OperandStats s) {
        return Json.object().put("rows", s.rows()).put("cols", s.cols()).put("unpackedRows", s.unpackedRows())
                .put("heavyHitters", s.heavyHitters()).put("heavyHitterFraction", s.heavyHitterFraction())
                .put("alpha", s.alpha()).put("scale", s.scale());
    }

    private String table(UnpackStats st, QuantParams qp, double relErr, boolean exact, UnpackStrategy strat) {
        Table t = new Table("operand", "rows", "cols", "unpacked rows", "row ratio", "heavy hitters", "fraction", "alpha", "scale");
        addOperand(t, "lhs " + lhs.getFileName(), st.lhs());
        addOperand(t, "rhs " + rhs.getFileName(), st.rhs());
        return "IM-Unpack " + qp.label() + ", b = " + bits + ", strategy " + strat.label()
                + (strat == UnpackStrategy.AUTO ? " (chose " + st.strategies() + ")" : "") + "\n" + t
                + String.format(Locale.ROOT, "inner dim %d -> %d;  work ratio m'n'k'/mnk = %s%n", st.innerDim(),
                        st.unpackedInnerDim(), Table.format(st.ratio()))
                + "exact vs int64 GEMM of codes: " + exact + ";  relative error vs float64: " + Table.format(relErr) + "\n";
    }

    private static void addOperand(Table t, String name, OperandStats s) {
        t.row(name, s.rows(), s.cols(), s.unpackedRows(), s.rows() == 0 ? 1.0 : (double) s.unpackedRows() / s.rows(),
                s.heavyHitters(), s.heavyHitterFraction(), s.alpha(), s.scale());
    }
}
