package dev.lowbit.gemm;

import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;

/**
 * A GEMM implementation, registered in {@code META-INF/services/dev.lowbit.gemm.GemmBackend}: the narrow SPI of the one
 * GEMM road. A backend provides two primitives — a float32 GEMM in any {@link GemmLayout} and an exact integer GEMM whose
 * result goes to an {@link IntEpilogue} (store, fold, rescale) — plus its cost per multiply-add, from which the executor
 * ({@link FastImUnpack}) chooses the {@link GemmPlan}. Everything else (validation, quantization, unpacking, the plan) lives
 * in front of the SPI: callers go through {@link Gemm}, which validates shapes, operand bounds and aliasing, so a backend
 * may assume valid, non-aliased arguments (views with any stride included).
 *
 * <p>Contract (tested on every registered backend by {@code GemmBackendContract} in lowbit-core's test-jar): float32
 * results do not depend on the thread count; integer results equal the int64 reference bit for bit.
 */
public interface GemmBackend {
    /** Operand bound of a <b>wide</b> integer GEMM: int32 codes, nothing unpacked (see {@link #gemmInt}). */
    int WIDE_BITS = 32;

    /** Short unique name, e.g. {@code scalar}, {@code simd}, {@code onednn}. */
    String name();

    /** Used to pick the default: the highest priority wins. The scalar reference has 0. */
    default int priority() {
        return 0;
    }

    /**
     * Why this backend cannot run its own kernels here (a native library missing, a failed self-test), in one line; null
     * when it can. An unavailable backend still answers every call (by delegating) but is never chosen by default, and
     * choosing it by name is an error that prints this reason.
     */
    default String whyUnavailable() {
        return null;
    }

    /** Worker threads the backend's kernels use (callers size their own parallel work by it); 1 by default. */
    default int threads() {
        return 1;
    }

    /** This backend with {@code threads} worker threads (itself where the thread count is fixed). */
    default GemmBackend withThreads(int threads) {
        return this;
    }

    /** {@code out = op(a, b)} in float32 arithmetic ({@link GemmLayout}). Results must not depend on the thread count. */
    void gemmF32(GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out);

    /**
     * A batch of independent float32 GEMMs in one layout: {@code out[i] = op(a[i], b[i])}, each bit-identical to the single
     * call whatever the thread count (a backend may run the items in parallel). Outputs share storage with nothing.
     */
    default void gemmF32Batch(GemmLayout layout, FloatMatrix[] a, FloatMatrix[] b, FloatMatrix[] out) {
        for (int i = 0; i < out.length; i++) {
            gemmF32(layout, a[i], b[i], out[i]);
        }
    }

    /**
     * Relative time per multiply-add of {@link #gemmInt} at this operand bound (float32 GEMM = 1), including the
     * epilogue; the executor chooses b and the plan by it. The result never depends on the choice, only the cost does.
     * {@link Double#POSITIVE_INFINITY} where the backend has no kernel for the bound.
     *
     * @param bits 2..16, or {@link #WIDE_BITS}
     */
    double intCostPerMac(int bits);

    /**
     * The exact integer GEMM C = a·bᵀ (a m'×k, b n'×k), delivered to {@code epilogue} ({@link IntEpilogue#finish} is the
     * reference). The caller guarantees the operand bound:
     * <ul>
     *   <li>bits in 2..16: every entry {@code |x| < 2^(bits−1)};
     *   <li>{@link #WIDE_BITS}: any int32 entries with {@code Σ_c max_i |a[i,c]| · max_j |b[j,c]| < 2^53}, so every partial
     *       sum, in any order, is an integer that float64 holds exactly.
     * </ul>
     * A backend that cannot prove its accumulation exact for the bound and k must split k or take a wider path.
     */
    void gemmInt(IntMatrix a, IntMatrix b, int bits, IntEpilogue epilogue);

    /**
     * {@link #gemmInt(IntMatrix, IntMatrix, int, IntEpilogue)} with the right operand in packed int8 storage (a weight
     * quantized once and held as bytes, issue 17 item 2): the same contract, bits in 2..8. A backend whose kernels read
     * bytes overrides this (oneDNN passes the array to its s8 GEMM as it is; {@code simd} packs its panels from it); the
     * default widens {@code b} to a transient int32 copy for this call only.
     */
    default void gemmInt(IntMatrix a, ByteMatrix b, int bits, IntEpilogue epilogue) {
        gemmInt(a, b.toIntMatrix(), bits, epilogue);
    }
}
