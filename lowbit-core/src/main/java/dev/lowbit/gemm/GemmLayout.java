package dev.lowbit.gemm;

import dev.lowbit.tensor.MatrixLayout;

/**
 * How the operands of a float32 GEMM {@code out (m×n)} are stored.
 *
 * <ul>
 *   <li>{@code NT}: {@code out = a·bᵀ}, a m×k, b n×k (the default of {@link GemmBackend#gemmF32});
 *   <li>{@code NN}: {@code out = a·b}, a m×k, b k×n;
 *   <li>{@code TN}: {@code out = aᵀ·b}, a k×m, b k×n.
 * </ul>
 */
public enum GemmLayout {
    NT, NN, TN;

    /** m of a product in this layout. */
    public int m(MatrixLayout a) {
        return this == TN ? a.cols() : a.rows();
    }

    /** k of a product in this layout (from a). */
    public int k(MatrixLayout a) {
        return this == TN ? a.rows() : a.cols();
    }

    /** k of a product in this layout (from b). */
    public int kOfB(MatrixLayout b) {
        return this == NT ? b.cols() : b.rows();
    }

    /** n of a product in this layout. */
    public int n(MatrixLayout b) {
        return this == NT ? b.rows() : b.cols();
    }
}
