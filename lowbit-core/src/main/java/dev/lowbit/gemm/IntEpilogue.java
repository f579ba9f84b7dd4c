package dev.lowbit.gemm;

import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;

/**
 * What happens to the exact integer product C = a·bᵀ of {@link GemmBackend#gemmInt}: the last stage of the one GEMM road
 * (codes → {@link GemmPlan} → executor → backend). A backend may fuse any of these into its kernel's output tiles; the
 * result must equal {@link #finish}'s, bit for bit.
 *
 * <ul>
 *   <li>{@link ToLong}: {@code out = C} (int64).
 *   <li>{@link ToInt}: {@code out = C} (int32; the caller proved that every result fits, {@link Gemm#fitsInt32}).
 *   <li>{@link Fold}: the IM-Unpack fold, {@code out += fold(C_g)} over the column groups of the unpacked operands,
 *       exact int64 with overflow checks.
 *   <li>{@link Rescale}: the fold (none when {@code fold} is null) followed by the rescale
 *       {@code out[i,j] = (float) (C[i,j] / (lhsScale[i] · rhsScale[j]))} — the one rescale formula of every
 *       integer path, owned by the backend.
 * </ul>
 */
public sealed interface IntEpilogue {
    /** Rows of the product's output (m of the original GEMM, before unpacking). */
    int rows();

    /** Columns of the product's output (n of the original GEMM). */
    int cols();

    /** {@code out = C}. */
    record ToLong(LongMatrix out) implements IntEpilogue {
        public int rows() {
            return out.rows();
        }

        public int cols() {
            return out.cols();
        }
    }

    /** {@code out = C} into int32. */
    record ToInt(IntMatrix out) implements IntEpilogue {
        public int rows() {
            return out.rows();
        }

        public int cols() {
            return out.cols();
        }
    }

    /** {@code out += fold(C)}: out is the original m×n; the operands are the unpacked m'×k' and n'×k'. */
    record Fold(FoldMap fold, LongMatrix out) implements IntEpilogue {
        public int rows() {
            return out.rows();
        }

        public int cols() {
            return out.cols();
        }
    }

    /**
     * {@code out = (float) (fold(C) / (lhsScale[i] · rhsScale[j]))}; {@code fold} null: the operands are not unpacked
     * (C itself is rescaled).
     */
    record Rescale(FoldMap fold, double[] lhsScale, double[] rhsScale, FloatMatrix out) implements IntEpilogue {
        public int rows() {
            return out.rows();
        }

        public int cols() {
            return out.cols();
        }

        /** True when nothing is folded: the product lands on the output as it is (no fold, or a trivial one). */
        public boolean plain(int productRows, int productCols) {
            return fold == null || (fold.groups() == 1 && fold.groupExp()[0] == 0 && productRows == out.rows()
                    && productCols == out.cols() && fold.rowsAreIdentity(out.rows(), out.cols()));
        }
    }

    /** A plain exact product {@code out = a·bᵀ} into int64 — the one primitive {@link #finish} needs from a backend. */
    @FunctionalInterface
    interface Product {
        void into(IntMatrix a, IntMatrix b, LongMatrix out);
    }

    /**
     * The reference execution of any epilogue on top of a plain product: per column group for the fold, then the
     * rescale. Backends without a fused kernel call this with their own product.
     */
    static void finish(IntMatrix a, IntMatrix b, IntEpilogue e, Product product) {
        switch (e) {
            case ToLong t -> product.into(a, b, t.out());
            case ToInt t -> {
                LongMatrix wide = LongMatrix.zeros(t.rows(), t.cols());
                product.into(a, b, wide);
                for (int i = 0; i < t.rows(); i++) {
                    for (int j = 0; j < t.cols(); j++) {
                        t.out().set(i, j, Math.toIntExact(wide.get(i, j)));
                    }
                }
            }
            case Fold f -> fold(a, b, f.fold(), f.out(), product);
            case Rescale r -> {
                LongMatrix c = LongMatrix.zeros(r.rows(), r.cols());
                if (r.plain(a.rows(), b.rows())) {
                    product.into(a, b, c);
                } else {
                    fold(a, b, r.fold(), c, product);
                }
                for (int i = 0; i < r.rows(); i++) {
                    rescaleRow(c.data(), c.index(i, 0), r.lhsScale()[i], r.rhsScale(), r.out().data(), r.out().index(i, 0), r.cols());
                }
            }
        }
    }

    /** The fold of every column group's product into {@code out} (exact, overflow-checked). */
    private static void fold(IntMatrix a, IntMatrix b, FoldMap fold, LongMatrix out, Product product) {
        LongMatrix p = LongMatrix.zeros(a.rows(), b.rows());
        for (int g = 0; g < fold.groups(); g++) {
            int start = fold.colGroupStart()[g];
            int len = fold.colGroupStart()[g + 1] - start;
            if (len > 0) {
                product.into(a.view(0, start, a.rows(), len), b.view(0, start, b.rows(), len), p);
                fold.apply(p, g, out);
            }
        }
    }

    /** The rescale of one row: {@code d[at + j] = (float) (c[co + j] / (si · s[j]))} — the formula every backend reproduces. */
    static void rescaleRow(long[] c, int co, double si, double[] s, float[] d, int at, int n) {
        for (int j = 0; j < n; j++) {
            d[at + j] = (float) (c[co + j] / (si * s[j]));
        }
    }
}
