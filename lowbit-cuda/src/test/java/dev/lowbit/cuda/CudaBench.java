package dev.lowbit.cuda;

import dev.lowbit.format.Formats;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.simd.SimdGemmBackend;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * The exact int8 GEMM through cuBLASLt at m×n×k (default 16384×4096×4096, issue 19), three ways:
 * <ol>
 *   <li><b>device</b>: int8 operands resident on the GPU, one prepared cuBLASLt plan, timed with CUDA events (the number to
 *       hold against {@code torch._int_mm}, tools/gpu_torch_bench.py);
 *   <li><b>+copies</b>: the same plus the upload of both int8 operands and the download of the int32 result (pageable host
 *       arrays), wall clock;
 *   <li><b>backend</b>: the whole {@link CudaGemmBackend#gemmInt} call from int32 codes to the int64 result (narrowing,
 *       copies, GEMM, widening), wall clock;
 * </ol>
 * and the relative cost per multiply-add ({@code intCostPerMac}) of the backend call against {@code simd}'s float32 GEMM on
 * this host. Sampled results are checked against the int64 reference. Args: m n k [iterations].
 */
public final class CudaBench {
    private CudaBench() {}

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 16384;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        int iters = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        System.out.println(CudaGemmBackend.describe());
        Cuda cuda = Cuda.get().orElseThrow(() -> new IllegalStateException(Cuda.unavailableReason()));
        if (k % Int8Gemm.ALIGN != 0 || n % Int8Gemm.ALIGN != 0) {
            throw new IllegalArgumentException("bench shapes: n and k multiples of " + Int8Gemm.ALIGN);
        }
        double ops = 2.0 * m * n * k;
        SplittableRandom r = new SplittableRandom(42);
        byte[] ah = new byte[m * k];
        byte[] bh = new byte[n * k];
        for (int i = 0; i < ah.length; i++) {
            ah[i] = (byte) r.nextInt(-127, 128);
        }
        for (int i = 0; i < bh.length; i++) {
            bh[i] = (byte) r.nextInt(-127, 128);
        }
        int[] ch = new int[m * n];
        try (Arena arena = Arena.ofConfined();
             Int8Gemm.Plan plan = new Int8Gemm.Plan(cuda, n, m, k, k, n)) {
            MemorySegment ad = cuda.malloc((long) m * k, arena);
            MemorySegment bd = cuda.malloc((long) n * k, arena);
            MemorySegment cd = cuda.malloc((long) m * n * 4, arena);
            cuda.toDevice(ad, MemorySegment.ofArray(ah), ah.length);
            cuda.toDevice(bd, MemorySegment.ofArray(bh), bh.length);
            double[] t = time(cuda, () -> plan.run(bd, ad, cd), iters);
            System.out.printf("RESULT lowbit-cuda int8 exact (device-resident) %dx%dx%d: mean %.3f ms (%.1f TOPS), best %.3f ms "
                    + "(%.1f TOPS), back-to-back %.3f ms (%.1f TOPS)%n", m, n, k, t[0], ops / t[0] / 1e9, t[1], ops / t[1] / 1e9, t[2],
                    ops / t[2] / 1e9);
            cuda.toHost(MemorySegment.ofArray(ch), cd, (long) m * n * 4);
            check(ah, bh, ch, m, n, k, r);
            // + host copies of operands and result
            int reps = 5;
            long t0 = System.nanoTime();
            for (int it = 0; it < reps; it++) {
                cuda.toDevice(ad, MemorySegment.ofArray(ah), ah.length);
                cuda.toDevice(bd, MemorySegment.ofArray(bh), bh.length);
                plan.run(bd, ad, cd);
                cuda.toHost(MemorySegment.ofArray(ch), cd, (long) m * n * 4);
            }
            double copyMs = (System.nanoTime() - t0) / 1e6 / reps;
            System.out.printf("RESULT lowbit-cuda int8 exact + H2D int8 operands + D2H int32 result: %.2f ms (%.1f TOPS)%n", copyMs,
                    ops / copyMs / 1e9);
            check(ah, bh, ch, m, n, k, r);
        }
        ch = null;
        // the float recipes' GEMMs on the same shape: FP8 E4M3 and BF16 operands, float32 accumulation and output
        for (Int8Gemm.Types ft : new Int8Gemm.Types[] {Int8Gemm.Types.FP8_E4M3, Int8Gemm.Types.BF16}) {
            benchFloat(cuda, ft, m, n, k, iters, r);
        }
        // the whole backend call from int32 codes to int64
        IntMatrix a = IntMatrix.zeros(m, k);
        IntMatrix b = IntMatrix.zeros(n, k);
        for (int i = 0; i < ah.length; i++) {
            a.data()[i] = ah[i];
        }
        for (int i = 0; i < bh.length; i++) {
            b.data()[i] = bh[i];
        }
        GemmBackend be = new CudaGemmBackend();
        LongMatrix out = LongMatrix.zeros(m, n);
        be.gemmInt(a, b, 8, new IntEpilogue.ToLong(out)); // warm
        int reps = 3;
        long t0 = System.nanoTime();
        for (int it = 0; it < reps; it++) {
            be.gemmInt(a, b, 8, new IntEpilogue.ToLong(out));
        }
        double beMs = (System.nanoTime() - t0) / 1e6 / reps;
        System.out.printf("RESULT lowbit-cuda backend gemmInt(int32 codes -> int64, b=8): %.1f ms (%.1f TOPS effective)%n", beMs,
                ops / beMs / 1e9);
        for (int s = 0; s < 32; s++) {
            int i = r.nextInt(m);
            int j = r.nextInt(n);
            long ref = 0;
            for (int p = 0; p < k; p++) {
                ref += (long) ah[i * k + p] * bh[j * k + p];
            }
            if (out.get(i, j) != ref) {
                throw new AssertionError("backend wrong at " + i + "," + j);
            }
        }
        // relative cost per multiply-add: backend call vs simd float32 on this host (1024x1024x1024 for simd)
        int f = 1024;
        SimdGemmBackend simd = new SimdGemmBackend();
        FloatMatrix fa = RandomMatrices.gaussian(f, f, 1);
        FloatMatrix fb = RandomMatrices.gaussian(f, f, 2);
        FloatMatrix fc = FloatMatrix.zeros(f, f);
        simd.gemmF32(GemmLayout.NT, fa, fb, fc);
        t0 = System.nanoTime();
        for (int it = 0; it < 3; it++) {
            simd.gemmF32(GemmLayout.NT, fa, fb, fc);
        }
        double simdNsPerMac = (System.nanoTime() - t0) / 3.0 / ((double) f * f * f);
        double cudaNsPerMac = beMs * 1e6 / ((double) m * n * k);
        System.out.printf("RESULT simd f32 %d^3 on %d threads: %.4f ns/MAC; cuda backend %.6f ns/MAC; intCostPerMac = %.4f%n", f,
                simd.threads(), simdNsPerMac, cudaNsPerMac, cudaNsPerMac / simdNsPerMac);
    }

    /** Mean, best (per-call CUDA events) and back-to-back (one event pair around all calls) milliseconds of {@code call}. */
    static double[] time(Cuda cuda, Runnable call, int iters) {
        MemorySegment e0 = cuda.eventCreate();
        MemorySegment e1 = cuda.eventCreate();
        for (int w = 0; w < 10; w++) {
            call.run();
        }
        cuda.synchronize();
        double best = Double.MAX_VALUE;
        double sum = 0;
        for (int it = 0; it < iters; it++) {
            cuda.record(e0);
            call.run();
            cuda.record(e1);
            double ms = cuda.elapsedMs(e0, e1);
            best = Math.min(best, ms);
            sum += ms;
        }
        cuda.record(e0);
        for (int it = 0; it < iters; it++) {
            call.run();
        }
        cuda.record(e1);
        return new double[] {sum / iters, best, cuda.elapsedMs(e0, e1) / iters};
    }

    /** A device-resident FP8 or BF16 GEMM of the bench shape (random finite codes), and a sampled check of its result. */
    private static void benchFloat(Cuda cuda, Int8Gemm.Types t, int m, int n, int k, int iters, SplittableRandom r) {
        int w = t.inBytes();
        byte[] ah = randomCodes(t, (long) m * k, r);
        byte[] bh = randomCodes(t, (long) n * k, r);
        double ops = 2.0 * m * n * k;
        float[] ch = new float[m * n];
        try (Arena arena = Arena.ofConfined();
             Int8Gemm.Plan plan = new Int8Gemm.Plan(cuda, t, n, m, k, k, n, 1f)) {
            MemorySegment ad = cuda.malloc(ah.length, arena);
            MemorySegment bd = cuda.malloc(bh.length, arena);
            MemorySegment cd = cuda.malloc((long) m * n * 4, arena);
            cuda.toDevice(ad, MemorySegment.ofArray(ah), ah.length);
            cuda.toDevice(bd, MemorySegment.ofArray(bh), bh.length);
            double[] tm = time(cuda, () -> plan.run(bd, ad, cd), iters);
            System.out.printf("RESULT lowbit-cuda %s -> fp32 (device-resident) %dx%dx%d: mean %.3f ms (%.1f TFLOP/s), best %.3f ms "
                    + "(%.1f TFLOP/s), back-to-back %.3f ms (%.1f TFLOP/s)%n", t.name(), m, n, k, tm[0], ops / tm[0] / 1e9, tm[1],
                    ops / tm[1] / 1e9, tm[2], ops / tm[2] / 1e9);
            cuda.toHost(MemorySegment.ofArray(ch), cd, (long) m * n * 4);
        }
        MiniFloat f = t == Int8Gemm.Types.BF16 ? Formats.BF16 : Formats.E4M3;
        for (int s = 0; s < 16; s++) {
            int i = r.nextInt(m);
            int j = r.nextInt(n);
            double ref = 0;
            double abs = 0;
            for (int p = 0; p < k; p++) {
                double prod = f.decode(code(ah, (long) i * k + p, w)) * f.decode(code(bh, (long) j * k + p, w));
                ref += prod;
                abs += Math.abs(prod);
            }
            if (Math.abs(ch[i * n + j] - ref) > k * 0x1p-13 * abs + 1e-6) {
                throw new AssertionError(t.name() + " bench result wrong at " + i + "," + j + ": " + ch[i * n + j] + " vs " + ref);
            }
        }
    }

    private static int code(byte[] x, long at, int w) {
        return w == 1 ? x[(int) at] & 0xFF : (x[(int) (2 * at)] & 0xFF) | (x[(int) (2 * at + 1)] & 0xFF) << 8;
    }

    /** Random finite codes: E4M3 bytes other than its NaNs (0x7F, 0xFF); BF16 codes of floats in ±[2^−8, 2^8). */
    private static byte[] randomCodes(Int8Gemm.Types t, long count, SplittableRandom r) {
        byte[] b = new byte[Math.toIntExact(count * t.inBytes())];
        for (int i = 0; i < count; i++) {
            if (t.inBytes() == 1) {
                int c = r.nextInt(256);
                b[i] = (byte) ((c & 0x7F) == 0x7F ? c - 1 : c);
            } else {
                float v = (r.nextBoolean() ? 1 : -1) * Math.scalb(1 + (float) r.nextDouble(), r.nextInt(-8, 8));
                int c = Float.floatToRawIntBits(v) >>> 16;
                b[2 * i] = (byte) c;
                b[2 * i + 1] = (byte) (c >>> 8);
            }
        }
        return b;
    }

    private static void check(byte[] ah, byte[] bh, int[] ch, int m, int n, int k, SplittableRandom r) {
        for (int s = 0; s < 64; s++) {
            int i = r.nextInt(m);
            int j = r.nextInt(n);
            long ref = 0;
            for (int p = 0; p < k; p++) {
                ref += (long) ah[i * k + p] * bh[j * k + p];
            }
            if (ch[i * n + j] != ref) {
                throw new AssertionError("cuBLASLt result wrong at " + i + "," + j + ": " + ch[i * n + j] + " != " + ref);
            }
        }
    }
}
