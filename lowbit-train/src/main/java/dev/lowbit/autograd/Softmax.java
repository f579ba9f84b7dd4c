package dev.lowbit.autograd;

/**
 * Numerically safe softmax in two passes over the row (Dukhan & Ablavatski's "two-pass" form): pass 1
 * finds the maximum, pass 2 sums exp(x − max) and writes the exponentials, then they are scaled.
 * Accumulation is in float64.
 */
public final class Softmax {
    private Softmax() {}

    /** Softmax of {@code x[off, off+n)} into {@code out[outOff…]}; returns log-sum-exp of the row. */
    public static double rowInto(float[] x, int off, int n, float[] out, int outOff) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, x[off + j]);
        }
        double sum = 0;
        double[] e = new double[n];
        for (int j = 0; j < n; j++) {
            e[j] = Math.exp(x[off + j] - max);
            sum += e[j];
        }
        for (int j = 0; j < n; j++) {
            out[outOff + j] = (float) (e[j] / sum);
        }
        return max + Math.log(sum);
    }
}
