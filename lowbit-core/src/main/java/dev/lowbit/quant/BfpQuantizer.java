package dev.lowbit.quant;

/**
 * Block floating point with a shared exponent per group of {@code group} consecutive values along a row,
 * as used by FAST-style training: per group {@code e = floor(log2 max|x|)}, {@code step = 2^(e − p + 1)}
 * for p magnitude bits plus sign, {@code q = clamp(round(x/step), ±(2^p − 1))}, value {@code q·step}.
 * Rounding is to nearest even, or stochastic ({@code floor(t + U[0,1))}, counter-based on seed and index).
 */
public final class BfpQuantizer {
    private BfpQuantizer() {}

    public static double[] round(double[] rowMajor, int rows, int cols, int mantissaBits, int group, boolean stochastic, long seed) {
        double[] out = new double[rowMajor.length];
        double qmax = (1L << mantissaBits) - 1;
        for (int r = 0; r < rows; r++) {
            for (int g0 = 0; g0 < cols; g0 += group) {
                int g1 = Math.min(cols, g0 + group);
                double max = 0;
                for (int c = g0; c < g1; c++) {
                    max = Math.max(max, Math.abs(rowMajor[r * cols + c]));
                }
                if (max == 0) {
                    continue;
                }
                int e = Math.getExponent(max);
                double step = Math.scalb(1.0, e - mantissaBits + 1);
                for (int c = g0; c < g1; c++) {
                    int i = r * cols + c;
                    double t = rowMajor[i] / step;
                    double q = stochastic ? Math.floor(t + BitSplitSampler.uniform(seed, i)) : Math.rint(t);
                    out[i] = Math.max(-qmax, Math.min(qmax, q)) * step;
                }
            }
        }
        return out;
    }
}
