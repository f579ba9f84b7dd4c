package dev.lowbit.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The float recipes' GEMMs on tensor cores (issue 19 item 1): C = alpha·A·Bᵀ (row-major m×n float32) with A (m×k) and B
 * (n×k) given as FP8 E4M3 codes (one byte each) or BF16 codes (two bytes each, little-endian), through cuBLASLt with
 * float32 accumulation ({@code CUBLAS_COMPUTE_32F}) and float32 output. The products of two E4M3 (or BF16) values are
 * exact in float32; only the order and precision of the accumulation differ from lowbit's CPU emulation (tests bound it).
 * Layout as {@link Int8Gemm} (cuBLAS "TN", k and n zero-padded to multiples of 16); each call's device memory belongs
 * to one confined {@link Arena}.
 */
final class FloatGemm {
    private FloatGemm() {}

    /** C = alpha·A·Bᵀ on the GPU; {@code a}, {@code b} hold the codes row-major ({@code t.inBytes()} bytes per element). */
    static float[] product(Cuda cuda, Int8Gemm.Types t, byte[] a, byte[] b, int m, int n, int k, float alpha) {
        int w = t.inBytes();
        if ((long) a.length != (long) m * k * w || (long) b.length != (long) n * k * w) {
            throw new IllegalArgumentException("operand bytes " + a.length + ", " + b.length + " do not match " + m + "x" + n + "x" + k
                    + " of " + t.name());
        }
        float[] c = new float[m * n];
        if (m == 0 || n == 0 || k == 0) {
            return c;
        }
        int kp = Int8Gemm.roundUp(k, Int8Gemm.ALIGN);
        int np = Int8Gemm.roundUp(n, Int8Gemm.ALIGN);
        byte[] ah = pad(a, m, k, m, kp, w);
        byte[] bh = pad(b, n, k, np, kp, w);
        float[] ch = new float[np * m];
        synchronized (cuda) {
            try (Arena arena = Arena.ofConfined();
                 Int8Gemm.Plan plan = new Int8Gemm.Plan(cuda, t, np, m, kp, kp, np, alpha)) {
                MemorySegment ad = cuda.malloc(ah.length, arena);
                MemorySegment bd = cuda.malloc(bh.length, arena);
                MemorySegment cd = cuda.malloc((long) np * m * 4, arena);
                cuda.toDevice(ad, MemorySegment.ofArray(ah), ah.length);
                cuda.toDevice(bd, MemorySegment.ofArray(bh), bh.length);
                plan.run(bd, ad, cd);
                cuda.toHost(MemorySegment.ofArray(ch), cd, (long) np * m * 4);
            }
        }
        for (int i = 0; i < m; i++) {
            System.arraycopy(ch, i * np, c, i * n, n);
        }
        return c;
    }

    /** rows×cols elements of {@code w} bytes into a zeroed rowsPadded×colsPadded array. */
    private static byte[] pad(byte[] x, int rows, int cols, int rowsPadded, int colsPadded, int w) {
        byte[] d = new byte[Math.multiplyExact(Math.multiplyExact(rowsPadded, colsPadded), w)];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(x, i * cols * w, d, i * colsPadded * w, cols * w);
        }
        return d;
    }
}
