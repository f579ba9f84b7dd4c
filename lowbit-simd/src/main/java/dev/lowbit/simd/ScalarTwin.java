package dev.lowbit.simd;

import dev.lowbit.tensor.FloatMatrix;

/**
 * Scalar twin of {@link F32Gemm}: the same k-blocks and the same fma order per output, in plain Java,
 * so the vector kernel must match it bit for bit (the integer paths' twin is the exact {@code long}
 * reference {@code ScalarGemm}).
 */
final class ScalarTwin {
    private ScalarTwin() {}

    /** out = a·bᵀ with F32Gemm's order: per k-block, acc = fma(a, b, acc) from 0; out = acc, then out + acc. */
    static void f32(FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        int k = a.cols();
        int[] cuts = Tiled.evenCuts(k, F32Gemm.KC_MAX, 1);
        int nb = cuts.length - 1;
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.rows(); j++) {
                if (nb == 0) {
                    out.set(i, j, 0f);
                }
                for (int blk = 0; blk < nb; blk++) {
                    float acc = 0f;
                    for (int p = cuts[blk]; p < cuts[blk + 1]; p++) {
                        acc = Math.fma(a.get(i, p), b.get(j, p), acc);
                    }
                    out.set(i, j, blk == 0 ? acc : out.get(i, j) + acc);
                }
            }
        }
    }
}
