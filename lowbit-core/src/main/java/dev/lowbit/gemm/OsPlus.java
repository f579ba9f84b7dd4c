package dev.lowbit.gemm;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Outlier Suppression+ (Wei et al., EMNLP 2023): channel-wise <i>shifting</i> and <i>scaling</i> of the input
 * {@code X} (tokens × k) of one or more linear layers {@code y = X·Wᵀ + b} that share it, computed on calibration
 * activations.
 *
 * <pre>
 *   shift  z_j = (max_i X_ij + min_i X_ij) / 2              (centres every channel: removes the asymmetry)
 *   scale  s_j = max(1, max_i |X_ij − z_j| / t)             (channels whose range exceeds t are squeezed to t)
 *   X̃ = (X − z) / s,   W̃ = W · diag(s),   b̃ = b + W·z    ⇒   X̃·W̃ᵀ + b̃ = X·Wᵀ + b   (exactly, in real arithmetic)
 * </pre>
 *
 * The outlier threshold t is searched per input (one t for all the linears that share it, as Q, K and V): among
 * {@code candidates} values on a geometric grid from the largest channel range (s = 1: shifting only) down to the
 * median channel range (so at most half the channels are scaled; a grid down to the smallest range found lower
 * calibration errors but worse held-out results on MiniLM, docs/reading-list.md), the one minimising the summed squared error of the quantized outputs
 * {@code Σ_W ‖Q(X̃)·Q(W̃)ᵀ − (X − z)·Wᵀ‖²} on the calibration rows (the bias terms cancel). Quantization is the
 * caller's ({@code quantizeInput}, {@code quantizeWeight}: fake quantization, value in value out), so the search
 * balances exactly the quantizers the layers will run; the products are float32 GEMMs on the backend, the errors
 * float64 sums. Deterministic: the same inputs give the same t on any thread count.
 *
 * <p>Where the transform lives in a model (folded into the preceding LayerNorm and the linear's weight and bias) is
 * the model's business ({@code nn.OsPlusFold}); {@link #foldWeight} and {@link #foldBias} do the linear's half.
 */
public final class OsPlus {
    /** Thresholds tried per input by default. */
    public static final int DEFAULT_CANDIDATES = 20;

    private OsPlus() {}

    /**
     * The transform of one linear input.
     *
     * @param shift z (length k)
     * @param scale s ≥ 1 (length k)
     * @param threshold the t chosen (the largest channel range when no channel is scaled)
     * @param error the summed squared output error at t
     * @param shiftOnlyError the error with shifting only (s = 1)
     * @param plainError the error without OS+ (z = 0, s = 1)
     * @param scaledChannels channels with s &gt; 1
     */
    public record Transform(float[] shift, float[] scale, double threshold, double error, double shiftOnlyError,
                            double plainError, int scaledChannels) {
        public int width() {
            return shift.length;
        }

        /** The identity transform of width k (z = 0, s = 1). */
        public static Transform identity(int k) {
            float[] one = new float[k];
            Arrays.fill(one, 1f);
            return new Transform(new float[k], one, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        }
    }

    /** z_j = (max_i x_ij + min_i x_ij) / 2 (0 for a matrix without rows). */
    public static float[] shift(FloatMatrix x) {
        int k = x.cols();
        float[] z = new float[k];
        if (x.rows() == 0) {
            return z;
        }
        float[] max = x.row(0);
        float[] min = max.clone();
        for (int i = 1; i < x.rows(); i++) {
            for (int j = 0; j < k; j++) {
                float v = x.get(i, j);
                max[j] = Math.max(max[j], v);
                min[j] = Math.min(min[j], v);
            }
        }
        for (int j = 0; j < k; j++) {
            z[j] = (float) (((double) max[j] + min[j]) / 2);
        }
        return z;
    }

    /** max_i |x_ij − z_j| per channel. */
    public static float[] ranges(FloatMatrix x, float[] z) {
        int k = x.cols();
        float[] r = new float[k];
        for (int i = 0; i < x.rows(); i++) {
            for (int j = 0; j < k; j++) {
                r[j] = Math.max(r[j], Math.abs(x.get(i, j) - z[j]));
            }
        }
        return r;
    }

    /** s_j = max(1, r_j / t). */
    public static float[] scales(float[] ranges, double t) {
        float[] s = new float[ranges.length];
        for (int j = 0; j < s.length; j++) {
            s[j] = (float) Math.max(1.0, ranges[j] / t);
        }
        return s;
    }

    /** (x − z) / s, a new contiguous matrix. */
    public static FloatMatrix transformInput(FloatMatrix x, float[] z, float[] s) {
        int m = x.rows();
        int k = x.cols();
        checkWidth(k, z, s);
        float[] out = new float[m * k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                out[i * k + j] = (x.get(i, j) - z[j]) / s[j];
            }
        }
        return FloatMatrix.wrap(out, m, k);
    }

    /** W · diag(s): column j of the n×k weight times s_j. */
    public static FloatMatrix foldWeight(FloatMatrix w, float[] s) {
        int n = w.rows();
        int k = w.cols();
        if (s.length != k) {
            throw new LowbitException("OS+: scale has " + s.length + " channels, the weight has " + k + " inputs");
        }
        float[] out = new float[n * k];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                out[i * k + j] = w.get(i, j) * s[j];
            }
        }
        return FloatMatrix.wrap(out, n, k);
    }

    /** b + W·z (the shift's effect on the output, added back to the bias; float64 sums, rounded once). */
    public static float[] foldBias(FloatMatrix w, float[] bias, float[] z) {
        int n = w.rows();
        int k = w.cols();
        if (z.length != k || (bias != null && bias.length != n)) {
            throw new LowbitException("OS+: shift/bias sizes do not match the " + w.shapeString() + " weight");
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            double acc = bias == null ? 0 : bias[i];
            for (int j = 0; j < k; j++) {
                acc += (double) w.get(i, j) * z[j];
            }
            out[i] = (float) acc;
        }
        return out;
    }

    /**
     * Searches the transform of the input {@code x} (calibration rows × k) shared by the linears {@code weights}
     * (each n_i × k); see the class comment.
     *
     * @param quantizeInput fake quantization of an input (same shape out)
     * @param quantizeWeight fake quantization of a weight (same shape out)
     * @param candidates thresholds tried (≥ 1; 1: shifting only)
     */
    public static Transform search(FloatMatrix x, List<FloatMatrix> weights, UnaryOperator<FloatMatrix> quantizeInput,
                                   UnaryOperator<FloatMatrix> quantizeWeight, int candidates, GemmBackend backend) {
        if (candidates < 1) {
            throw new LowbitException("OS+: candidates must be >= 1, got " + candidates);
        }
        int k = x.cols();
        for (FloatMatrix w : weights) {
            if (w.cols() != k) {
                throw new LowbitException("OS+: input has " + k + " channels, a weight is " + w.shapeString());
            }
        }
        FloatMatrix xc = x.isContiguous() ? x : x.copy();
        float[] z = shift(xc);
        float[] one = new float[k];
        Arrays.fill(one, 1f);
        float[] zero = new float[k];
        FloatMatrix centred = transformInput(xc, z, one);
        float[] r = ranges(xc, z);
        double rMax = 0;
        for (float v : r) {
            rMax = Math.max(rMax, v);
        }
        float[] sorted = r.clone();
        Arrays.sort(sorted);
        double rMed = sorted.length == 0 ? 0 : sorted[sorted.length / 2];
        // references: X·Wᵀ (plain) and (X − z)·Wᵀ (shifted; the same outputs up to the bias)
        FloatMatrix[] refPlain = new FloatMatrix[weights.size()];
        FloatMatrix[] refShifted = new FloatMatrix[weights.size()];
        for (int i = 0; i < weights.size(); i++) {
            FloatMatrix w = weights.get(i).isContiguous() ? weights.get(i) : weights.get(i).copy();
            refPlain[i] = Gemm.f32(xc, w, backend);
            refShifted[i] = Gemm.f32(centred, w, backend);
        }
        double plain = error(xc, zero, one, weights, refPlain, quantizeInput, quantizeWeight, backend);
        double bestErr = Double.POSITIVE_INFINITY;
        double bestT = rMax;
        double shiftOnly = Double.NaN;
        double lo = rMed > 0 && rMed < rMax ? rMed : rMax; // at most half the channels are scaled: outliers are a minority
        for (int c = 0; c < candidates; c++) {
            double t = c == 0 || rMax == 0 ? rMax : rMax * Math.pow(lo / rMax, (double) c / Math.max(1, candidates - 1));
            if (!(t > 0)) {
                t = Double.MIN_NORMAL; // all channels constant: every s = 1 below
            }
            float[] s = rMax == 0 ? one : scales(r, t);
            double e = error(xc, z, s, weights, refShifted, quantizeInput, quantizeWeight, backend);
            if (c == 0) {
                shiftOnly = e;
            }
            if (e < bestErr) { // strict: ties keep the larger t (fewer channels scaled)
                bestErr = e;
                bestT = t;
            }
            if (rMax == 0 || lo == rMax) {
                break;
            }
        }
        float[] s = rMax == 0 ? one : scales(r, bestT);
        int scaled = 0;
        for (float v : s) {
            scaled += v > 1f ? 1 : 0;
        }
        return new Transform(z, s, bestT, bestErr, shiftOnly, plain, scaled);
    }

    /** Σ_W ‖Q((x − z)/s)·Q(W·diag(s))ᵀ − ref_W‖² in float64. */
    private static double error(FloatMatrix x, float[] z, float[] s, List<FloatMatrix> weights, FloatMatrix[] refs,
                                UnaryOperator<FloatMatrix> quantizeInput, UnaryOperator<FloatMatrix> quantizeWeight,
                                GemmBackend backend) {
        FloatMatrix xq = contiguous(quantizeInput.apply(transformInput(x, z, s)));
        double err = 0;
        for (int i = 0; i < weights.size(); i++) {
            FloatMatrix wq = contiguous(quantizeWeight.apply(foldWeight(weights.get(i), s)));
            FloatMatrix y = Gemm.f32(xq, wq, backend);
            float[] yd = y.data();
            float[] rd = refs[i].data();
            for (int e = 0; e < yd.length; e++) {
                double d = (double) yd[e] - rd[e];
                err += d * d;
            }
        }
        return err;
    }

    private static FloatMatrix contiguous(FloatMatrix m) {
        return m.isContiguous() && m.data().length == m.rows() * m.cols() ? m : m.copy();
    }

    private static void checkWidth(int k, float[] z, float[] s) {
        if (z.length != k || s.length != k) {
            throw new LowbitException("OS+: shift/scale have " + z.length + "/" + s.length + " channels, the input has " + k);
        }
    }
}
