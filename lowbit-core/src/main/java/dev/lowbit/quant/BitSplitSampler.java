package dev.lowbit.quant;

import dev.lowbit.round.CounterRandom;

/**
 * The INT4 training paper's gradient quantizer (Xi et al. 2023): bit splitting plus leverage-score
 * sampling (LSS) of an output gradient dY (N×C).
 *
 * <pre>
 *   scale = 14·14 / (2·max|dY|),  v = dY·scale
 *   hi    = rint(clamp(v/14, −6, 6))                      first INT4 half
 *   lo    = rint(clamp(v − 14·hi + u, −6, 6)), u ~ U(−½, ½)  second half, stochastically rounded
 *   split = [14·hi/scale ; lo/scale]                       2N×C, rows i and N+i belong to sample i
 * </pre>
 *
 * LSS keeps on average N of the 2N rows: {@code p_i = min(1, c·r_i)} with Σp = N (water-filling), row i
 * kept with probability p_i and divided by p_i, so the estimator is unbiased; the halves are then added
 * back. Unlike the reference CUDA path (which keeps every non-zero row), this really samples. Random
 * numbers are counter-based (SplitMix64 of seed and element index), so results depend only on the seed.
 */
public final class BitSplitSampler {
    private BitSplitSampler() {}

    /** The 2N×C split of dY (row-major), dequantized. */
    public static double[] split(double[] dy, int n, int c, long seed) {
        double max = 0;
        for (double v : dy) {
            max = Math.max(max, Math.abs(v));
        }
        double[] out = new double[2 * n * c];
        if (max == 0) {
            return out;
        }
        double scale = 14.0 * 14.0 / (2 * max);
        for (int i = 0; i < n * c; i++) {
            double v = dy[i] * scale;
            double hi = Math.rint(Math.max(-6, Math.min(6, v / 14)));
            double u = uniform(seed, i) - 0.5;
            double lo = Math.rint(Math.max(-6, Math.min(6, v - 14 * hi + u)));
            out[i] = 14 * hi / scale;
            out[n * c + i] = lo / scale;
        }
        return out;
    }

    /**
     * Keep probabilities for 2N rows with scores r: {@code p_i = min(1, c·r_i)} with Σp = budget (or
     * every row with a non-zero score when there are no more than budget of them).
     */
    public static double[] keepProbabilities(double[] scores, double budget) {
        int rows = scores.length;
        double[] p = new double[rows];
        boolean[] capped = new boolean[rows];
        double remaining = budget;
        for (int iter = 0; iter < rows + 1; iter++) {
            double free = 0;
            for (int i = 0; i < rows; i++) {
                if (!capped[i]) {
                    free += scores[i];
                }
            }
            if (free == 0) {
                break;
            }
            double cst = remaining / free;
            boolean changed = false;
            for (int i = 0; i < rows; i++) {
                if (!capped[i]) {
                    p[i] = cst * scores[i];
                    if (p[i] >= 1) {
                        p[i] = 1;
                        capped[i] = true;
                        remaining -= 1;
                        changed = true;
                    }
                }
            }
            if (!changed || remaining <= 0) {
                break;
            }
        }
        return p;
    }

    /**
     * Leverage-score sampled estimate (N×C) of the split gradient's sum of halves. {@code rowWeights}
     * (length N, may be null) multiplies each sample's score, e.g. ‖X row‖ for the grad-weight GEMM.
     */
    public static double[] sample(double[] split, int n, int c, double[] rowWeights, long seed) {
        double[] scores = new double[2 * n];
        for (int r = 0; r < 2 * n; r++) {
            double s = 0;
            for (int j = 0; j < c; j++) {
                s += split[r * c + j] * split[r * c + j];
            }
            scores[r] = Math.sqrt(s) * (rowWeights == null ? 1 : rowWeights[r % Math.max(n, 1)]);
        }
        double[] p = keepProbabilities(scores, n);
        double[] out = new double[n * c];
        for (int r = 0; r < 2 * n; r++) {
            if (p[r] == 0 || uniform(seed ^ 0x5DEECE66DL, r) >= p[r]) {
                continue;
            }
            int dst = (r % n) * c;
            for (int j = 0; j < c; j++) {
                out[dst + j] += split[r * c + j] / p[r];
            }
        }
        return out;
    }

    /** Uniform in [0, 1) from SplitMix64 of (seed, index). */
    static double uniform(long seed, long index) {
        return CounterRandom.uniform(seed, index);
    }
}
