package dev.lowbit.report;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Formats;
import dev.lowbit.format.Granularity;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ImUnpackResult;
import dev.lowbit.gemm.ImUnpackSpec;
import dev.lowbit.gemm.LlmInt8Quantizer;
import dev.lowbit.gemm.OsPlus;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.quant.GptqQuantizer;
import dev.lowbit.quant.HadamardQuantizer;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.Sqnr;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.unpack.UnpackStrategy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Applies the seeds' quantizers to the same GEMM {@code Y = X·Wᵀ} and measures each: relative error of
 * the output against float64, SQNR of each operand, and storage bits per element (including scales,
 * outlier copies and, for IM-Unpack, the unpacked digits).
 */
public final class QuantComparison {
    private QuantComparison() {}

    /** One method's outcome. SQNR is +∞ (JSON null) for an operand the method leaves in float32. */
    public record MethodResult(String name, String description, double relErrorVsFp32, double lhsSqnrDb, double rhsSqnrDb,
                               double lhsBitsPerElement, double rhsBitsPerElement, Double unpackRatio) {}

    /** Inputs shared by every method. */
    public record Inputs(FloatMatrix x, FloatMatrix w, FloatMatrix calib, int bits, long seed, GemmBackend backend) {}

    /** Method names, in display order, with what they do. */
    public static final Map<String, String> METHODS = new LinkedHashMap<>();

    static {
        METHODS.put("imunpack", "IM-Unpack RTN p95/15 levels, heavy hitters kept, exact b-bit GEMMs (auto strategy)");
        METHODS.put("imunpack-row", "IM-Unpack RTN p95/15 levels with one scale per row (per token / output channel)");
        METHODS.put("imunpack-group", "IM-Unpack RTN p95/15 levels with one scale per row and group of 64 along k");
        METHODS.put("rtn-clip", "RTN p95/15 levels with heavy hitters clipped (IM-Unpack's ablation)");
        METHODS.put("int8", "absmax INT8 (RTN beta 1, 255 levels) on both operands");
        METHODS.put("llm-int8", "LLM.int8(): outlier columns (|x| >= 6) in float, the rest int8 per row");
        METHODS.put("gptq", "GPTQ weight-only, b bits per output row (asymmetric), X in float32");
        METHODS.put("rtn-weight", "round-to-nearest weight-only on GPTQ's grid (the baseline GPTQ must beat)");
        METHODS.put("hadamard", "Hadamard transform + LSQ-initialized INT4 on both operands (INT4 training forward)");
        METHODS.put("bfp", "block floating point, b-bit sign+mantissa per value, 8-bit exponent per 16, stochastic rounding");
        METHODS.put("rtn-absmax", "symmetric b-bit absmax RTN, X per tensor, W per output row (OS+'s baseline)");
        METHODS.put("os+", "Outlier Suppression+: X's columns shifted and scaled (threshold searched on --calib), folded into W and a bias, then rtn-absmax");
    }

    /** Parses {@code all} or a comma list of method names. */
    public static List<String> parseMethods(String spec) {
        if (spec.strip().equalsIgnoreCase("all")) {
            return new ArrayList<>(METHODS.keySet());
        }
        List<String> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            String m = s.strip().toLowerCase(Locale.ROOT);
            if (!METHODS.containsKey(m)) {
                throw new LowbitException("unknown method '" + s.strip() + "' (available: all, " + String.join(", ", METHODS.keySet()) + ")");
            }
            out.add(m);
        }
        return out;
    }

    public static List<MethodResult> run(Inputs in, List<String> methods) {
        double[] ref = ScalarGemm.f64(in.x(), in.w());
        double[] xd = Sqnr.toDouble(in.x());
        double[] wd = Sqnr.toDouble(in.w());
        int k = in.x().cols();
        List<MethodResult> out = new ArrayList<>();
        for (String m : methods) {
            out.add(switch (m) {
                case "imunpack" -> imUnpack(m, in, QuantParams.P95_N15, in.bits(), ref);
                case "imunpack-row" -> imUnpack(m, in, QuantParams.P95_N15.withGranularity(Granularity.ROW), in.bits(), ref);
                case "imunpack-group" -> imUnpack(m, in, QuantParams.P95_N15.withGranularity(Granularity.group(64)), in.bits(), ref);
                case "rtn-clip" -> imUnpack(m, in, QuantParams.P95_N15.withClip(true), 16, ref);
                case "int8" -> imUnpack(m, in, QuantParams.of(1.0, 255), 16, ref);
                case "llm-int8" -> {
                    LlmInt8Quantizer.Result r = LlmInt8Quantizer.multiply(in.x(), in.w(), LlmInt8Quantizer.DEFAULT_THRESHOLD);
                    double frac = r.outlierFraction();
                    double[] xq = dequantRows(r.xCodes(), r.xScales(), xd, r.outlierColumns());
                    double[] wq = dequantRows(r.wCodes(), r.wScales(), null, new int[0]);
                    yield new MethodResult(m, METHODS.get(m), Sqnr.relativeError(r.y(), ref), Sqnr.db(xd, xq), Sqnr.db(wd, wq),
                            8 * (1 - frac) + 16 * frac + 32.0 / Math.max(1, k), 8 + 16 * frac + 32.0 / Math.max(1, k), null);
                }
                case "gptq", "rtn-weight" -> {
                    GptqQuantizer.Result r = m.equals("gptq")
                            ? GptqQuantizer.quantize(in.w(), in.calib(), GptqQuantizer.Spec.of(in.bits()))
                            : GptqQuantizer.rtn(in.w(), in.bits(), -1);
                    double[] y = ScalarGemm.f64(in.x(), r.toFloatMatrix());
                    yield new MethodResult(m, METHODS.get(m), Sqnr.relativeError(y, ref), Double.POSITIVE_INFINITY,
                            Sqnr.db(wd, r.dequantized()), 32, in.bits() + 32.0 / Math.max(1, k), null);
                }
                case "hadamard" -> {
                    HadamardQuantizer.Operand[] q = HadamardQuantizer.quantizePair(in.x(), in.w());
                    double[] y = ScalarGemm.f64(q[0].dequantized(), q[1].dequantized(), in.x().rows(), in.w().rows(), k);
                    yield new MethodResult(m, METHODS.get(m) + " (block " + q[0].block() + ")", Sqnr.relativeError(y, ref),
                            Sqnr.db(xd, q[0].dequantized()), Sqnr.db(wd, q[1].dequantized()), 4 + 32.0 / Math.max(1, xd.length),
                            4 + 32.0 / Math.max(1, wd.length), null);
                }
                case "bfp" -> {
                    double[] xq = fastBfp(in.x(), in.bits() - 1, in.seed());
                    double[] wq = fastBfp(in.w(), in.bits() - 1, in.seed() + 1);
                    double[] y = ScalarGemm.f64(xq, wq, in.x().rows(), in.w().rows(), k);
                    yield new MethodResult(m, METHODS.get(m), Sqnr.relativeError(y, ref), Sqnr.db(xd, xq), Sqnr.db(wd, wq),
                            in.bits() + 8 / 16.0, in.bits() + 8 / 16.0, null);
                }
                case "rtn-absmax", "os+" -> osPlus(m, in, ref, m.equals("os+"));
                default -> throw new LowbitException("unknown method '" + m + "'");
            });
        }
        return out;
    }

    /** FAST's BFP ({@link Formats#fastBfp}, groups of 16 along k) with FAST's stochastic rounding, as doubles. */
    private static double[] fastBfp(FloatMatrix m, int mantissaBits, long seed) {
        float[] out = new float[m.rows() * m.cols()];
        Formats.fastBfp(mantissaBits, Formats.FAST_BLOCK).round(m.toArray(), out, m.rows(), m.cols(), Formats.fastRounding(seed), 1);
        return Sqnr.toDouble(FloatMatrix.wrap(out, m.rows(), m.cols()));
    }

    private static MethodResult imUnpack(String name, Inputs in, QuantParams p, int bits, double[] ref) {
        ImUnpackResult r = ImUnpackGemm.multiply(in.x(), in.w(), ImUnpackSpec.of(p, bits, UnpackStrategy.AUTO), in.backend(), false);
        var st = r.stats();
        double mk = (double) st.lhs().rows() * st.innerDim();
        double nk = (double) st.rhs().rows() * st.innerDim();
        int storedBits = p.clip() || name.equals("int8") ? (int) Math.ceil(Math.log(p.levels()) / Math.log(2)) : bits;
        double lhsScales = 32.0 * r.lhsQuant().scales().length;
        double rhsScales = 32.0 * r.rhsQuant().scales().length;
        double lhsBits = p.clip() || name.equals("int8") ? storedBits + lhsScales / Math.max(1, mk)
                : (bits * (double) st.lhs().unpackedElements() + lhsScales) / Math.max(1, mk);
        double rhsBits = p.clip() || name.equals("int8") ? storedBits + rhsScales / Math.max(1, nk)
                : (bits * (double) st.rhs().unpackedElements() + rhsScales) / Math.max(1, nk);
        Function<QuantizedMatrix, double[]> deq = q -> Sqnr.toDouble(q.dequantize());
        return new MethodResult(name, METHODS.get(name) + (name.startsWith("imunpack") ? " at b = " + bits + ", " + st.strategies() : ""),
                Sqnr.relativeError(r.outF64(), ref), Sqnr.db(Sqnr.toDouble(in.x()), deq.apply(r.lhsQuant())),
                Sqnr.db(Sqnr.toDouble(in.w()), deq.apply(r.rhsQuant())), lhsBits, rhsBits,
                name.startsWith("imunpack") ? st.ratio() : null);
    }

    /** b-bit symmetric absmax RTN: 2^b − 2 levels, so that codes lie in [−(2^(b−1) − 1), 2^(b−1) − 1] (int8: ±127). */
    static QuantParams absmax(int bits, Granularity g) {
        return QuantParams.of(1.0, (1 << bits) - 2).withGranularity(g);
    }

    /**
     * {@code rtn-absmax} and {@code os+}: X per tensor and W per output row, b-bit absmax RTN. With OS+ the shift z and
     * scale s are searched on the calibration rows ({@link OsPlus#search}, {@value OsPlus#DEFAULT_CANDIDATES} thresholds,
     * under the same quantizers), then Y ≈ Q((X − z)/s)·Q(W·diag(s))ᵀ + W·z. The operand SQNRs are of what the method
     * reconstructs: Q(X̃)⊙s + z against X and Q(W̃)/s against W. z and s cost no storage (folded into the preceding
     * op and into W); the bias W·z is n float32 values.
     */
    private static MethodResult osPlus(String name, Inputs in, double[] ref, boolean os) {
        int m = in.x().rows();
        int n = in.w().rows();
        int k = in.x().cols();
        if (in.calib().cols() != k) {
            throw new LowbitException("--calib has " + in.calib().cols() + " columns, X has " + k);
        }
        Function<FloatMatrix, FloatMatrix> qx = x -> RtnQuantizer.quantize(x, absmax(in.bits(), Granularity.TENSOR), "X").dequantize();
        Function<FloatMatrix, FloatMatrix> qw = w -> RtnQuantizer.quantize(w, absmax(in.bits(), Granularity.ROW), "W").dequantize();
        float[] z = new float[k];
        float[] s = new float[k];
        java.util.Arrays.fill(s, 1f);
        String detail = "";
        if (os) {
            OsPlus.Transform t = OsPlus.search(in.calib(), List.of(in.w()), qx::apply, qw::apply, OsPlus.DEFAULT_CANDIDATES, in.backend());
            z = t.shift();
            s = t.scale();
            detail = String.format(Locale.ROOT, " (t = %.4g, %d of %d channels scaled)", t.threshold(), t.scaledChannels(), k);
        }
        double[] xq = Sqnr.toDouble(qx.apply(OsPlus.transformInput(in.x(), z, s)));
        double[] wq = Sqnr.toDouble(qw.apply(OsPlus.foldWeight(in.w(), s)));
        double[] y = ScalarGemm.f64(xq, wq, m, n, k);
        float[] bias = OsPlus.foldBias(in.w(), null, z);
        double[] xr = new double[m * k];
        double[] wr = new double[n * k];
        for (int i = 0; i < m; i++) {
            for (int o = 0; o < n; o++) {
                y[i * n + o] += bias[o];
            }
            for (int j = 0; j < k; j++) {
                xr[i * k + j] = xq[i * k + j] * s[j] + z[j];
            }
        }
        for (int o = 0; o < n; o++) {
            for (int j = 0; j < k; j++) {
                wr[o * k + j] = wq[o * k + j] / s[j];
            }
        }
        return new MethodResult(name, METHODS.get(name) + " at b = " + in.bits() + detail, Sqnr.relativeError(y, ref),
                Sqnr.db(Sqnr.toDouble(in.x()), xr), Sqnr.db(Sqnr.toDouble(in.w()), wr), in.bits() + 32.0 / Math.max(1, (double) m * k),
                in.bits() + 32.0 / Math.max(1, k) + (os ? 32.0 / Math.max(1, k) : 0), null);
    }

    private static double[] dequantRows(IntMatrix codes, double[] scales, double[] original, int[] floatCols) {
        int rows = codes.rows();
        int cols = codes.cols();
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = codes.get(r, c) * scales[r] / 127.0;
            }
            for (int c : floatCols) {
                out[r * cols + c] = original[r * cols + c];
            }
        }
        return out;
    }

}
