package dev.lowbit.quant;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;

/**
 * The INT4 training paper's forward quantizer (Xi et al. 2023): a block-diagonal normalized Sylvester
 * Hadamard transform along the inner dimension spreads outliers, then LSQ-style symmetric INT4
 * ({@code q = clamp(rint(x/s), −8, 7)}, {@code s = 2·mean|x|/√7}) quantizes. Because H is orthogonal
 * and symmetric, {@code (X·H)(W·H)ᵀ = X·Wᵀ}, so the INT4 GEMM runs on the transformed operands directly.
 * The block size is searched per GEMM over powers of two dividing k, minimizing
 * ‖Q(X̂)·H − X‖·‖Q(Ŵ)·H − W‖ (the reference's dynamic mode).
 */
public final class HadamardQuantizer {
    public static final int QMIN = -8;
    public static final int QMAX = 7;

    private HadamardQuantizer() {}

    /** The Hadamard block of a GEMM with reduction length k: the largest power of two up to 64 dividing k. */
    public static int blockFor(int k) {
        int b = 64;
        while (b > 1 && k % b != 0) {
            b >>= 1;
        }
        return b;
    }

    /** A new matrix: each row's consecutive blocks of {@code block} entries times the normalized H_block (in float64). */
    public static FloatMatrix transformRows(FloatMatrix m, int block) {
        double[] d = Sqnr.toDouble(m);
        transformRowsInPlace(d, m.rows(), m.cols(), block);
        return FloatMatrix.ofDoubles(d, m.rows(), m.cols());
    }

    /** In place: each row's consecutive blocks of {@code block} entries times the normalized Hadamard H_block. */
    public static void transformRowsInPlace(double[] rowMajor, int rows, int cols, int block) {
        if (block < 1 || Integer.bitCount(block) != 1 || cols % block != 0) {
            throw new LowbitException("Hadamard block size must be a power of two dividing " + cols + ", got " + block);
        }
        double norm = 1 / Math.sqrt(block);
        for (int r = 0; r < rows; r++) {
            for (int b0 = r * cols; b0 < (r + 1) * cols; b0 += block) {
                // iterative fast Walsh–Hadamard transform (Sylvester order)
                for (int h = 1; h < block; h <<= 1) {
                    for (int i = b0; i < b0 + block; i += h << 1) {
                        for (int j = i; j < i + h; j++) {
                            double x = rowMajor[j];
                            double y = rowMajor[j + h];
                            rowMajor[j] = x + y;
                            rowMajor[j + h] = x - y;
                        }
                    }
                }
                for (int j = b0; j < b0 + block; j++) {
                    rowMajor[j] *= norm;
                }
            }
        }
    }

    /** LSQ initial step {@code 2·mean|x|/√7 + 1e-10}. */
    public static double lsqInitStep(double[] x) {
        double s = 0;
        for (double v : x) {
            s += Math.abs(v);
        }
        return 2 * (x.length == 0 ? 0 : s / x.length) / Math.sqrt(QMAX) + 1e-10;
    }

    /** Fake-quantizes {@code x} in place with step s: {@code clamp(rint(x/s), −8, 7)·s}. */
    public static void lsqRoundInPlace(double[] x, double s) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(QMIN, Math.min(QMAX, Math.rint(x[i] / s))) * s;
        }
    }

    /**
     * LSQ gradient of the loss with respect to the step s: {@code Σ_i g_i·∂(q_i·s)/∂s · 1/√(n·7)} with
     * the straight-through derivative {@code rint(x/s) − x/s} inside the range and the clamp bound outside.
     */
    public static double lsqStepGradient(double[] x, double[] upstream, double s) {
        double g = 1 / Math.sqrt(x.length * (double) QMAX);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double v = x[i] / s;
            double d = v < QMIN ? QMIN : v > QMAX ? QMAX : Math.rint(v) - v;
            sum += d * upstream[i];
        }
        return sum * g;
    }

    /** Result of quantizing one operand: its dequantized values in the original basis and the block size. */
    public record Operand(double[] dequantized, int block, double step) {}

    /** HQ of both GEMM operands with the searched block size; returns [lhs, rhs]. */
    public static Operand[] quantizePair(FloatMatrix x, FloatMatrix w) {
        int k = x.cols();
        double[] xd = Sqnr.toDouble(x);
        double[] wd = Sqnr.toDouble(w);
        Operand[] best = null;
        double bestErr = Double.POSITIVE_INFINITY;
        for (int block = 1; block <= Math.min(1024, Math.max(1, k)); block <<= 1) {
            if (k % block != 0) {
                continue;
            }
            Operand qx = quantize(xd, x.rows(), k, block);
            Operand qw = quantize(wd, w.rows(), k, block);
            double err = Math.sqrt(sq(qx.dequantized(), xd)) * Math.sqrt(sq(qw.dequantized(), wd));
            if (err < bestErr || best == null) {
                bestErr = err;
                best = new Operand[] {qx, qw};
            }
        }
        return best;
    }

    /** Transform, LSQ-quantize to INT4, transform back (H is its own inverse). */
    public static Operand quantize(double[] rowMajor, int rows, int cols, int block) {
        double[] t = rowMajor.clone();
        if (cols > 0) {
            transformRowsInPlace(t, rows, cols, block);
        }
        double s = lsqInitStep(t);
        lsqRoundInPlace(t, s);
        if (cols > 0) {
            transformRowsInPlace(t, rows, cols, block);
        }
        return new Operand(t, block, s);
    }

    private static double sq(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return s;
    }
}
