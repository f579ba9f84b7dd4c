package dev.lowbit.simd;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;

/**
 * The shape every native backend shares (oneDNN, CUDA): it owns exactly one thing — exact integer GEMMs of b-bit operands
 * up to a width it proved on this machine — and hands everything else to {@link SimdGemmBackend}:
 * <ul>
 *   <li>float32 GEMMs, so float32 results are the same bits whichever backend and thread count runs them (a native sgemm
 *       sums in its own order);
 *   <li>integer GEMMs wider than the proven width, and the wide bound ({@link #WIDE_BITS}).
 * </ul>
 * A subclass says whether its library is usable ({@link #nativeUnavailable}), how wide it is exact ({@link #nativeBits}),
 * what a multiply-add costs there, and runs the GEMM; priority, threads and delegation live here once.
 */
public abstract class NativeIntBackend implements GemmBackend {
    /** Below every usable backend: present for reports, never the default. */
    public static final int PRIORITY_UNAVAILABLE = -1;

    private final int threads;
    private final SimdGemmBackend simd;

    protected NativeIntBackend(int threads) {
        this.threads = Math.max(1, threads);
        this.simd = new SimdGemmBackend(this.threads);
    }

    /** Why the native library cannot run here (one line), or null; may load and self-test it on the first call. */
    protected abstract String nativeUnavailable();

    /** The widest operands (bits) proven exact natively here; 0 when unavailable. */
    protected abstract int nativeBits();

    /** The priority when available (unavailable: {@link #PRIORITY_UNAVAILABLE}). */
    protected abstract int availablePriority();

    /** Relative time per multiply-add of the native path (float32 GEMM of {@code simd} = 1), epilogue included. */
    protected abstract double nativeCostPerMac(int bits);

    /** The exact GEMM on the native library; called only when {@link #runsNative}(bits). */
    protected abstract void nativeGemmInt(IntMatrix a, IntMatrix b, int bits, IntEpilogue epilogue);

    /**
     * The byte form of {@link #nativeGemmInt(IntMatrix, IntMatrix, int, IntEpilogue)} (B held as int8); by default a
     * transient int32 copy of B.
     */
    protected void nativeGemmInt(IntMatrix a, ByteMatrix b, int bits, IntEpilogue epilogue) {
        nativeGemmInt(a, b.toIntMatrix(), bits, epilogue);
    }

    /** This backend, of the same kind, with {@code threads} worker threads. */
    protected abstract GemmBackend create(int threads);

    /** Whether a b-bit GEMM runs natively (rather than on {@code simd}). */
    public final boolean runsNative(int bits) {
        return bits != WIDE_BITS && bits <= nativeBits();
    }

    @Override
    public final String whyUnavailable() {
        return nativeUnavailable();
    }

    @Override
    public final int priority() {
        return nativeUnavailable() == null ? availablePriority() : PRIORITY_UNAVAILABLE;
    }

    @Override
    public final int threads() {
        return threads;
    }

    @Override
    public final GemmBackend withThreads(int threads) {
        return threads == this.threads ? this : create(threads);
    }

    @Override
    public final void gemmF32(GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        simd.gemmF32(layout, a, b, out);
    }

    @Override
    public final void gemmF32Batch(GemmLayout layout, FloatMatrix[] a, FloatMatrix[] b, FloatMatrix[] out) {
        simd.gemmF32Batch(layout, a, b, out);
    }

    @Override
    public final double intCostPerMac(int bits) {
        return runsNative(bits) ? nativeCostPerMac(bits) : simd.intCostPerMac(bits);
    }

    @Override
    public final void gemmInt(IntMatrix a, IntMatrix b, int bits, IntEpilogue epilogue) {
        if (runsNative(bits)) {
            nativeGemmInt(a, b, bits, epilogue);
        } else {
            simd.gemmInt(a, b, bits, epilogue);
        }
    }

    @Override
    public final void gemmInt(IntMatrix a, ByteMatrix b, int bits, IntEpilogue epilogue) {
        if (runsNative(bits)) {
            nativeGemmInt(a, b, bits, epilogue);
        } else {
            simd.gemmInt(a, b, bits, epilogue);
        }
    }

    @Override
    public String toString() {
        return name() + "(" + threads + " threads)";
    }
}
