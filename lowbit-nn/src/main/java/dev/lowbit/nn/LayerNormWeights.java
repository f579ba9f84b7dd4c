package dev.lowbit.nn;

import dev.lowbit.LowbitException;

/** {@code y = (x − mean(x)) / sqrt(var(x) + eps) · gamma + beta} over the last axis (biased variance). */
public record LayerNormWeights(float[] gamma, float[] beta, float eps) {
    public LayerNormWeights {
        if (gamma.length != beta.length) {
            throw new LowbitException("LayerNorm: gamma has " + gamma.length + " entries, beta " + beta.length);
        }
        if (!(eps > 0)) {
            throw new LowbitException("LayerNorm: epsilon must be > 0, got " + eps);
        }
    }

    void check(String what, int width) {
        if (gamma.length != width) {
            throw new LowbitException(what + ": LayerNorm has width " + gamma.length + ", expected " + width);
        }
    }

    /** Normalizes rows {@code [r0, r1)} of {@code x} (row-major, rows of width gamma.length) in place; statistics in float64. */
    void applyInPlace(float[] x, int r0, int r1) {
        int w = gamma.length;
        for (int r = r0; r < r1; r++) {
            int o = r * w;
            double mean = 0;
            for (int c = 0; c < w; c++) {
                mean += x[o + c];
            }
            mean /= w;
            double var = 0;
            for (int c = 0; c < w; c++) {
                double d = x[o + c] - mean;
                var += d * d;
            }
            var /= w;
            double inv = 1.0 / Math.sqrt(var + eps);
            for (int c = 0; c < w; c++) {
                x[o + c] = (float) ((x[o + c] - mean) * inv * gamma[c] + beta[c]);
            }
        }
    }
}
