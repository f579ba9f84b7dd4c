package dev.lowbit.cuda;

import dev.lowbit.Flags;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.simd.NativeIntBackend;
import dev.lowbit.tensor.IntMatrix;

/**
 * The CUDA backend (name {@code cuda}, priority {@value #PRIORITY} — below {@code simd}, so it is never the default; choose
 * it with {@code -Dlowbit.backend=cuda}). It owns exactly one thing: exact integer GEMMs of b-bit operands with b ≤ 8, on
 * the GPU's int8 tensor cores through cuBLASLt ({@link Int8Gemm}: int8 × int8 → int32 in k-chunks that cannot overflow,
 * summed in int64 on the host). The epilogue (int64/int32 store, IM-Unpack fold, rescale) is {@link IntEpilogue#finish}
 * itself on the host, on the GPU's exact products, so every result is the reference's bit for bit. Everything else is
 * {@code simd}'s ({@link NativeIntBackend}): float32 GEMMs (the same bits as on the CPU, whichever backend runs them) and
 * integer GEMMs wider than 8 bits or at the wide bound.
 *
 * <p>Without a GPU or the libraries ({@link Cuda#unavailableReason}) every call delegates to {@code simd}, the priority is
 * −1, and choosing it by name fails with the one-line reason.
 */
public final class CudaGemmBackend extends NativeIntBackend {
    /** Below {@code simd} (10): a GPU only pays off for large GEMMs, and host transfers dominate small ones. */
    public static final int PRIORITY = 5;
    /** The widest operands that run on the GPU. */
    public static final int MAX_BITS = 8;

    /**
     * Relative time per multiply-add of the exact int8 path, host transfers, narrowing and epilogue included (float32 GEMM of
     * {@code simd} on the same host = 1). Measured by {@code CudaBench} on an H100 80GB HBM3 host with 16 cores
     * (docs/gpu.md, 2026-12-05): 0.245 — the whole call at 16384×4096×4096 took 230 ms against 0.36 ms for the GEMM on the
     * device, so it is bound by the host (narrowing int32 → int8, PCIe copies, int32 → int64 widening), not the tensor cores.
     */
    static final double INT8_COST_PER_MAC = 0.25;

    public CudaGemmBackend() {
        this(Flags.threads());
    }

    public CudaGemmBackend(int threads) {
        super(threads);
    }

    /** Whether a GPU with the CUDA libraries is usable here (discovers and self-tests on the first call). */
    public static boolean available() {
        return Cuda.available();
    }

    /** Why the backend only delegates, in one line; null when it is {@link #available}. */
    public static String unavailableReason() {
        return Cuda.unavailableReason();
    }

    /** One line for reports: the device and libraries, or the reason. */
    public static String describe() {
        return Cuda.get().map(c -> "cuda: " + c.describe() + ", exact int8 GEMM for b ≤ " + MAX_BITS)
                .orElseGet(() -> "cuda unavailable: " + Cuda.unavailableReason());
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    protected String nativeUnavailable() {
        return unavailableReason();
    }

    @Override
    protected int nativeBits() {
        return available() ? MAX_BITS : 0;
    }

    @Override
    protected int availablePriority() {
        return PRIORITY;
    }

    @Override
    protected double nativeCostPerMac(int bits) {
        return INT8_COST_PER_MAC;
    }

    @Override
    protected void nativeGemmInt(IntMatrix a, IntMatrix b, int bits, IntEpilogue epilogue) {
        Cuda cuda = Cuda.get().orElseThrow();
        IntEpilogue.finish(a, b, epilogue, (x, y, out) -> Int8Gemm.product(cuda, x, y, bits, out));
    }

    @Override
    protected GemmBackend create(int threads) {
        return new CudaGemmBackend(threads);
    }
}
