package dev.lowbit.simd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.gemm.FastImUnpack;
import dev.lowbit.gemm.FastImUnpackTest;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.quant.PackedRowCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackStrategy;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FastImUnpack#multiplyRows} on the SIMD backend (fused fold + per-row rescale in the epilogue, or the int64
 * fold + {@code Rescale}) against the scalar int64 GEMM of the codes, bit for bit, at 1 and 3 threads.
 */
class FastImUnpackRowsTest {
    static void check(int[] a, int m, int[] w, int n, int k, SplittableRandom rnd, String what) {
        double[] sa = new double[m];
        double[] sw = new double[n];
        for (int i = 0; i < m; i++) {
            sa[i] = Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-8, 9));
        }
        for (int j = 0; j < n; j++) {
            sw[j] = Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-8, 9));
        }
        RtnQuantizer.RowIntCodes qa = RtnQuantizer.RowIntCodes.of(a, m, k, sa, 8);
        RtnQuantizer.RowIntCodes qw = RtnQuantizer.RowIntCodes.of(w, n, k, sw, 8);
        PackedRowCodes packed = PackedRowCodes.of(qw);
        float[] expected = expected(qa, qw);
        for (int threads : new int[] {1, 3}) {
            SimdGemmBackend be = new SimdGemmBackend(threads);
            for (int b = FastImUnpack.AUTO_BITS; b <= Digits.MAX_BITS; b = b == FastImUnpack.AUTO_BITS ? Digits.MIN_BITS : b + 1) {
                for (UnpackStrategy st : new UnpackStrategy[] {UnpackStrategy.AUTO, UnpackStrategy.ROW, UnpackStrategy.COLUMN}) {
                    FloatMatrix out = FloatMatrix.zeros(m, n);
                    FastImUnpack.Result r = FastImUnpack.multiplyRows(qa, qw, b, st, be, out);
                    assertArrayEquals(expected, out.data(), what + " b=" + b + " " + st + " (" + r.bits() + " " + r.strategy() + "), "
                            + threads + " threads");
                    if (packed != null) { // W held as int8: the same bits, with and without its float32 copy
                        for (float[] wf : new float[][] {null, packed.toFloatArray()}) {
                            FloatMatrix po = FloatMatrix.zeros(m, n);
                            FastImUnpack.Result pr = FastImUnpack.multiplyRows(qa, packed, wf, b, st, be, po);
                            assertArrayEquals(expected, po.data(), what + " packed b=" + b + " " + st + " (" + pr.bits() + " "
                                    + pr.strategy() + ")" + (wf == null ? "" : " with floats"));
                            assertThat(pr.strategy()).isEqualTo(FastImUnpack.multiplyRows(qa, qw, wf, b, st, be, FloatMatrix.zeros(m, n))
                                    .strategy());
                        }
                    }
                }
            }
        }
    }

    /** {@code (float) (C[i,j] / (sa[i]·sw[j]))} with C the scalar int64 GEMM of the codes. */
    static float[] expected(RtnQuantizer.RowIntCodes qa, RtnQuantizer.RowIntCodes qw) {
        LongMatrix c = ScalarGemm.exact(qa.toLongMatrix(), qw.toLongMatrix());
        int m = qa.rows();
        int n = qw.rows();
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                expected[i * n + j] = (float) (c.get(i, j) / (qa.scales()[i] * qw.scales()[j]));
            }
        }
        return expected;
    }

    @Test
    void randomAndEdgeCodes() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (int[] s : new int[][] {{1, 1, 1}, {3, 5, 7}, {37, 19, 70}, {70, 33, 130}}) {
            for (int bound : new int[] {1, 7, 8, 127, 128, 16383, 1 << 20}) {
                int[] a = FastImUnpackTest.random(rnd, s[0] * s[2], bound);
                int[] w = FastImUnpackTest.random(rnd, s[1] * s[2], Math.max(1, bound / 3));
                check(a, s[0], w, s[1], s[2], rnd, "random ±" + bound + " " + java.util.Arrays.toString(s));
            }
        }
        FastImUnpackTest.edgeCases((a, m, w, n, k, what) -> check(a, m, w, n, k, rnd, what));
    }

    /** 15-bit gradient-like codes with heavy hitters against 4-bit-like codes: AUTO takes the wide path, exactly. */
    @Test
    void gradientCodesTakeTheWidePath() {
        SplittableRandom rnd = new SplittableRandom(5);
        int m = 96;
        int n = 40;
        int k = 300;
        int[] g = FastImUnpackTest.random(rnd, m * k, 8191);
        for (int i = 0; i < g.length; i += 17) {
            g[i] = (i % 2 == 0 ? 1 : -1) * rnd.nextInt(8192, 1 << 20); // heavy hitters in every column
        }
        int[] w = FastImUnpackTest.random(rnd, n * k, 7);
        w[3] = 700;
        double[] sa = new double[m];
        double[] sw = new double[n];
        java.util.Arrays.fill(sa, 8191.5 / 0.37);
        java.util.Arrays.fill(sw, 7.5 / 0.02);
        // per-tensor scales, as in training (FastImUnpack.multiplyCodes)
        RtnQuantizer.IntCodes qa = RtnQuantizer.IntCodes.of(g, m, k, sa[0], 1, 8);
        RtnQuantizer.IntCodes qw = RtnQuantizer.IntCodes.of(w, n, k, sw[0], 1, 8);
        float[] expected = expected(RtnQuantizer.RowIntCodes.of(g, m, k, sa, 8), RtnQuantizer.RowIntCodes.of(w, n, k, sw, 8));
        for (int threads : new int[] {1, 2}) {
            FloatMatrix out = FloatMatrix.zeros(m, n);
            FastImUnpack.Result r = FastImUnpack.multiplyCodes(qa, qw, FastImUnpack.AUTO_BITS, new SimdGemmBackend(threads), out);
            org.assertj.core.api.Assertions.assertThat(r.strategy()).isEqualTo("wide");
            org.assertj.core.api.Assertions.assertThat(r.ratio()).isEqualTo(1.0);
            assertArrayEquals(expected, out.data(), "wide, " + threads + " threads");
        }
        check(g, m, w, n, k, rnd, "gradient-like codes");
    }

    /** The SIMD wide kernel against the interface's int64 reference (its scalar twin), up to the 2^53 bound. */
    @Test
    void wideKernelEqualsTheLongReference() {
        SplittableRandom rnd = new SplittableRandom(6);
        dev.lowbit.gemm.GemmBackend scalar = new dev.lowbit.gemm.ScalarGemmBackend();
        for (int[] s : new int[][] {{1, 1, 1}, {0, 3, 4}, {5, 0, 4}, {4, 3, 0}, {7, 17, 33}, {33, 65, 513}}) {
            for (int[] bounds : new int[][] {{1, 1}, {1 << 30, 1 << 12}, {1 << 20, 1 << 20}}) {
                int m = s[0];
                int n = s[1];
                int k = s[2];
                int[] a = FastImUnpackTest.random(rnd, m * k, bounds[0]);
                int[] b = FastImUnpackTest.random(rnd, n * k, bounds[1]);
                if (m * k > 0) {
                    a[0] = -bounds[0];
                }
                double[] sa = new double[m];
                double[] sb = new double[n];
                for (int i = 0; i < m; i++) {
                    sa[i] = Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-30, 30));
                }
                for (int j = 0; j < n; j++) {
                    sb[j] = Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-30, 30));
                }
                dev.lowbit.tensor.IntMatrix am = dev.lowbit.tensor.IntMatrix.wrap(a, m, k);
                dev.lowbit.tensor.IntMatrix bm = dev.lowbit.tensor.IntMatrix.wrap(b, n, k);
                FloatMatrix want = FloatMatrix.zeros(m, n);
                scalar.gemmInt(am, bm, dev.lowbit.gemm.GemmBackend.WIDE_BITS, new dev.lowbit.gemm.IntEpilogue.Rescale(null, sa, sb, want));
                for (int threads : new int[] {1, 3}) {
                    FloatMatrix got = FloatMatrix.zeros(m, n);
                    new SimdGemmBackend(threads).gemmInt(am, bm, dev.lowbit.gemm.GemmBackend.WIDE_BITS,
                            new dev.lowbit.gemm.IntEpilogue.Rescale(null, sa, sb, got));
                    assertArrayEquals(want.data(), got.data(), java.util.Arrays.toString(s) + " " + java.util.Arrays.toString(bounds));
                }
            }
        }
    }
}
