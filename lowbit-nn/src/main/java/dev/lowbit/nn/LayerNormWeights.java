package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.numeric.VectorMath;

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

    /**
     * Normalizes rows {@code [r0, r1)} of {@code x} (row-major, rows of width gamma.length) in place with
     * {@link VectorMath#layerNorm} (float32, 16-partial sums).
     */
    void applyInPlace(VectorMath vm, float[] x, int r0, int r1) {
        int w = gamma.length;
        for (int r = r0; r < r1; r++) {
            vm.layerNorm(x, r * w, gamma, beta, eps, x, r * w, null, 0, w);
        }
    }
}
