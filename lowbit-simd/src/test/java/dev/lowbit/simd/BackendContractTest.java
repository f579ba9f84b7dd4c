package dev.lowbit.simd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every {@link GemmBackend} found by {@link java.util.ServiceLoader} must meet: shapes
 * (0 and 1 included), views, aliasing rejected by the {@link Gemm} facade, operand and k bounds, integer
 * results equal to the {@code long} reference bit for bit, FP32 results within an error bound of float64.
 * Surefire runs this class at the preferred vector width and again at 256 and 128 bits.
 */
class BackendContractTest {
    static Stream<GemmBackend> backends() {
        return GemmBackends.all().stream();
    }

    static final int[][] SHAPES = {
        {0, 0, 0}, {0, 3, 2}, {3, 0, 2}, {3, 2, 0}, {1, 1, 1}, {1, 7, 1}, {7, 1, 3}, {1, 1, 33},
        {5, 9, 17}, {17, 33, 65}, {33, 70, 129}, {9, 5, 600}, {64, 64, 64}, {70, 3, 1025},
    };

    @Test
    void bothBackendsAreRegisteredAndSimdIsPreferred() {
        assertThat(GemmBackends.all()).extracting(GemmBackend::name).contains("scalar", "simd");
        assertThat(GemmBackends.all().getFirst().name()).isEqualTo("simd");
        assertThat(GemmBackends.byName("simd").priority()).isGreaterThan(0);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void f32IsCloseToFloat64(GemmBackend be) {
        long seed = 1;
        for (int[] s : SHAPES) {
            FloatMatrix a = RandomMatrices.gaussian(s[0], s[2], seed++);
            FloatMatrix b = RandomMatrices.gaussian(s[1], s[2], seed++);
            FloatMatrix c = Gemm.f32(a, b, be);
            double[] ref = ScalarGemm.f64(a, b);
            double[] absRef = ScalarGemm.f64(abs(a), abs(b));
            assertThat(c.rows()).isEqualTo(s[0]);
            assertThat(c.cols()).isEqualTo(s[1]);
            for (int i = 0; i < ref.length; i++) {
                // any summation order of k products: |error| ≤ (k + 2)·2^−24·Σ|a||b| (plus the final rounding)
                double tol = (s[2] + 4) * 0x1p-24 * absRef[i] + 0x1p-24 * Math.abs(ref[i]);
                assertThat(Math.abs(c.data()[i] - ref[i])).as("%s at %d", java.util.Arrays.toString(s), i).isLessThanOrEqualTo(tol);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void f32NnEqualsNtOfTranspose(GemmBackend be) {
        for (int[] s : SHAPES) {
            FloatMatrix a = RandomMatrices.gaussian(s[0], s[2], 11);
            FloatMatrix b = RandomMatrices.gaussian(s[1], s[2], 12);
            FloatMatrix bt = FloatMatrix.zeros(s[2], s[1]);
            for (int j = 0; j < s[1]; j++) {
                for (int p = 0; p < s[2]; p++) {
                    bt.set(p, j, b.get(j, p));
                }
            }
            assertArrayEquals(Gemm.f32(a, b, be).data(), Gemm.f32Nn(a, bt, be).data(), java.util.Arrays.toString(s));
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void intIsExactForEveryBitWidthIncludingEdgeValues(GemmBackend be) {
        SplittableRandom r = new SplittableRandom(5);
        for (int bits = 2; bits <= 16; bits++) {
            for (int[] s : SHAPES) {
                IntMatrix a = randomBits(s[0], s[2], bits, r);
                IntMatrix b = randomBits(s[1], s[2], bits, r);
                LongMatrix got = Gemm.lowBit(a, b, bits, be);
                assertArrayEquals(reference(a, b).data(), got.data(), "bits " + bits + " " + java.util.Arrays.toString(s));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void intAllExtremesIsExact(GemmBackend be) {
        // every product at its maximum magnitude, same sign: the accumulation bound is tight here
        for (int bits : new int[] {2, 3, 4, 5, 6, 8, 10, 13, 16}) {
            int m = (1 << (bits - 1)) - 1;
            for (int k : new int[] {1, 2, 41, 42, 227, 513, 669, 1337, 1041}) {
                IntMatrix a = IntMatrix.zeros(9, k);
                IntMatrix b = IntMatrix.zeros(35, k);
                java.util.Arrays.fill(a.data(), m);
                java.util.Arrays.fill(b.data(), -m);
                for (int j = 0; j < k; j += 3) {
                    b.data()[j] = m;
                }
                LongMatrix got = Gemm.lowBit(a, b, bits, be);
                assertArrayEquals(reference(a, b).data(), got.data(), "bits " + bits + " k " + k);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void int32OutputIsExactAndKBoundIsEnforced(GemmBackend be) {
        SplittableRandom r = new SplittableRandom(9);
        for (int bits : new int[] {2, 3, 4, 5, 8, 12}) {
            IntMatrix a = randomBits(37, 300, bits, r);
            IntMatrix b = randomBits(70, 300, bits, r);
            IntMatrix out = IntMatrix.zeros(37, 70);
            Gemm.lowBit(a, b, bits, out, be);
            long[] ref = reference(a, b).data();
            for (int i = 0; i < ref.length; i++) {
                assertThat((long) out.data()[i]).isEqualTo(ref[i]);
            }
        }
        // 16-bit operands: k·(2^15−1)² < 2^31 up to k = 2; 4-bit: k ≤ 43826196 (2^31/49 = 43826196.9)
        assertThat(Gemm.fitsInt32(2, 16)).isTrue();
        assertThat(Gemm.fitsInt32(3, 16)).isFalse();
        assertThat(Gemm.fitsInt32(43_826_196, 4)).isTrue();
        assertThat(Gemm.fitsInt32(43_826_197, 4)).isFalse();
        IntMatrix a = IntMatrix.zeros(2, 3);
        assertThatThrownBy(() -> Gemm.lowBit(a, a.copy(), 16, IntMatrix.zeros(2, 2), be)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("int32");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void viewsWithStridesAndOffsets(GemmBackend be) {
        FloatMatrix big = RandomMatrices.gaussian(40, 90, 3);
        FloatMatrix a = big.view(3, 5, 21, 37);
        FloatMatrix b = big.view(1, 50, 35, 37);
        FloatMatrix outBig = FloatMatrix.zeros(30, 50);
        FloatMatrix out = outBig.view(2, 3, 21, 35);
        Gemm.f32(a, b, out, be);
        FloatMatrix ref = Gemm.f32(a.copy(), b.copy(), be);
        assertThat(out.contentEquals(ref)).isTrue();
        assertThat(outBig.get(0, 0)).isZero();
        assertThat(outBig.get(23, 3)).isZero();

        IntMatrix ib = IntMatrix.zeros(50, 80);
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < ib.data().length; i++) {
            ib.data()[i] = r.nextInt(15) - 7;
        }
        IntMatrix ia = ib.view(2, 3, 19, 41);
        IntMatrix iw = ib.view(20, 30, 30, 41);
        LongMatrix lo = LongMatrix.zeros(25, 40);
        Gemm.lowBit(ia, iw, 4, lo.view(3, 7, 19, 30), be);
        assertThat(lo.view(3, 7, 19, 30).contentEquals(reference(ia.copy(), iw.copy()))).isTrue();
        assertThat(lo.get(0, 0)).isZero();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aliasingAndBadShapesAreRejected(GemmBackend be) {
        FloatMatrix x = RandomMatrices.gaussian(8, 8, 1);
        assertThatThrownBy(() -> Gemm.f32(x.view(0, 0, 4, 4), x.view(4, 0, 4, 4), x.view(0, 4, 4, 4), be))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("share storage");
        assertThatThrownBy(() -> Gemm.f32(x, RandomMatrices.gaussian(3, 5, 2), be)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("inner dimensions");
        IntMatrix i = IntMatrix.zeros(4, 4);
        assertThatThrownBy(() -> Gemm.lowBit(i, IntMatrix.zeros(4, 4), 4, LongMatrix.zeros(4, 3), be))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 4x4");
        assertThatThrownBy(() -> Gemm.f32Nn(x, x, x, be)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("share storage");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void operandOutOfBitRangeIsAnError(GemmBackend be) {
        IntMatrix a = IntMatrix.zeros(3, 5);
        a.set(1, 2, 8);
        assertThatThrownBy(() -> Gemm.lowBit(a, IntMatrix.zeros(2, 5), 4, be)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("does not fit in 4 bits");
        a.set(1, 2, -8);
        assertThatThrownBy(() -> Gemm.lowBit(IntMatrix.zeros(2, 5), a, 4, be)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("rhs");
        assertThatThrownBy(() -> Gemm.lowBit(a, a.copy(), 17, be)).isInstanceOf(LowbitException.class).hasMessageContaining("bits");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void resultsDoNotDependOnThreadCount(GemmBackend be) {
        if (!(be instanceof SimdGemmBackend)) {
            return;
        }
        FloatMatrix a = RandomMatrices.gaussian(77, 600, 7);
        FloatMatrix b = RandomMatrices.gaussian(131, 600, 8);
        FloatMatrix c1 = Gemm.f32(a, b, new SimdGemmBackend(1));
        for (int t : new int[] {2, 3, 5}) {
            assertArrayEquals(c1.data(), Gemm.f32(a, b, new SimdGemmBackend(t)).data(), "threads " + t);
        }
        // few rows: work is split by columns instead
        FloatMatrix a1 = RandomMatrices.gaussian(3, 600, 9);
        assertArrayEquals(Gemm.f32(a1, b, new SimdGemmBackend(1)).data(), Gemm.f32(a1, b, new SimdGemmBackend(4)).data());
    }

    static FloatMatrix abs(FloatMatrix x) {
        FloatMatrix y = x.copy();
        for (int i = 0; i < y.data().length; i++) {
            y.data()[i] = Math.abs(y.data()[i]);
        }
        return y;
    }

    static IntMatrix randomBits(int rows, int cols, int bits, SplittableRandom r) {
        int m = (1 << (bits - 1)) - 1;
        IntMatrix x = IntMatrix.zeros(rows, cols);
        int[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            int u = r.nextInt(10);
            d[i] = u == 0 ? m : u == 1 ? -m : r.nextInt(2 * m + 1) - m;
        }
        return x;
    }

    static LongMatrix reference(IntMatrix a, IntMatrix b) {
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
}
