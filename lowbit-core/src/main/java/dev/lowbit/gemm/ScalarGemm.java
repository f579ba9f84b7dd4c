package dev.lowbit.gemm;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;

/**
 * Scalar reference GEMMs (NT). {@link #exact} is the ground truth that every integer and unpack path is
 * compared with: int64 arithmetic with overflow detection, never a wrap.
 */
public final class ScalarGemm {
    private ScalarGemm() {}

    /** Exact {@code a·bᵀ} of integer codes; an int64 overflow anywhere is a {@link LowbitException}. */
    public static LongMatrix exact(LongMatrix a, LongMatrix b) {
        Gemm.checkShapes(a, b);
        LongMatrix out = LongMatrix.zeros(a.rows(), b.rows());
        try {
            for (int i = 0; i < a.rows(); i++) {
                for (int j = 0; j < b.rows(); j++) {
                    long acc = 0;
                    for (int p = 0; p < a.cols(); p++) {
                        acc = Math.addExact(acc, Math.multiplyExact(a.get(i, p), b.get(j, p)));
                    }
                    out.set(i, j, acc);
                }
            }
        } catch (ArithmeticException e) {
            throw new LowbitException("int64 overflow in the exact GEMM of the codes: the result does not fit in 64 bits");
        }
        return out;
    }

    /** {@code out = a·bᵀ} for int operands, accumulated in long (exact for any k below 2^31 and |x| &lt; 2^15). */
    public static void gemmInt(IntMatrix a, IntMatrix b, LongMatrix out) {
        int k = a.cols();
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.rows(); j++) {
                long acc = 0;
                int ia = a.index(i, 0);
                int ib = b.index(j, 0);
                int[] ad = a.data();
                int[] bd = b.data();
                for (int p = 0; p < k; p++) {
                    acc += (long) ad[ia + p] * bd[ib + p];
                }
                out.set(i, j, acc);
            }
        }
    }

    /** {@code out = a·bᵀ} in float32, sequential k order; out must not share storage with a or b. */
    public static void gemmF32(FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        Gemm.checkOut(a, b, out);
        int k = a.cols();
        float[] ad = a.data();
        float[] bd = b.data();
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.rows(); j++) {
                float acc = 0;
                int ia = a.index(i, 0);
                int ib = b.index(j, 0);
                for (int p = 0; p < k; p++) {
                    acc += ad[ia + p] * bd[ib + p];
                }
                out.set(i, j, acc);
            }
        }
    }

    /** {@code a·bᵀ} in float64 for row-major float64 arrays a (m×k) and b (n×k); row-major m×n result. */
    public static double[] f64(double[] a, double[] b, int m, int n, int k) {
        if (a.length != (long) m * k || b.length != (long) n * k) {
            throw new IllegalArgumentException("f64: a has " + a.length + " values for " + m + "×" + k + ", b " + b.length + " for " + n + "×" + k);
        }
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[i * k + p] * b[j * k + p];
                }
                y[i * n + j] = s;
            }
        }
        return y;
    }

    /** {@code a·bᵀ} in float64 (row-major m×n array): the accuracy reference for lossy paths. */
    public static double[] f64(FloatMatrix a, FloatMatrix b) {
        Gemm.checkShapes(a, b);
        int m = a.rows();
        int n = b.rows();
        int k = a.cols();
        double[] out = new double[m * n];
        double[] brow = new double[k];
        double[][] arows = new double[m][k];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                arows[i][p] = a.get(i, p);
            }
        }
        for (int j = 0; j < n; j++) {
            for (int p = 0; p < k; p++) {
                brow[p] = b.get(j, p);
            }
            for (int i = 0; i < m; i++) {
                double acc = 0;
                double[] ar = arows[i];
                for (int p = 0; p < k; p++) {
                    acc += ar[p] * brow[p];
                }
                out[i * n + j] = acc;
            }
        }
        return out;
    }
}
