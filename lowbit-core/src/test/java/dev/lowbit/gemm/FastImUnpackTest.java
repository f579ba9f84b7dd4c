package dev.lowbit.gemm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.format.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.PackedRowCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackStrategy;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The training IM-Unpack pipeline is exact for every b and every unpacking: its float32 result equals
 * {@code (float) (C / (s_a·s_w))} with C the scalar int64 GEMM of the codes, bit for bit.
 */
public class FastImUnpackTest {
    static final GemmBackend SCALAR = new ScalarGemmBackend();

    /** (float) (exact(codes) / (sa·sw)) from the long reference. */
    static float[] reference(int[] a, int m, int[] w, int n, int k, double sa, double sw) {
        LongMatrix la = LongMatrix.zeros(m, k);
        LongMatrix lw = LongMatrix.zeros(n, k);
        for (int i = 0; i < m * k; i++) {
            la.data()[i] = a[i];
        }
        for (int i = 0; i < n * k; i++) {
            lw.data()[i] = w[i];
        }
        LongMatrix c = ScalarGemm.exact(la, lw);
        float[] out = new float[m * n];
        for (int i = 0; i < m * n; i++) {
            out[i] = (float) (c.data()[i] / (sa * sw));
        }
        return out;
    }

    static RtnQuantizer.IntCodes codes(int[] c, int rows, int cols, double scale) {
        return RtnQuantizer.IntCodes.of(c, rows, cols, scale, 1, 128);
    }

    static void check(int[] a, int m, int[] w, int n, int k, String what) {
        double sa = 7.25;
        double sw = 0.0390625 * 3;
        float[] expected = reference(a, m, w, n, k, sa, sw);
        RtnQuantizer.IntCodes qa = codes(a, m, k, sa);
        RtnQuantizer.IntCodes qw = codes(w, n, k, sw);
        for (GemmBackend be : new GemmBackend[] {SCALAR, GemmBackends.preferred()}) {
            for (int b = Digits.MIN_BITS; b <= Digits.MAX_BITS; b++) {
                long s = Digits.base(b);
                boolean fits = qa.maxAbs() < s && qw.maxAbs() < s;
                GemmPlan[] plans = fits ? new GemmPlan[] {null, new GemmPlan.None(b), new GemmPlan.Row(b), new GemmPlan.Column(b)}
                        : new GemmPlan[] {null, new GemmPlan.Row(b), new GemmPlan.Column(b)};
                for (GemmPlan strategy : plans) {
                    FloatMatrix out = FloatMatrix.zeros(m, n);
                    FastImUnpack.multiplyCodes(qa, qw, b, strategy, be, out);
                    assertArrayEquals(expected, out.data(), what + " b=" + b + " " + strategy + " on " + be.name());
                }
            }
            FloatMatrix out = FloatMatrix.zeros(m, n);
            FastImUnpack.Choice c = FastImUnpack.multiplyCodes(qa, qw, FastImUnpack.AUTO_BITS, null, be, out);
            assertArrayEquals(expected, out.data(), what + " auto (b=" + c.bits() + " " + c.strategy() + ") on " + be.name());
        }
    }

    public static int[] random(SplittableRandom rnd, int len, int bound) {
        int[] x = new int[len];
        for (int i = 0; i < len; i++) {
            x[i] = rnd.nextInt(-bound, bound + 1);
        }
        return x;
    }

    @Test
    void randomCodesOfEveryMagnitude() {
        SplittableRandom rnd = new SplittableRandom(11);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 24, 64}, {9, 40, 200}};
        for (int[] s : shapes) {
            for (int bound : new int[] {1, 7, 8, 127, 128, 16383, 1 << 20}) {
                check(random(rnd, s[0] * s[2], bound), s[0], random(rnd, s[1] * s[2], Math.max(1, bound / 3)), s[1], s[2],
                        "random ±" + bound + " " + java.util.Arrays.toString(s));
            }
        }
    }

    /** A checker of one GEMM of int codes: A m×k, W n×k. */
    public interface Check {
        void run(int[] a, int m, int[] w, int n, int k, String what);
    }

    /**
     * Edge codes for every b: ±2^(b−1) (one more than a digit holds) and ±(2^(b−1) − 1) (the largest digit) with
     * mixed signs; all-outlier rows next to a zero row with the largest int code 2^30; zeros; m = 0; k = 0.
     */
    public static void edgeCases(Check check) {
        int m = 6;
        int n = 5;
        int k = 9;
        for (int b = Digits.MIN_BITS; b <= Digits.MAX_BITS; b++) {
            int s = 1 << (b - 1);
            int[] a = new int[m * k];
            int[] w = new int[n * k];
            for (int i = 0; i < a.length; i++) {
                a[i] = (i % 3 == 0 ? s : s - 1) * (i % 2 == 0 ? 1 : -1);
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = (i % 4 == 0 ? -s : s - 1);
            }
            check.run(a, m, w, n, k, "±2^(b-1) at b=" + b);
        }
        int[] a = new int[4 * 6];
        for (int c = 0; c < 6; c++) {
            a[c] = 1 << 30;
            a[6 + c] = -((1 << 29) + 12345);
            a[18 + c] = c - 3;
        }
        int[] w = new int[3 * 6];
        for (int i = 0; i < w.length; i++) {
            w[i] = i % 5 == 0 ? -(1 << 30) : i % 7;
        }
        check.run(a, 4, w, 3, 6, "all-outlier rows next to a zero row");
        check.run(new int[12], 4, new int[9], 3, 3, "zeros");
        check.run(new int[0], 0, new int[6], 3, 2, "m = 0");
        check.run(new int[0], 4, new int[0], 3, 0, "k = 0");
    }

    @Test
    void edgeCodes() {
        edgeCases(FastImUnpackTest::check);
    }

    @Test
    void floatPipelineEqualsImUnpackGemmMultiplyInEveryLayout() {
        QuantParams fwd = QuantParams.P95_N15.withNonZeroAlpha(true);
        QuantParams bwd = new QuantParams(0.95, 16383, Granularity.TENSOR, false, true);
        FloatMatrix a = RandomMatrices.outlierChannels(33, 40, 3, 30, 1);
        FloatMatrix w = RandomMatrices.studentT(21, 40, 3, 2);
        for (QuantParams pa : new QuantParams[] {fwd, bwd}) {
            float[] ref = ImUnpackGemm.multiply(a, w, new ImUnpackSpec(pa, fwd, 8, UnpackStrategy.ROW), SCALAR, false).out().data();
            for (int bits : new int[] {FastImUnpack.AUTO_BITS, 2, 4, 8, 13, 16}) {
                for (GemmLayout layout : GemmLayout.values()) {
                    FloatMatrix sa = layout == GemmLayout.TN ? a.transpose() : a;
                    FloatMatrix sw = layout == GemmLayout.NT ? w : w.transpose();
                    FloatMatrix out = FloatMatrix.zeros(33, 21);
                    FastImUnpack.Result r = FastImUnpack.multiplyInto(layout, sa, sw, pa, fwd, bits, 8, GemmBackends.preferred(), out);
                    assertArrayEquals(ref, out.data(), pa.label() + " " + layout + " bits " + bits);
                    assertThat(r.ratio()).isGreaterThanOrEqualTo(1.0);
                    QuantizedMatrix qa = RtnQuantizer.quantize(a, pa);
                    assertThat(r.lhsHeavy()).isEqualTo(qa.countAtLeast(128));
                }
            }
        }
    }

    @Test
    void autoRunsSmallCodesOnTheExactFloatPathAndLargeOnesWithoutUnpackingWhenTheyFit() {
        // 15-level codes: every partial sum stays below 2^24, so the FP32 kernel on the codes is exact
        int[] a = random(new SplittableRandom(1), 64 * 96, 15);
        int[] w = random(new SplittableRandom(2), 64 * 96, 15);
        FloatMatrix out = FloatMatrix.zeros(64, 64);
        FastImUnpack.Choice c = FastImUnpack.multiplyCodes(codes(a, 64, 96, 1), codes(w, 64, 96, 1), FastImUnpack.AUTO_BITS, null,
                GemmBackends.preferred(), out);
        assertThat(c.strategy()).isEqualTo("float");
        assertArrayEquals(reference(a, 64, w, 64, 96, 1, 1), out.data());
        // 15-bit codes on both sides: one column's product reaches 2^24, so the integer kernels run, without unpacking
        int[] big = random(new SplittableRandom(3), 16 * 40, 16383);
        big[0] = 16383;
        int[] bigW = random(new SplittableRandom(4), 8 * 40, 16383);
        bigW[0] = -16383;
        FloatMatrix o2 = FloatMatrix.zeros(16, 8);
        FastImUnpack.Choice c2 = FastImUnpack.multiplyCodes(codes(big, 16, 40, 1), codes(bigW, 8, 40, 1), FastImUnpack.AUTO_BITS, null,
                GemmBackends.preferred(), o2);
        assertThat(c2.strategy()).isEqualTo("none");
        assertThat(c2.bits()).isGreaterThanOrEqualTo(15);
        assertArrayEquals(reference(big, 16, bigW, 8, 40, 1, 1), o2.data());
    }

    /** The per-row-scale entry: every b, AUTO/ROW/COLUMN, both backends, against (float) (C[i,j] / (sa[i]·sw[j])) from the long GEMM. */
    static void checkRows(int[] a, int m, int[] w, int n, int k, String what) {
        SplittableRandom rnd = new SplittableRandom(m * 31L + n * 7L + k);
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
        LongMatrix c = ScalarGemm.exact(qa.toLongMatrix(), qw.toLongMatrix());
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                expected[i * n + j] = (float) (c.get(i, j) / (sa[i] * sw[j]));
            }
        }
        for (GemmBackend be : new GemmBackend[] {SCALAR, GemmBackends.preferred()}) {
            for (int b = FastImUnpack.AUTO_BITS; b <= Digits.MAX_BITS; b = b == FastImUnpack.AUTO_BITS ? Digits.MIN_BITS : b + 1) {
                for (UnpackStrategy st : new UnpackStrategy[] {UnpackStrategy.AUTO, UnpackStrategy.ROW, UnpackStrategy.COLUMN}) {
                    FloatMatrix out = FloatMatrix.zeros(m, n);
                    FastImUnpack.Result r = FastImUnpack.multiplyRows(qa, qw, b, st, be, out);
                    assertArrayEquals(expected, out.data(), what + " b=" + b + " " + st + " (" + r.bits() + " " + r.strategy() + ") on "
                            + be.name());
                    assertThat(r.lhsHeavy()).isEqualTo(qa.heavy());
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
                    if (b != FastImUnpack.AUTO_BITS) {
                        assertThat(r.bits()).isEqualTo(b);
                    }
                    if (st != UnpackStrategy.AUTO) {
                        assertThat(r.strategy()).isIn("none", st.label());
                    }
                }
            }
        }
    }

    @Test
    void perRowScalesRandomCodesOfEveryMagnitude() {
        SplittableRandom rnd = new SplittableRandom(12);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {40, 24, 64}};
        for (int[] s : shapes) {
            for (int bound : new int[] {1, 7, 8, 127, 128, 16383, 1 << 20}) {
                checkRows(random(rnd, s[0] * s[2], bound), s[0], random(rnd, s[1] * s[2], Math.max(1, bound / 3)), s[1], s[2],
                        "random ±" + bound + " " + java.util.Arrays.toString(s));
            }
        }
    }

    @Test
    void perRowScalesEdgeCodes() {
        edgeCases(FastImUnpackTest::checkRows);
    }

    @Test
    void floatPathSplitsKWhereTheSumsWouldReach2To24() {
        SplittableRandom rnd = new SplittableRandom(13);
        // Σ_c maxA_c·maxW_c ≈ 100 · 1000 · 333 ≈ 2^25: two or three float segments; then one column alone ≥ 2^24
        for (int[] s : new int[][] {{9, 7, 100}, {5, 3, 40}}) {
            int[] a = random(rnd, s[0] * s[2], 1000);
            int[] w = random(rnd, s[1] * s[2], 333);
            checkRows(a, s[0], w, s[1], s[2], "float segments " + java.util.Arrays.toString(s));
            RtnQuantizer.RowIntCodes qa = RtnQuantizer.RowIntCodes.of(a, s[0], s[2], new double[s[0]], 8);
            RtnQuantizer.RowIntCodes qw = RtnQuantizer.RowIntCodes.of(w, s[1], s[2], new double[s[1]], 8);
            int[] cuts = FastImUnpack.floatCuts(s[2], qa.colMax(), qw.colMax(), 8);
            assertThat(cuts).isNotNull();
            for (int i = 0; i + 1 < cuts.length; i++) {
                double sum = 0;
                for (int c = cuts[i]; c < cuts[i + 1]; c++) {
                    sum += (double) qa.colMax()[c] * qw.colMax()[c];
                }
                assertThat(sum).isLessThan(0x1p24);
            }
        }
        int[] big = {1 << 12, 1, 1 << 12, 1};
        assertThat(FastImUnpack.floatCuts(2, new int[] {1 << 12, 1}, new int[] {1 << 12, 1}, 4)).isNull();
        checkRows(big, 2, big, 2, 2, "one column reaches 2^24: the b-bit path");
        FloatMatrix out = FloatMatrix.zeros(2, 2);
        RtnQuantizer.RowIntCodes q = RtnQuantizer.RowIntCodes.of(new int[] {3, -4, 5, 6}, 2, 2, new double[] {1, 2}, 8);
        assertThat(FastImUnpack.multiplyRows(q, q, FastImUnpack.AUTO_BITS, UnpackStrategy.AUTO, SCALAR, out).strategy()).isEqualTo("float");
        assertThat(FastImUnpack.multiplyRows(q, q, 8, UnpackStrategy.AUTO, SCALAR, out).strategy()).isEqualTo("none");
        // codes too large for one float GEMM: COLUMN digits at b = 8, one float GEMM per exponent group
        SplittableRandom r2 = new SplittableRandom(14);
        int[] ca = random(r2, 30 * 50, 16383);
        int[] cw = random(r2, 20 * 50, 5000);
        RtnQuantizer.RowIntCodes qa = RtnQuantizer.RowIntCodes.of(ca, 30, 50, new double[30], 8);
        RtnQuantizer.RowIntCodes qw = RtnQuantizer.RowIntCodes.of(cw, 20, 50, new double[20], 8);
        assertThat(FastImUnpack.floatCuts(50, qa.colMax(), qw.colMax(), 4)).isNull();
        // (chosen when the b-bit kernels are estimated dearer than the FP32 GEMM, as on the SIMD backend)
        GemmBackend dearInts = new GemmBackend() {
            @Override
            public String name() {
                return "scalar-dear-ints";
            }

            @Override
            public void gemmF32(GemmLayout layout, FloatMatrix x, FloatMatrix y, FloatMatrix o) {
                SCALAR.gemmF32(layout, x, y, o);
            }

            @Override
            public void gemmInt(dev.lowbit.tensor.IntMatrix x, dev.lowbit.tensor.IntMatrix y, int bits, IntEpilogue o) {
                SCALAR.gemmInt(x, y, bits, o);
            }

            @Override
            public double intCostPerMac(int bits) {
                return 10.0;
            }
        };
        FloatMatrix fc = FloatMatrix.zeros(30, 20);
        double[] sa = new double[30];
        double[] sw = new double[20];
        java.util.Arrays.fill(sa, 0.25);
        java.util.Arrays.fill(sw, 3);
        RtnQuantizer.RowIntCodes qa2 = RtnQuantizer.RowIntCodes.of(ca, 30, 50, sa, 8);
        RtnQuantizer.RowIntCodes qw2 = RtnQuantizer.RowIntCodes.of(cw, 20, 50, sw, 8);
        assertThat(FastImUnpack.multiplyRows(qa2, qw2, FastImUnpack.AUTO_BITS, UnpackStrategy.AUTO, dearInts, fc).strategy())
                .isEqualTo("float-column");
        FloatMatrix ref = FloatMatrix.zeros(30, 20);
        FastImUnpack.multiplyRows(qa2, qw2, 16, UnpackStrategy.AUTO, SCALAR, ref);
        assertArrayEquals(ref.data(), fc.data(), "float-column = b-bit path");
        checkRows(ca, 30, cw, 20, 50, "float-column");
    }

    @Test
    void perRowEntryRejectsBoth() {
        RtnQuantizer.RowIntCodes q = RtnQuantizer.RowIntCodes.of(new int[] {1, 2}, 1, 2, new double[] {1}, 8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FastImUnpack.multiplyRows(q, q, 4, UnpackStrategy.BOTH, SCALAR,
                FloatMatrix.zeros(1, 1))).isInstanceOf(IllegalArgumentException.class);
    }

}
