package dev.lowbit.tensor;

import java.util.SplittableRandom;

/**
 * Seeded synthetic matrices that stand for the tensors IM-Unpack meets: Gaussian, heavy-tailed
 * (Student-t), and LLM-style activations whose few outlier channels (columns) are much larger than
 * the rest. Same seed ⇒ same bits.
 */
public final class RandomMatrices {
    private RandomMatrices() {}

    /** i.i.d. N(0, 1). */
    public static FloatMatrix gaussian(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        FloatMatrix m = FloatMatrix.zeros(rows, cols);
        float[] d = m.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) gaussian(rnd);
        }
        return m;
    }

    /** i.i.d. Student-t with {@code nu} degrees of freedom (heavy tails for small nu, e.g. 3). */
    public static FloatMatrix studentT(int rows, int cols, double nu, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        FloatMatrix m = FloatMatrix.zeros(rows, cols);
        float[] d = m.data();
        for (int i = 0; i < d.length; i++) {
            double chi2 = 0;
            int whole = (int) Math.floor(nu);
            for (int j = 0; j < whole; j++) {
                double z = gaussian(rnd);
                chi2 += z * z;
            }
            d[i] = (float) (gaussian(rnd) / Math.sqrt(chi2 / whole));
        }
        return m;
    }

    /**
     * N(0, 1) with {@code outliers} evenly spread columns multiplied by {@code factor}: the "outlier
     * feature" pattern of Transformer activations.
     */
    public static FloatMatrix outlierChannels(int rows, int cols, int outliers, double factor, long seed) {
        FloatMatrix m = gaussian(rows, cols, seed);
        for (int o = 0; o < Math.min(outliers, cols); o++) {
            int c = (int) ((long) o * cols / Math.max(1, outliers) + cols / (2L * Math.max(1, outliers)));
            for (int r = 0; r < rows; r++) {
                m.set(r, c, (float) (m.get(r, c) * factor));
            }
        }
        return m;
    }

    /** Integer matrix with entries uniform in [lo, hi]. */
    public static LongMatrix uniformLong(int rows, int cols, long lo, long hi, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        LongMatrix m = LongMatrix.zeros(rows, cols);
        long[] d = m.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = rnd.nextLong(lo, hi + 1);
        }
        return m;
    }

    private static double gaussian(SplittableRandom rnd) {
        // Box–Muller, one value per call (deterministic, independent of JDK nextGaussian changes)
        double u1 = 1.0 - rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
