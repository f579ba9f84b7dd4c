package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.OperandSpec;
import dev.lowbit.quant.FpFormatSearch;
import dev.lowbit.tensor.FloatMatrix;
import java.util.List;

/**
 * {@code llm-fp4} (W4A4) and {@code llm-fp4-w4a8}: LLM-FP4 (Liu et al. 2023) on the six linears, attention in FP32.
 * Calibrated once on the inputs each linear receives in the FP32 model on the built-in calibration sentences (as
 * {@link GptqGemms}), per linear layer:
 *
 * <ol>
 *   <li>pre-shifts {@code c_j} of the input channels from their calibration ranges ({@link FpFormatSearch#preShifts});
 *   <li>activation quantizer: format (FP4: E1M2/E2M1/E3M0; FP8: E2M5/E3M4/E4M3/E5M2) and one static maxval searched on
 *       the shifted calibration inputs {@code X·diag(2^c)}, minimising the error of X itself, {@code Σ (X − Q(X·2^c)·2^−c)²}
 *       ({@link FpFormatSearch#searchTensor});
 *   <li>weight: FP4 format searched per tensor and maxval per output channel ({@link FpFormatSearch#searchRows}), then
 *       the shifts reparameterized into the quantized weight as exponent biases: {@code Q_w(W)·diag(2^−c)} (each
 *       quantized weight keeps its mantissa; only its exponent moves, exactly).
 * </ol>
 * At inference the input is shifted (exact powers of two), rounded with the static activation quantizer (so a
 * sentence's result never depends on its batch-mates) and multiplied by the dequantized weight on the backend's float32
 * GEMM. Q, K and V share their input and with it the shifts and the activation quantizer. {@code llm-fp4:no-shift}
 * (and {@code llm-fp4-w4a8:no-shift}) leaves every shift at 0: the ablation without the pre-shifted exponent bias.
 */
public final class LlmFp4Gemms implements PrecisionGemms {
    private final GemmBackend backend;
    private final int threads;
    private final Layer[][] layers;

    /** One linear layer's calibrated quantizers. */
    record Layer(int[] shifts, FpFormatSearch.Grid actGrid, double actScale, FpFormatSearch.TensorQuant act,
                 FpFormatSearch.RowQuant weight, FloatMatrix dequantized) {}

    private LlmFp4Gemms(GemmBackend backend, int threads, Layer[][] layers) {
        this.backend = backend;
        this.threads = threads;
        this.layers = layers;
    }

    static LlmFp4Gemms calibrate(BertWeights w, Precision p, GemmBackend backend, List<int[]> calibration, int threads) {
        if (calibration == null || calibration.isEmpty()) {
            throw new LowbitException(p.label() + " needs calibration text (token ids of built-in sentences): "
                    + "construct Bert with a calibration list, or use SentenceEmbedder, which supplies it");
        }
        OperandSpec.LlmFp4 spec = (OperandSpec.LlmFp4) p.policy().spec(GemmSite.LINEAR, GemmPass.FORWARD).rhs();
        FloatMatrix[][] inputs = GptqGemms.capture(w, backend, calibration, threads);
        int nl = w.config().layers();
        Layer[][] out = new Layer[nl][GemmRole.LINEAR.size()];
        for (int l = 0; l < nl; l++) {
            Activation qkv = null;
            for (GemmRole r : GemmRole.LINEAR) {
                if (!p.quantizes(r)) {
                    continue;
                }
                boolean shared = r == GemmRole.Q || r == GemmRole.K || r == GemmRole.V;
                Activation a = shared && qkv != null ? qkv
                        : activation(inputs[l][r.ordinal()], FpFormatSearch.formats(spec.activationBits()), spec.preShift(), threads);
                if (shared) {
                    qkv = a;
                }
                out[l][r.ordinal()] = layer(w.layers().get(l).linear(r).weight(), a, FpFormatSearch.formats(spec.weightBits()), threads);
            }
        }
        return new LlmFp4Gemms(backend, threads, out);
    }

    /** Shifts and the searched activation quantizer of one input. */
    record Activation(int[] shifts, FpFormatSearch.TensorQuant quant) {}

    static Activation activation(FloatMatrix x, List<MiniFloat> formats, boolean preShift, int threads) {
        float[] d = x.toArray();
        int[] c = preShift ? FpFormatSearch.preShifts(d, x.rows(), x.cols()) : new int[x.cols()];
        FpFormatSearch.shiftColumns(d, x.rows(), x.cols(), c, false);
        return new Activation(c, FpFormatSearch.searchTensor(d, x.cols(), errorWeights(c), formats, threads));
    }

    /** {@code 4^−c_j}: the shifted-domain squared error of channel j is the activation's error times {@code 4^c_j}. */
    static double[] errorWeights(int[] shifts) {
        double[] w = new double[shifts.length];
        for (int j = 0; j < w.length; j++) {
            w[j] = Math.scalb(1.0, -2 * shifts[j]);
        }
        return w;
    }

    /**
     * The weight quantized with the searched format and per-channel maxvals, then its columns' exponents pre-shifted by
     * the activation's {@code −c_j} (exact powers of two: the quantization error of the weight is unchanged).
     */
    static Layer layer(FloatMatrix weight, Activation a, List<MiniFloat> formats, int threads) {
        int n = weight.rows();
        int k = weight.cols();
        float[] wd = weight.toArray();
        FpFormatSearch.RowQuant rq = FpFormatSearch.searchRows(wd, n, k, formats, threads);
        FpFormatSearch.Grid g = new FpFormatSearch.Grid(rq.format());
        for (int r = 0; r < n; r++) {
            FpFormatSearch.quantizeInPlace(wd, r * k, (r + 1) * k, g, FpFormatSearch.scale(new FpFormatSearch.Fit(rq.maxvals()[r], 0), g));
        }
        FpFormatSearch.shiftColumns(wd, n, k, a.shifts(), true);
        FpFormatSearch.Grid ag = new FpFormatSearch.Grid(a.quant().format());
        double as = FpFormatSearch.scale(new FpFormatSearch.Fit(a.quant().maxval(), 0), ag);
        return new Layer(a.shifts(), ag, as, a.quant(), rq, FloatMatrix.wrap(wd, n, k));
    }

    @Override
    public float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks) {
        Layer ly = layers[layer][role.ordinal()];
        int m = x.rows();
        int k = x.cols();
        float[] a = quantizeInput(ly, x, threads);
        FloatMatrix wq = ly.dequantized();
        float[] out = new float[m * wq.rows()];
        if (m > 0) {
            Gemm.f32(FloatMatrix.wrap(a, m, k), wq, FloatMatrix.wrap(out, m, wq.rows()), backend);
        }
        return out;
    }

    /** The input as the GEMM sees it: {@code Q_a(x·diag(2^c))}. */
    static float[] quantizeInput(Layer ly, FloatMatrix x, int threads) {
        int m = x.rows();
        int k = x.cols();
        float[] a = x.toArray();
        Parallel.forRanges(Parallel.parts(Math.max(1, threads), m, (long) k * 8), m, (t, r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int j = 0; j < k; j++) {
                    a[r * k + j] = Math.scalb(a[r * k + j], ly.shifts()[j]);
                }
                FpFormatSearch.quantizeInPlace(a, r * k, (r + 1) * k, ly.actGrid(), ly.actScale());
            }
        });
        return a;
    }

    @Override
    public float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b) {
        throw new IllegalStateException("llm-fp4 keeps the attention GEMMs in FP32");
    }

    /**
     * Weight bits per element, a float32 maxval per output channel and the format (one byte), plus the input's pre-shifts
     * (one byte per input channel) and its static maxval (float32) and format (one byte).
     */
    @Override
    public long weightBytes(int layer, GemmRole role) {
        Layer ly = layers[layer][role.ordinal()];
        FloatMatrix w = ly.dequantized();
        long n = w.rows();
        long k = w.cols();
        int bits = ly.weight().format().bits();
        return (n * k * bits + 7) / 8 + 4 * n + 1 + k + 4 + 1;
    }

    /** The dequantized float32 weight plus the per-channel maxvals and shifts. */
    @Override
    public long residentWeightBytes(int layer, GemmRole role) {
        Layer ly = layers[layer][role.ordinal()];
        return PrecisionGemms.arrayBytes(ly.dequantized().data(), ly.weight().maxvals(), ly.shifts());
    }

    /** The weight as the GEMM sees it: {@code Q_w(W)·diag(2^−c)} (the shifts folded in; multiply by a shifted input). */
    @Override
    public FloatMatrix effectiveWeight(int layer, GemmRole role) {
        return layers[layer][role.ordinal()].dequantized();
    }

    /**
     * What the search chose for one linear: the weight and input formats (e.g. {@code e2m1}), the input's static maxval
     * (of the shifted input) and the largest and mean pre-shift.
     */
    public record Choice(String weightFormat, String inputFormat, double inputMaxval, int maxShift, double meanShift) {}

    public Choice choice(int layer, GemmRole role) {
        Layer ly = layers[layer][role.ordinal()];
        int max = 0;
        long sum = 0;
        for (int c : ly.shifts()) {
            max = Math.max(max, c);
            sum += c;
        }
        return new Choice(name(ly.weight().format()), name(ly.act().format()), ly.act().maxval(), max,
                ly.shifts().length == 0 ? 0 : (double) sum / ly.shifts().length);
    }

    private static String name(MiniFloat f) {
        return "e" + f.exponentBits() + "m" + f.mantissaBits();
    }

    /** The calibrated quantizers of one linear (for tests and reports). */
    Layer layer(int layer, GemmRole role) {
        return layers[layer][role.ordinal()];
    }
}
