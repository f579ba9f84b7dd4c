package dev.lowbit.onednn;

import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.simd.SimdGemmBackend;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The measurement behind {@link OneDnnGemmBackend#intCostPerMac} (a main, not a test): an NT GEMM, by default
 * 4096×1536×384, at 1 and 2 threads — oneDNN's s8s8s32 and u8s8s32 with heap arrays (critical downcalls) and native
 * segments, oneDNN's sgemm, simd's float32 GEMM, and the backend end to end (narrowing and epilogue included) against simd's
 * exact integer paths. GOPS = 2·m·n·k / time; cost/MAC = time / simd float32 GEMM's time.
 *
 * <pre>
 * ./mvnw -q -pl lowbit-onednn dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp lowbit-onednn/target/classes:lowbit-onednn/target/test-classes:$(cat /tmp/cp.txt) dev.lowbit.onednn.OneDnnBench [m n k]
 * </pre>
 */
public final class OneDnnBench {
    private OneDnnBench() {}

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 4096;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1536;
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 384;
        int[] threadCounts = args.length > 3 ? new int[] {Integer.parseInt(args[3])} : new int[] {1, 2};
        OneDnn dnn = OneDnn.get().orElseThrow(() -> new IllegalStateException(OneDnn.unavailableReason()));
        System.out.println(OneDnnGemmBackend.describe());
        System.out.printf(Locale.ROOT, "%dx%dx%d NT, GOPS = 2mnk/s, best of " + RUNS + "%n", m, n, k);
        SplittableRandom r = new SplittableRandom(1);
        IntMatrix ai = IntMatrix.zeros(m, k);
        IntMatrix bi = IntMatrix.zeros(n, k);
        fill(ai, 127, r);
        fill(bi, 127, r);
        IntMatrix a4 = IntMatrix.zeros(m, k);
        IntMatrix b4 = IntMatrix.zeros(n, k);
        fill(a4, 7, r);
        fill(b4, 7, r);
        byte[] a = new byte[m * k];
        byte[] au = new byte[m * k];
        byte[] b = new byte[n * k];
        float[] fa = new float[m * k];
        float[] fb = new float[n * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) ai.data()[i];
            au[i] = (byte) (ai.data()[i] + 128);
            fa[i] = ai.data()[i];
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bi.data()[i];
            fb[i] = bi.data()[i];
        }
        int[] c = new int[m * n];
        float[] fc = new float[m * n];
        FloatMatrix fam = FloatMatrix.wrap(fa, m, k);
        FloatMatrix fbm = FloatMatrix.wrap(fb, n, k);
        FloatMatrix fout = FloatMatrix.zeros(m, n);
        LongMatrix lout = LongMatrix.zeros(m, n);
        IntMatrix iout = IntMatrix.zeros(m, n);
        double[] sa = new double[m];
        double[] sb = new double[n];
        java.util.Arrays.fill(sa, 0.37);
        java.util.Arrays.fill(sb, 1.9);
        double ops = 2.0 * m * n * k;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment na = arena.allocate(a.length, 64);
            MemorySegment nau = arena.allocate(a.length, 64);
            MemorySegment nb = arena.allocate(b.length, 64);
            MemorySegment nc = arena.allocate(4L * m * n, 64);
            MemorySegment nfa = arena.allocate(4L * fa.length, 64);
            MemorySegment nfb = arena.allocate(4L * fb.length, 64);
            MemorySegment nfc = arena.allocate(4L * m * n, 64);
            MemorySegment.copy(MemorySegment.ofArray(a), 0, na, 0, a.length);
            MemorySegment.copy(MemorySegment.ofArray(au), 0, nau, 0, a.length);
            MemorySegment.copy(MemorySegment.ofArray(b), 0, nb, 0, b.length);
            MemorySegment.copy(MemorySegment.ofArray(fa), 0, nfa, 0, 4L * fa.length);
            MemorySegment.copy(MemorySegment.ofArray(fb), 0, nfb, 0, 4L * fb.length);
            for (int t : threadCounts) {
                SimdGemmBackend simd = new SimdGemmBackend(t);
                OneDnnGemmBackend be = new OneDnnGemmBackend(t);
                dnn.setThreads(t);
                double f32 = time(() -> simd.gemmF32(GemmLayout.NT, fam, fbm, fout));
                double s8 = time(() -> dnn.gemmS8S8S32(m, n, k, a, 0, k, b, 0, k, c, 0, n));
                double s8n = time(() -> dnn.gemmS8S8S32(m, n, k, na, k, nb, k, nc, n));
                double u8 = time(() -> dnn.gemmU8S8S32(m, n, k, au, 0, k, 128, b, 0, k, c, 0, n));
                double u8n = time(() -> dnn.gemmU8S8S32(m, n, k, nau, k, 128, nb, k, nc, n));
                double sg = time(() -> dnn.sgemm(m, n, k, fa, 0, k, fb, 0, k, fc, 0, n));
                double sgn = time(() -> dnn.sgemm(m, n, k, nfa, k, nfb, k, nfc, n));
                double toLong = time(() -> be.gemmInt(ai, bi, 8, new IntEpilogue.ToLong(lout)));
                double toInt = time(() -> be.gemmInt(ai, bi, 8, new IntEpilogue.ToInt(iout)));
                double rescale = time(() -> be.gemmInt(ai, bi, 8, new IntEpilogue.Rescale(null, sa, sb, fout)));
                long saved = ExactGemm.macsPerCall;
                ExactGemm.macsPerCall = Long.MAX_VALUE;
                int savedBlock = ExactGemm.resultsPerBlock;
                ExactGemm.resultsPerBlock = Integer.MAX_VALUE;
                double toLongOneCall = time(() -> be.gemmInt(ai, bi, 8, new IntEpilogue.ToLong(lout)));
                ExactGemm.macsPerCall = saved;
                ExactGemm.resultsPerBlock = savedBlock;
                double simd8 = time(() -> simd.gemmInt(ai, bi, 8, new IntEpilogue.ToLong(lout)));
                double simd4 = time(() -> simd.gemmInt(a4, b4, 4, new IntEpilogue.ToLong(lout)));
                System.out.printf(Locale.ROOT, "threads %d%n", t);
                row("simd gemmF32 (the cost unit)", ops, f32, f32);
                row("oneDNN sgemm, heap (critical)", ops, sg, f32);
                row("oneDNN sgemm, native segments", ops, sgn, f32);
                row("oneDNN s8s8s32, heap (critical)", ops, s8, f32);
                row("oneDNN s8s8s32, native segments", ops, s8n, f32);
                row("oneDNN u8s8s32, heap (critical)", ops, u8, f32);
                row("oneDNN u8s8s32, native segments", ops, u8n, f32);
                row("onednn backend b=8 -> int64", ops, toLong, f32);
                row("onednn backend b=8 -> int64, one call", ops, toLongOneCall, f32);
                row("onednn backend b=8 -> int32", ops, toInt, f32);
                row("onednn backend b=8 -> rescale", ops, rescale, f32);
                row("simd backend b=8 -> int64", ops, simd8, f32);
                row("simd backend b=4 -> int64", ops, simd4, f32);
            }
        }
    }

    private static void row(String what, double ops, double nanos, double f32Nanos) {
        System.out.printf(Locale.ROOT, "  %-42s %8.2f ms %8.1f GOPS  cost/MAC %.3f%n", what, nanos / 1e6, ops / nanos, nanos / f32Nanos);
    }

    private static void fill(IntMatrix x, int max, SplittableRandom r) {
        int[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextInt(2 * max + 1) - max;
        }
    }

    /** Best of {@value #RUNS} runs after 3 warm-up runs (the machine may be shared: the best run is the least disturbed). */
    private static double time(Runnable body) {
        for (int i = 0; i < 3; i++) {
            body.run();
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < RUNS; i++) {
            long t0 = System.nanoTime();
            body.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    private static final int RUNS = 15;
}
