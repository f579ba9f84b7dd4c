package dev.lowbit.numeric;

import java.util.Arrays;

/**
 * Softmax in two passes (Dukhan &amp; Ablavatski, arXiv 2001.04438): every e^x_i is carried as a
 * (mantissa, exponent) pair, {@code e^x = m · 2^n} with {@code n = rint(x · log2 e)} and
 * {@code m = e^(x − n·ln 2)} ∈ [2^−½, 2^½], so neither a separate max pass nor overflow is needed:
 *
 * <pre>
 *   pass 1: (M, N) = (0, −∞);  for each i:  N' = max(N, n_i);  M = M·2^(N − N') + m_i·2^(n_i − N');  N = N'
 *   pass 2: y_i = m_i · (1/M) · 2^(n_i − N)
 * </pre>
 * Arithmetic is in double and the outputs are rounded once to float; for float logits this is within a few
 * float ulps of the exact softmax. −∞ logits give 0; a NaN or +∞ logit, or a row of only −∞, gives NaN
 * everywhere (the limit is undefined), as torch.softmax does. Logits are clamped to ±2^30 before the range
 * reduction (beyond that {@code x − n·ln 2} would lose its accuracy; such rows are one-hot in float anyway unless
 * several logits exceed 2^30).
 */
public final class TwoPassSoftmax {
    private static final double LOG2E = 1.4426950408889634;
    private static final double LN2 = 0.6931471805599453;

    private TwoPassSoftmax() {}

    /** Softmax of {@code x[from..from+len)} into {@code out[outFrom..outFrom+len)}. */
    public static void softmax(float[] x, int from, int len, float[] out, int outFrom) {
        double mSum = 0;
        double nSum = Double.NEGATIVE_INFINITY;
        boolean bad = false;
        for (int i = 0; i < len; i++) {
            float v = x[from + i];
            if (v == Float.NEGATIVE_INFINITY) {
                continue;
            }
            if (!(v < Float.POSITIVE_INFINITY)) {
                bad = true;
                break;
            }
            double c = clamp(v);
            double n = Math.rint(c * LOG2E);
            double m = Math.exp(c - n * LN2);
            double nMax = Math.max(nSum, n);
            mSum = (nSum == Double.NEGATIVE_INFINITY ? 0 : Math.scalb(mSum, (int) (nSum - nMax))) + Math.scalb(m, (int) (n - nMax));
            nSum = nMax;
        }
        if (bad || nSum == Double.NEGATIVE_INFINITY) {
            Arrays.fill(out, outFrom, outFrom + len, Float.NaN);
            return;
        }
        double inv = 1 / mSum;
        for (int i = 0; i < len; i++) {
            float v = x[from + i];
            if (v == Float.NEGATIVE_INFINITY) {
                out[outFrom + i] = 0f;
                continue;
            }
            double c = clamp(v);
            double n = Math.rint(c * LOG2E);
            double m = Math.exp(c - n * LN2);
            out[outFrom + i] = (float) Math.scalb(m * inv, (int) Math.max(-2000, n - nSum));
        }
    }

    private static double clamp(double v) {
        return Math.max(-0x1p30, Math.min(0x1p30, v));
    }

    /** Row-wise softmax of a rows × cols array. */
    public static float[] softmaxRows(float[] x, int rows, int cols) {
        float[] out = new float[x.length];
        for (int r = 0; r < rows; r++) {
            softmax(x, r * cols, cols, out, r * cols);
        }
        return out;
    }

    /** The three-pass reference (max; Σ e^(x − max); normalize) in double, rounded once to float. */
    public static void threePass(float[] x, int from, int len, float[] out, int outFrom) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            max = Math.max(max, x[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < len; i++) {
            sum += Math.exp(x[from + i] - max);
        }
        for (int i = 0; i < len; i++) {
            out[outFrom + i] = (float) (Math.exp(x[from + i] - max) / sum);
        }
    }
}
