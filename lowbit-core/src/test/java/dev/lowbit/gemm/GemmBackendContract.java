package dev.lowbit.gemm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import dev.lowbit.unpack.Unpacked;
import dev.lowbit.unpack.UnpackStrategy;
import dev.lowbit.unpack.Unpacker;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The contract of the {@link GemmBackend} SPI, run by every backend on every primitive (lowbit-core's test-jar: each
 * backend module has one subclass). Float32: close to float64 in every layout, NN/TN equal to NT of the transposes, batches
 * equal to single calls, no dependence on the thread count. Integer: every bound (b = 2..16 and wide) and every
 * {@link IntEpilogue} equal to the int64 reference bit for bit — edge values ±(2^(b−1)−1), all-extreme rows, zeros, views
 * with strides, m/n/k of 0 and 1 — and the {@link Gemm} facade's checks hold in front of the backend.
 */
public abstract class GemmBackendContract {
    /** The backend under test with {@code threads} worker threads. */
    protected abstract GemmBackend backend(int threads);

    /** Largest b the backend is tested at (all of 2..16 unless a subclass narrows it for speed). */
    protected int maxBits() {
        return 16;
    }

    public static final int[][] SHAPES = {
        {0, 0, 0}, {0, 3, 2}, {3, 0, 2}, {3, 2, 0}, {1, 1, 1}, {1, 7, 1}, {7, 1, 3}, {1, 1, 33},
        {5, 9, 17}, {17, 33, 65}, {33, 70, 129}, {9, 5, 600}, {64, 64, 64}, {70, 3, 1025},
    };

    @Test
    void f32IsCloseToFloat64InEveryLayout() {
        GemmBackend be = backend(2);
        long seed = 1;
        for (int[] s : SHAPES) {
            FloatMatrix a = RandomMatrices.gaussian(s[0], s[2], seed++);
            FloatMatrix b = RandomMatrices.gaussian(s[1], s[2], seed++);
            FloatMatrix c = Gemm.f32(a, b, be);
            double[] ref = ScalarGemm.f64(a, b);
            double[] absRef = ScalarGemm.f64(abs(a), abs(b));
            for (int i = 0; i < ref.length; i++) {
                // any summation order of k products: |error| ≤ (k + 2)·2^−24·Σ|a||b| (plus the final rounding)
                double tol = (s[2] + 4) * 0x1p-24 * absRef[i] + 0x1p-24 * Math.abs(ref[i]);
                assertThat(Math.abs(c.data()[i] - ref[i])).as("%s at %d", Arrays.toString(s), i).isLessThanOrEqualTo(tol);
            }
            FloatMatrix at = a.transpose();
            FloatMatrix bt = b.transpose();
            assertArrayEquals(c.data(), Gemm.f32(GemmLayout.NN, a, bt, be).data(), "NN " + Arrays.toString(s));
            assertArrayEquals(c.data(), Gemm.f32(GemmLayout.TN, at, bt, be).data(), "TN " + Arrays.toString(s));
        }
    }

    @Test
    void f32BatchEqualsSingleCallsAndThreadCountDoesNotMatter() {
        FloatMatrix[] a = new FloatMatrix[5];
        FloatMatrix[] b = new FloatMatrix[5];
        for (int i = 0; i < a.length; i++) {
            a[i] = RandomMatrices.gaussian(9 + i, 70, 30 + i);
            b[i] = RandomMatrices.gaussian(13, 70, 40 + i);
        }
        GemmBackend one = backend(1);
        for (int t : new int[] {1, 2, 3}) {
            FloatMatrix[] out = new FloatMatrix[a.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = FloatMatrix.zeros(a[i].rows(), 13);
            }
            Gemm.f32Batch(GemmLayout.NT, a, b, out, backend(t));
            for (int i = 0; i < out.length; i++) {
                assertArrayEquals(Gemm.f32(a[i], b[i], one).data(), out[i].data(), "threads " + t + " item " + i);
            }
        }
        FloatMatrix x = RandomMatrices.gaussian(77, 600, 7);
        FloatMatrix y = RandomMatrices.gaussian(131, 600, 8);
        FloatMatrix c1 = Gemm.f32(x, y, one);
        for (int t : new int[] {2, 3, 5}) {
            assertArrayEquals(c1.data(), Gemm.f32(x, y, backend(t)).data(), "threads " + t);
        }
    }

    @Test
    void intIsExactForEveryBitWidthIntoInt64AndInt32() {
        SplittableRandom r = new SplittableRandom(5);
        for (int bits = 2; bits <= maxBits(); bits++) {
            for (int[] s : SHAPES) {
                IntMatrix a = randomBits(s[0], s[2], bits, r);
                IntMatrix b = randomBits(s[1], s[2], bits, r);
                LongMatrix ref = reference(a, b);
                for (int t : new int[] {1, 2}) {
                    assertArrayEquals(ref.data(), Gemm.lowBit(a, b, bits, backend(t)).data(), "bits " + bits + " " + Arrays.toString(s));
                    if (Gemm.fitsInt32(s[2], bits)) {
                        IntMatrix out = IntMatrix.zeros(s[0], s[1]);
                        Gemm.lowBit(a, b, bits, out, backend(t));
                        assertArrayEquals(ref.data(), Arrays.stream(out.data()).asLongStream().toArray(), "int32 bits " + bits);
                    }
                }
            }
        }
    }

    @Test
    void intAllExtremesIsExact() {
        // every product at its maximum magnitude, same sign: the accumulation bound is tight here
        GemmBackend be = backend(2);
        for (int bits : new int[] {2, 3, 4, 5, 6, 7, 8, 10, 13, 16}) {
            if (bits > maxBits()) {
                continue;
            }
            int m = (1 << (bits - 1)) - 1;
            for (int k : new int[] {1, 2, 41, 42, 227, 513, 669, 1337, 1041}) {
                IntMatrix a = IntMatrix.zeros(9, k);
                IntMatrix b = IntMatrix.zeros(35, k);
                Arrays.fill(a.data(), m);
                Arrays.fill(b.data(), -m);
                for (int j = 0; j < k; j += 3) {
                    b.data()[j] = m;
                }
                a.data()[0] = -m; // one negative extreme, and a zero row
                Arrays.fill(a.data(), 3 * k, 4 * k, 0);
                assertArrayEquals(reference(a, b).data(), Gemm.lowBit(a, b, bits, be).data(), "bits " + bits + " k " + k);
            }
        }
    }

    @Test
    void viewsWithStridesAndOffsets() {
        GemmBackend be = backend(2);
        FloatMatrix big = RandomMatrices.gaussian(40, 90, 3);
        FloatMatrix a = big.view(3, 5, 21, 37);
        FloatMatrix b = big.view(1, 50, 35, 37);
        FloatMatrix outBig = FloatMatrix.zeros(30, 50);
        FloatMatrix out = outBig.view(2, 3, 21, 35);
        Gemm.f32(a, b, out, be);
        assertThat(out.contentEquals(Gemm.f32(a.copy(), b.copy(), be))).isTrue();
        assertThat(outBig.get(0, 0)).isZero();
        assertThat(outBig.get(23, 3)).isZero();
        for (int bits : new int[] {4, 8}) {
            IntMatrix ib = randomBits(50, 80, bits, new SplittableRandom(bits));
            IntMatrix ia = ib.view(2, 3, 19, 41);
            IntMatrix iw = ib.view(20, 30, 30, 41);
            LongMatrix lo = LongMatrix.zeros(25, 40);
            Gemm.lowBit(ia, iw, bits, lo.view(3, 7, 19, 30), be);
            assertThat(lo.view(3, 7, 19, 30).contentEquals(reference(ia.copy(), iw.copy()))).isTrue();
            assertThat(lo.get(0, 0)).isZero();
        }
    }

    /** The fold and the fold + rescale epilogues on real unpacked operands, every strategy, against the int64 reference. */
    @Test
    void foldAndRescaleEpiloguesAreExact() {
        SplittableRandom r = new SplittableRandom(17);
        for (int bits : new int[] {2, 3, 4, 5, 7, 8, 9, 12}) {
            if (bits > maxBits()) {
                continue;
            }
            for (int[] s : new int[][] {{1, 1, 1}, {7, 5, 33}, {33, 17, 70}, {20, 40, 300}}) {
                LongMatrix ca = heavyCodes(s[0], s[2], r);
                LongMatrix cw = heavyCodes(s[1], s[2], r);
                LongMatrix want = ScalarGemm.exact(ca, cw);
                double[] sa = scales(s[0], r);
                double[] sw = scales(s[1], r);
                for (UnpackStrategy st : new UnpackStrategy[] {UnpackStrategy.ROW, UnpackStrategy.COLUMN, UnpackStrategy.BOTH}) {
                    Unpacked u = Unpacker.unpack(ca, cw, bits, st);
                    FoldMap fold = ImUnpackGemm.foldMap(u.plan());
                    String what = "bits " + bits + " " + st + " " + Arrays.toString(s);
                    for (int t : new int[] {1, 2}) {
                        LongMatrix got = LongMatrix.zeros(s[0], s[1]);
                        if (u.plan().unpackedK() > 0) {
                            backend(t).gemmInt(u.lhs(), u.rhs(), bits, new IntEpilogue.Fold(fold, got));
                        }
                        assertArrayEquals(want.data(), got.data(), what);
                        // without and with the codes' sum bound (which lets a backend fold in int32 where it is < 2^31)
                        for (FoldMap fm : new FoldMap[] {fold, fold.withSumBound(sumBound(ca, cw))}) {
                            FloatMatrix out = FloatMatrix.zeros(s[0], s[1]);
                            if (u.plan().unpackedK() > 0) {
                                backend(t).gemmInt(u.lhs(), u.rhs(), bits, new IntEpilogue.Rescale(fm, sa, sw, out));
                            }
                            assertArrayEquals(rescaled(want, sa, sw), out.data(), "rescale " + what + " bound " + fm.sumBound());
                        }
                    }
                }
            }
        }
    }

    /**
     * The byte form (W held as int8, issue 17 item 2): every b ≤ 8, every epilogue, plain and unpacked operands, compact
     * and strided byte views, equal to the int64 reference bit for bit; and a byte beyond the declared bound is refused.
     */
    @Test
    void byteRightOperandIsExactForEveryEpilogue() {
        SplittableRandom r = new SplittableRandom(29);
        for (int bits = 2; bits <= Math.min(8, maxBits()); bits++) {
            for (int[] s : SHAPES) {
                IntMatrix a = randomBits(s[0], s[2], bits, r);
                IntMatrix b = randomBits(s[1], s[2], bits, r);
                ByteMatrix bb = ByteMatrix.narrow(b.toArray(), s[1], s[2]);
                LongMatrix ref = reference(a, b);
                for (int t : new int[] {1, 2}) {
                    String what = "bits " + bits + " " + Arrays.toString(s) + " threads " + t;
                    LongMatrix got = LongMatrix.zeros(s[0], s[1]);
                    backend(t).gemmInt(a, bb, bits, new IntEpilogue.ToLong(got));
                    assertArrayEquals(ref.data(), got.data(), what);
                    if (Gemm.fitsInt32(s[2], bits)) {
                        IntMatrix out = IntMatrix.zeros(s[0], s[1]);
                        backend(t).gemmInt(a, bb, bits, new IntEpilogue.ToInt(out));
                        assertArrayEquals(ref.data(), Arrays.stream(out.data()).asLongStream().toArray(), "int32 " + what);
                    }
                    double[] sa = scales(s[0], r);
                    double[] sw = scales(s[1], r);
                    FloatMatrix out = FloatMatrix.zeros(s[0], s[1]);
                    backend(t).gemmInt(a, bb, bits, new IntEpilogue.Rescale(null, sa, sw, out));
                    assertArrayEquals(rescaled(ref, sa, sw), out.data(), "rescale " + what);
                }
            }
            // a strided view of a larger byte matrix (offset, stride > cols)
            IntMatrix big = randomBits(40, 90, bits, r);
            ByteMatrix bigBytes = ByteMatrix.narrow(big.toArray(), 40, 90);
            IntMatrix a = randomBits(13, 37, bits, r);
            LongMatrix got = LongMatrix.zeros(13, 21);
            backend(2).gemmInt(a, bigBytes.view(5, 11, 21, 37), bits, new IntEpilogue.ToLong(got));
            assertArrayEquals(reference(a, big.view(5, 11, 21, 37).copy()).data(), got.data(), "view bits " + bits);
            // unpacked operands (every strategy) with the unpacked W as bytes: fold and fold + rescale
            LongMatrix ca = heavyCodes(20, 70, r);
            LongMatrix cw = heavyCodes(30, 70, r);
            LongMatrix want = ScalarGemm.exact(ca, cw);
            double[] sa = scales(20, r);
            double[] sw = scales(30, r);
            for (UnpackStrategy st : new UnpackStrategy[] {UnpackStrategy.ROW, UnpackStrategy.COLUMN, UnpackStrategy.BOTH}) {
                Unpacked u = Unpacker.unpack(ca, cw, bits, st);
                ByteMatrix ub = ByteMatrix.narrow(u.rhs().toArray(), u.rhs().rows(), u.rhs().cols());
                FoldMap fold = ImUnpackGemm.foldMap(u.plan());
                LongMatrix folded = LongMatrix.zeros(20, 30);
                backend(2).gemmInt(u.lhs(), ub, bits, new IntEpilogue.Fold(fold, folded));
                assertArrayEquals(want.data(), folded.data(), "fold bits " + bits + " " + st);
                FloatMatrix out = FloatMatrix.zeros(20, 30);
                backend(1).gemmInt(u.lhs(), ub, bits, new IntEpilogue.Rescale(fold.withSumBound(sumBound(ca, cw)), sa, sw, out));
                assertArrayEquals(rescaled(want, sa, sw), out.data(), "fold+rescale bits " + bits + " " + st);
            }
        }
        // extremes ±127 at b = 8 along a long k
        IntMatrix a = IntMatrix.zeros(3, 1337);
        Arrays.fill(a.data(), 127);
        byte[] w = new byte[5 * 1337];
        Arrays.fill(w, (byte) -127);
        LongMatrix got = LongMatrix.zeros(3, 5);
        backend(2).gemmInt(a, ByteMatrix.wrap(w, 5, 1337), 8, new IntEpilogue.ToLong(got));
        long[] all = new long[15];
        Arrays.fill(all, -127L * 127 * 1337);
        assertArrayEquals(all, got.data());
    }

    /** The rescale without a fold at b-bit and wide bounds (int32 codes with Σ max·max &lt; 2^53). */
    @Test
    void rescaleOfPlainAndWideProductsIsExact() {
        SplittableRandom r = new SplittableRandom(23);
        for (int[] s : new int[][] {{1, 1, 1}, {5, 9, 17}, {33, 70, 129}, {64, 30, 513}}) {
            double[] sa = scales(s[0], r);
            double[] sw = scales(s[1], r);
            for (int bits : new int[] {2, 4, 8, 11, 16}) {
                if (bits > maxBits()) {
                    continue;
                }
                IntMatrix a = randomBits(s[0], s[2], bits, r);
                IntMatrix b = randomBits(s[1], s[2], bits, r);
                FloatMatrix out = FloatMatrix.zeros(s[0], s[1]);
                backend(2).gemmInt(a, b, bits, new IntEpilogue.Rescale(null, sa, sw, out));
                assertArrayEquals(rescaled(reference(a, b), sa, sw), out.data(), "bits " + bits + " " + Arrays.toString(s));
            }
            // wide: 2^20-magnitude codes against small ones, Σ_c max·max far below 2^53
            IntMatrix a = IntMatrix.zeros(s[0], s[2]);
            IntMatrix b = IntMatrix.zeros(s[1], s[2]);
            for (int i = 0; i < a.data().length; i++) {
                a.data()[i] = r.nextInt(-(1 << 20), 1 << 20);
            }
            for (int i = 0; i < b.data().length; i++) {
                b.data()[i] = r.nextInt(-3000, 3001);
            }
            for (int t : new int[] {1, 3}) {
                FloatMatrix out = FloatMatrix.zeros(s[0], s[1]);
                backend(t).gemmInt(a, b, GemmBackend.WIDE_BITS, new IntEpilogue.Rescale(null, sa, sw, out));
                assertArrayEquals(rescaled(reference(a, b), sa, sw), out.data(), "wide " + Arrays.toString(s));
            }
        }
    }

    @Test
    void costsArePositiveAndTheFacadeGuardsTheBackend() {
        GemmBackend be = backend(1);
        for (int bits = 2; bits <= 16; bits++) {
            assertThat(be.intCostPerMac(bits)).isPositive();
        }
        assertThat(be.intCostPerMac(GemmBackend.WIDE_BITS)).isPositive();
        FloatMatrix x = RandomMatrices.gaussian(8, 8, 1);
        assertThatThrownBy(() -> Gemm.f32(x.view(0, 0, 4, 4), x.view(4, 0, 4, 4), x.view(0, 4, 4, 4), be))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("share storage");
        assertThatThrownBy(() -> Gemm.f32(x, RandomMatrices.gaussian(3, 5, 2), be)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("inner dimensions");
        IntMatrix i = IntMatrix.zeros(4, 4);
        assertThatThrownBy(() -> Gemm.lowBit(i, IntMatrix.zeros(4, 4), 4, LongMatrix.zeros(4, 3), be))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 4x4");
        IntMatrix a = IntMatrix.zeros(3, 5);
        a.set(1, 2, 8);
        assertThatThrownBy(() -> Gemm.lowBit(a, IntMatrix.zeros(2, 5), 4, be)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("does not fit in 4 bits");
        assertThatThrownBy(() -> Gemm.lowBit(a, a.copy(), 17, be)).isInstanceOf(LowbitException.class).hasMessageContaining("bits");
        assertThatThrownBy(() -> Gemm.lowBit(i, i.copy(), 16, IntMatrix.zeros(4, 4), be)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("int32");
    }

    // ---- helpers (public for the backend modules' own tests) ----

    public static FloatMatrix abs(FloatMatrix x) {
        FloatMatrix y = x.copy();
        for (int i = 0; i < y.data().length; i++) {
            y.data()[i] = Math.abs(y.data()[i]);
        }
        return y;
    }

    /** b-bit entries with many ±(2^(b−1)−1) extremes. */
    public static IntMatrix randomBits(int rows, int cols, int bits, SplittableRandom r) {
        int m = (1 << (bits - 1)) - 1;
        IntMatrix x = IntMatrix.zeros(rows, cols);
        int[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            int u = r.nextInt(10);
            d[i] = u == 0 ? m : u == 1 ? -m : r.nextInt(2 * m + 1) - m;
        }
        return x;
    }

    /** The int64 reference of {@code a·bᵀ}. */
    public static LongMatrix reference(IntMatrix a, IntMatrix b) {
        LongMatrix la = LongMatrix.zeros(a.rows(), a.cols());
        LongMatrix lb = LongMatrix.zeros(b.rows(), b.cols());
        for (int i = 0; i < a.rows(); i++) {
            for (int p = 0; p < a.cols(); p++) {
                la.set(i, p, a.get(i, p));
            }
        }
        for (int i = 0; i < b.rows(); i++) {
            for (int p = 0; p < b.cols(); p++) {
                lb.set(i, p, b.get(i, p));
            }
        }
        return ScalarGemm.exact(la, lb);
    }

    /** RTN-like codes: mostly |q| ≤ 7, some heavy hitters up to 2^14, an all-heavy row and a zero row. */
    static LongMatrix heavyCodes(int rows, int cols, SplittableRandom r) {
        return heavyCodes(rows, cols, 50, r);
    }

    /** As above, with one entry in {@code heavyOneIn} a heavy hitter (public for the backend modules' tests). */
    public static LongMatrix heavyCodes(int rows, int cols, int heavyOneIn, SplittableRandom r) {
        LongMatrix x = LongMatrix.zeros(rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int p = 0; p < cols; p++) {
                long v = r.nextInt(heavyOneIn) == 0 ? r.nextInt(-(1 << 14), 1 << 14) : r.nextInt(-7, 8);
                if (i == 1 % Math.max(1, rows)) {
                    v = r.nextBoolean() ? 16383 : -16383;
                } else if (rows > 2 && i == 2) {
                    v = 0;
                }
                x.set(i, p, v);
            }
        }
        return x;
    }

    /** Σ_c max_i |a_ic| · max_j |b_jc|. */
    static double sumBound(LongMatrix a, LongMatrix b) {
        double bound = 0;
        for (int c = 0; c < a.cols(); c++) {
            long ma = 0;
            long mb = 0;
            for (int i = 0; i < a.rows(); i++) {
                ma = Math.max(ma, Math.abs(a.get(i, c)));
            }
            for (int j = 0; j < b.rows(); j++) {
                mb = Math.max(mb, Math.abs(b.get(j, c)));
            }
            bound += (double) ma * mb;
        }
        return bound;
    }

    public static double[] scales(int n, SplittableRandom r) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.scalb(1 + r.nextDouble(), r.nextInt(-30, 30));
        }
        return s;
    }

    static float[] rescaled(LongMatrix c, double[] sa, double[] sw) {
        float[] out = new float[c.rows() * c.cols()];
        for (int i = 0; i < c.rows(); i++) {
            for (int j = 0; j < c.cols(); j++) {
                out[i * c.cols() + j] = (float) (c.get(i, j) / (sa[i] * sw[j]));
            }
        }
        return out;
    }
}
