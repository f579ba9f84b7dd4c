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

    /** {@code out = a·bᵀ} in float32 arithmetic. Results must not depend on the thread count. */
    void gemmF32(FloatMatrix a, FloatMatrix b, FloatMatrix out);

    /**
     * {@code out = a·bᵀ} exactly, for operands whose entries all satisfy {@code |x| < 2^(bits−1)}
     * (bits in 2..16; the caller guarantees the bound). The result must equal the {@code long}
     * reference bit for bit; a backend that cannot prove its accumulation exact for the given bits and
     * k must split k or fall back to a wider path.
     */
    void gemmInt(IntMatrix a, IntMatrix b, int bits, LongMatrix out);
}
