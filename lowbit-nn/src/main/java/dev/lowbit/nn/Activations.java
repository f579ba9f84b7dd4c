package dev.lowbit.nn;

/** Element-wise functions of the encoder, computed in float64 and rounded once to float32. */
public final class Activations {
    private Activations() {}

    /**
     * erfc(x) by the Chebyshev-fitted exponential of Numerical Recipes §6.2 (fractional error below
     * 1.2e-7 for every x), so that {@code 1 + erf(x) = erfc(−x)} keeps its relative accuracy for x ≪ 0.
     */
    public static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2.0 - ans;
    }

    public static double erf(double x) {
        return 1.0 - erfc(x);
    }

    /** The exact (erf) GELU: {@code x/2 · (1 + erf(x/√2))}. */
    public static float gelu(float x) {
        return (float) (0.5 * x * erfc(-x / Math.sqrt(2.0)));
    }

    /** GELU of every entry of {@code x[from..to)} in place. */
    public static void geluInPlace(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            x[i] = gelu(x[i]);
        }
    }

    /** Softmax of row {@code [off, off+n)} in place (max-subtracted, sum in float64). */
    public static void softmaxInPlace(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double e = Math.exp(x[off + i] - max);
            x[off + i] = (float) e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            x[off + i] *= inv;
        }
    }
}
