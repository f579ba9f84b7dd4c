package dev.lowbit.gemm;

import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;

/**
 * A GEMM implementation, registered in {@code META-INF/services/dev.lowbit.gemm.GemmBackend}. All
 * products are NT: {@code out = a·bᵀ} with a m×k, b n×k, out m×n. Callers go through {@link Gemm},
 * which validates shapes, operand bounds and aliasing before a backend sees the arguments; a backend may
 * therefore assume valid, non-aliased arguments (views with any stride included).
 */
public interface GemmBackend {
    /** Short unique name, e.g. {@code scalar}, {@code simd}. */
    String name();

    /** Used to pick the default: the highest priority wins. The scalar reference has 0. */
    default int priority() {
        return 0;
    }

    /** Worker threads the backend's kernels use (callers size their own parallel work by it); 1 by default. */
    default int threads() {
        return 1;
    }

    /** This backend with {@code threads} worker threads (itself where the thread count is fixed). */
    default GemmBackend withThreads(int threads) {
        return this;
    }

    /** {@code out = a·bᵀ} in float32 arithmetic. Results must not depend on the thread count. */
    void gemmF32(FloatMatrix a, FloatMatrix b, FloatMatrix out);

    /**
     * {@code out = a·bᵀ} exactly, for operands whose entries all satisfy {@code |x| < 2^(bits−1)}
     * (bits in 2..16; the caller guarantees the bound). The result must equal the {@code long}
     * reference bit for bit; a backend that cannot prove its accumulation exact for the given bits and
     * k must split k or fall back to a wider path.
     */
    void gemmInt(IntMatrix a, IntMatrix b, int bits, LongMatrix out);

    /**
     * {@code out = a·b} in float32 arithmetic with b stored k×n (the NN layout). The default transposes b
     * and calls {@link #gemmF32}.
     */
    default void gemmF32Nn(FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        FloatMatrix bt = FloatMatrix.zeros(b.cols(), b.rows());
        for (int p = 0; p < b.rows(); p++) {
            for (int j = 0; j < b.cols(); j++) {
                bt.set(j, p, b.get(p, j));
            }
        }
        gemmF32(a, bt, out);
    }

    /**
     * {@code out = aᵀ·b} in float32 arithmetic with a stored k×m and b stored k×n (the TN layout). The
     * default transposes a and calls {@link #gemmF32Nn}.
     */
    default void gemmF32Tn(FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        FloatMatrix at = FloatMatrix.zeros(a.cols(), a.rows());
        for (int p = 0; p < a.rows(); p++) {
            for (int i = 0; i < a.cols(); i++) {
                at.set(i, p, a.get(p, i));
            }
        }
        gemmF32Nn(at, b, out);
    }

    /**
     * A batch of independent float32 GEMMs in one layout: {@code out[i] = op(a[i], b[i])}. Each result must
     * be bit-identical to the single call in that layout, whatever the thread count (a backend may run the
     * items in parallel). Outputs must not share storage with each other or with any input. The default
     * runs them one after the other.
     */
    default void gemmF32Batch(GemmLayout layout, FloatMatrix[] a, FloatMatrix[] b, FloatMatrix[] out) {
        for (int i = 0; i < out.length; i++) {
            switch (layout) {
                case NT -> gemmF32(a[i], b[i], out[i]);
                case NN -> gemmF32Nn(a[i], b[i], out[i]);
                case TN -> gemmF32Tn(a[i], b[i], out[i]);
            }
        }
    }

    /**
     * Relative time per multiply-add of an exact b-bit integer GEMM (float32 GEMM = 1), used to choose b
     * per GEMM ({@code FastImUnpack}): the result never depends on b, only the cost does. The default
     * (scalar) is 1 for every b.
     */
    default double intCostPerMac(int bits) {
        return 1.0;
    }

    /**
     * {@code out = a·bᵀ} exactly into int32, for b-bit operands whose exact result provably fits:
     * the caller guarantees {@code k·(2^(b−1) − 1)² < 2^31} (see {@link Gemm#fitsInt32}). The default
     * computes the int64 result and narrows it.
     */
    default void gemmInt(IntMatrix a, IntMatrix b, int bits, IntMatrix out) {
        LongMatrix wide = LongMatrix.zeros(out.rows(), out.cols());
        gemmInt(a, b, bits, wide);
        for (int i = 0; i < out.rows(); i++) {
            for (int j = 0; j < out.cols(); j++) {
                out.set(i, j, Math.toIntExact(wide.get(i, j)));
            }
        }
    }

    /**
     * The IM-Unpack fold fused with the low-bit GEMM: for each column group g of {@code fold},
     * {@code out[fold.lhsRow[r], fold.rhsRow[t]] += (a_g·b_gᵀ)[r,t] · 2^fold.shift(r, t, groupExp[g])}, exact in int64 (an overflow is a {@link dev.lowbit.LowbitException},
     * never a wrap). {@code out} is m×n of the original GEMM and is added to, not overwritten. The default
     * computes each group's m'×n' product with {@link #gemmInt} and applies {@link FoldMap#apply}.
     */
    default void gemmIntFold(IntMatrix a, IntMatrix b, int bits, FoldMap fold, LongMatrix out) {
        LongMatrix p = LongMatrix.zeros(a.rows(), b.rows());
        for (int g = 0; g < fold.groups(); g++) {
            int start = fold.colGroupStart()[g];
            int len = fold.colGroupStart()[g + 1] - start;
            if (len > 0) {
                gemmInt(a.view(0, start, a.rows(), len), b.view(0, start, b.rows(), len), bits, p);
                fold.apply(p, g, out);
            }
        }
    }

    /**
     * Cost of one multiply-add of {@link #gemmWideScaled} in float32 multiply-adds (as {@link #intCostPerMac});
     * infinite where the backend has no fast kernel for it (the default), so cost-based callers never pick it.
     */
    default double wideCostPerMac() {
        return Double.POSITIVE_INFINITY;
    }

    /**
     * {@code out[i,j] = (float) (C[i,j] / (lhsScale[i] · rhsScale[j]))} with C = a·bᵀ the exact integer GEMM of int32
     * operands (a m×k, b n×k, nothing unpacked). The caller guarantees {@code Σ_c max_i |a[i,c]| · max_j |b[j,c]| < 2^53}:
     * every partial sum, in any order, is then an integer that float64 holds exactly. The default is the int64 reference.
     */
    default void gemmWideScaled(IntMatrix a, IntMatrix b, double[] lhsScale, double[] rhsScale, FloatMatrix out) {
        for (int i = 0; i < out.rows(); i++) {
            for (int j = 0; j < out.cols(); j++) {
                long c = 0;
                for (int p = 0; p < a.cols(); p++) {
                    c += (long) a.get(i, p) * b.get(j, p);
                }
                out.set(i, j, (float) (c / (lhsScale[i] * rhsScale[j])));
            }
        }
    }

    /**
     * The fold followed by the rescale: {@code out[i,j] = (float) (C[i,j] / (lhsScale[i] · rhsScale[j]))}
     * with C the exact int64 fold of {@link #gemmIntFold} into a zero m×n matrix (out is m×n). The
     * default computes C and then rescales; a backend may finish each output tile in its epilogue.
     */
    default void gemmIntFoldScaled(IntMatrix a, IntMatrix b, int bits, FoldMap fold, double[] lhsScale, double[] rhsScale,
                                   FloatMatrix out) {
        LongMatrix c = LongMatrix.zeros(out.rows(), out.cols());
        gemmIntFold(a, b, bits, fold, c);
        for (int i = 0; i < out.rows(); i++) {
            for (int j = 0; j < out.cols(); j++) {
                out.set(i, j, (float) (c.get(i, j) / (lhsScale[i] * rhsScale[j])));
            }
        }
    }
}
