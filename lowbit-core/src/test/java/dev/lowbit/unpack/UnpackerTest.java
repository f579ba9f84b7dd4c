package dev.lowbit.unpack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.gemm.ScalarGemmBackend;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class UnpackerTest {
    static final int[] BITS = {2, 3, 4, 5, 8, 16};
    static final GemmBackend SCALAR = new ScalarGemmBackend();

    static Stream<Arguments> bitsAndStrategies() {
        List<Arguments> out = new ArrayList<>();
        for (int b : BITS) {
            for (UnpackStrategy s : UnpackStrategy.values()) {
                out.add(Arguments.of(b, s));
            }
        }
        return out.stream();
    }

    /** The paper's small example: A·Wᵀ = [197, 24] for every bit-width and strategy. */
    @ParameterizedTest
    @MethodSource("bitsAndStrategies")
    void papersExample(int bits, UnpackStrategy s) {
        LongMatrix a = LongMatrix.of(new long[] {3, 100, -2}, new long[] {5, -1, 7});
        LongMatrix w = LongMatrix.of(new long[] {1, 2, 3});
        assertArrayEquals(new long[] {197, 24}, ImUnpackGemm.exactProduct(a, w, bits, s, SCALAR).toArray());
    }

    @Test
    void papersExampleRowDigitsAreTruncating() {
        LongMatrix a = LongMatrix.of(new long[] {3, 100, -2}, new long[] {5, -1, 7});
        LongMatrix w = LongMatrix.of(new long[] {1, 2, 3});
        Unpacked u = Unpacker.unpack(a, w, 4, UnpackStrategy.ROW);
        // 100 = 4 + 4·8 + 1·64: rows [3,4,−2], [5,−1,7], [0,4,0], [0,1,0] with sources [0,1,0,0] and scales 8^[0,0,1,2]
        assertArrayEquals(new int[] {3, 4, -2, 5, -1, 7, 0, 4, 0, 0, 1, 0}, u.lhs().toArray());
        assertArrayEquals(new int[] {0, 1, 0, 0}, u.plan().lhsRowSource());
        assertArrayEquals(new int[] {0, 0, 1, 2}, u.plan().lhsRowExp());
        assertThat(u.plan().unpackedN()).isEqualTo(1);
        assertThat(u.plan().ratio()).isEqualTo(2.0);
    }

    @Test
    void papersExampleColumnPairs() {
        LongMatrix a = LongMatrix.of(new long[] {3, 100, -2}, new long[] {5, -1, 7});
        LongMatrix w = LongMatrix.of(new long[] {1, 2, 3});
        Unpacked u = Unpacker.unpack(a, w, 4, UnpackStrategy.COLUMN);
        // inner index 1 needs 3 digits on A, 1 on W: k' = 1 + 3 + 1 = 5, exponents sorted: 0,0,0,1,2
        assertArrayEquals(new int[] {0, 0, 0, 1, 2}, u.plan().colExp());
        assertArrayEquals(new int[] {0, 1, 2, 1, 1}, u.plan().colSource());
        assertArrayEquals(new int[] {3, 4, -2, 4, 1, 5, -1, 7, 0, 0}, u.lhs().toArray());
        assertArrayEquals(new int[] {1, 2, 3, 2, 2}, u.rhs().toArray());
        assertArrayEquals(new int[] {0, 3, 4, 5}, u.plan().colGroupStart());
    }

    @Test
    void digitsReconstructAndCountIsMinimal() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int b : BITS) {
            long s = Digits.base(b);
            for (int t = 0; t < 2000; t++) {
                long v = switch (t % 4) {
                    case 0 -> rnd.nextLong(-4 * s, 4 * s);
                    case 1 -> rnd.nextLong() >> rnd.nextInt(2, 63);
                    case 2 -> (t % 8 < 4 ? 1 : -1) * (s - 1 + rnd.nextInt(3));
                    default -> (t % 8 < 4 ? 1 : -1) * (1L << 62);
                };
                int d = Digits.count(Math.abs(v), b);
                long back = 0;
                for (int j = d - 1; j >= 0; j--) {
                    long dj = Digits.digit(v, j, b);
                    assertThat(Math.abs(dj)).isLessThan(s);
                    assertThat(dj == 0 || Long.signum(dj) == Long.signum(v)).as("digit sign of %d", v).isTrue();
                    back = back * s + dj;
                }
                assertThat(back).isEqualTo(v);
                assertThat(Digits.digit(v, d, b)).isZero();
                if (d > 1) {
                    assertThat(Digits.digit(v, d - 1, b)).as("leading digit of %d", v).isNotZero();
                }
            }
            assertThat(Digits.count(s - 1, b)).isEqualTo(1);
            assertThat(Digits.count(s, b)).isEqualTo(2);
            assertThat(Digits.count(0, b)).isEqualTo(1);
        }
    }

    /** Value patterns for the property tests. */
    enum Pattern { SMALL, EDGES, HEAVY, HUGE, NEGATIVE_HEAVY_ROWS, ZEROS, ALL_OUT }

    static LongMatrix matrix(int rows, int cols, int bits, Pattern p, SplittableRandom rnd) {
        long s = Digits.base(bits);
        LongMatrix m = LongMatrix.zeros(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long v = switch (p) {
                    case SMALL -> rnd.nextLong(-(s - 1), s);
                    case EDGES -> new long[] {s - 1, -(s - 1), s, -s, 0, 1, -1}[rnd.nextInt(7)];
                    case HEAVY -> rnd.nextInt(10) == 0 ? rnd.nextLong(-50 * s, 50 * s + 1) : rnd.nextLong(-(s - 1), s);
                    case HUGE -> rnd.nextInt(4) == 0 ? (rnd.nextBoolean() ? 1 : -1) * ((1L << 28) - rnd.nextInt(3)) : rnd.nextLong(-3, 4);
                    case NEGATIVE_HEAVY_ROWS -> r % 2 == 0 ? -rnd.nextLong(s, 40 * s + 1) : rnd.nextLong(-(s - 1), s);
                    case ZEROS -> 0;
                    case ALL_OUT -> (rnd.nextBoolean() ? 1 : -1) * rnd.nextLong(s, 9 * s + 1);
                };
                m.set(r, c, v);
            }
        }
        return m;
    }

    static void assertUnpackedInRange(Unpacked u, int bits) {
        long s = Digits.base(bits);
        for (IntMatrix x : new IntMatrix[] {u.lhs(), u.rhs()}) {
            for (int v : x.data()) {
                assertThat(Math.abs((long) v)).isLessThan(s);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("bitsAndStrategies")
    void foldEqualsInt64GemmOnRandomAndEdgeShapes(int bits, UnpackStrategy strategy) {
        SplittableRandom rnd = new SplittableRandom(bits * 31L + strategy.ordinal());
        int[][] shapes = {{0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {0, 0, 0}, {1, 1, 1}, {5, 7, 1}, {1, 9, 6}, {8, 1, 5}, {6, 6, 6}, {13, 11, 17}};
        for (Pattern p : Pattern.values()) {
            for (int trial = 0; trial < shapes.length + 6; trial++) {
                int[] sh = trial < shapes.length ? shapes[trial]
                        : new int[] {1 + rnd.nextInt(12), 1 + rnd.nextInt(12), 1 + rnd.nextInt(12)};
                LongMatrix a = matrix(sh[0], sh[2], bits, p, rnd);
                LongMatrix w = matrix(sh[1], sh[2], bits, Pattern.values()[rnd.nextInt(Pattern.values().length)], rnd);
                Unpacked u = Unpacker.unpack(a, w, bits, strategy);
                assertUnpackedInRange(u, bits);
                long[] expected = ScalarGemm.exact(a, w).toArray();
                assertArrayEquals(expected, ImUnpackGemm.fold(u, SCALAR).toArray(),
                        () -> "b=" + bits + " " + strategy + " " + p + " shape " + java.util.Arrays.toString(sh));
                checkRatioAgainstDirectCount(a, w, bits, u.plan());
            }
        }
    }

    /** ROW: m' = Σ_r D(max|A[r,:]|) (same for n'); COLUMN: k' = Σ_c D(max|A[:,c]|)·D(max|W[:,c]|). */
    static void checkRatioAgainstDirectCount(LongMatrix a, LongMatrix w, int bits, UnpackPlan plan) {
        long mm = 0;
        for (int r = 0; r < a.rows(); r++) {
            long max = 0;
            for (int c = 0; c < a.cols(); c++) {
                max = Math.max(max, Math.abs(a.get(r, c)));
            }
            mm += Digits.count(max, bits);
        }
        long nn = 0;
        for (int r = 0; r < w.rows(); r++) {
            long max = 0;
            for (int c = 0; c < w.cols(); c++) {
                max = Math.max(max, Math.abs(w.get(r, c)));
            }
            nn += Digits.count(max, bits);
        }
        long kk = 0;
        for (int c = 0; c < a.cols(); c++) {
            long ma = 0;
            long mw = 0;
            for (int r = 0; r < a.rows(); r++) {
                ma = Math.max(ma, Math.abs(a.get(r, c)));
            }
            for (int r = 0; r < w.rows(); r++) {
                mw = Math.max(mw, Math.abs(w.get(r, c)));
            }
            kk += (long) Digits.count(ma, bits) * Digits.count(mw, bits);
        }
        double base = (double) a.rows() * w.rows() * a.cols();
        switch (plan.strategy()) {
            case ROW -> {
                assertThat(plan.unpackedM()).isEqualTo(mm);
                assertThat(plan.unpackedN()).isEqualTo(nn);
                assertThat(plan.unpackedK()).isEqualTo(a.cols());
                assertThat(plan.ratio()).isEqualTo(base == 0 ? 1.0 : mm * nn * a.cols() / base);
            }
            case COLUMN -> {
                assertThat(plan.unpackedM()).isEqualTo(a.rows());
                assertThat(plan.unpackedN()).isEqualTo(w.rows());
                assertThat(plan.unpackedK()).isEqualTo(kk);
                assertThat(plan.ratio()).isEqualTo(base == 0 ? 1.0 : a.rows() * w.rows() * kk / base);
            }
            default -> assertThat(plan.ratio()).isGreaterThanOrEqualTo(base == 0 ? 1.0 : 1.0 - 1e-12);
        }
    }

    @Test
    void autoPicksTheCheapest() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int t = 0; t < 30; t++) {
            LongMatrix a = matrix(1 + rnd.nextInt(10), 1 + rnd.nextInt(10), 4, Pattern.HEAVY, rnd);
            LongMatrix w = matrix(1 + rnd.nextInt(10), a.cols(), 4, Pattern.HEAVY, rnd);
            double best = Math.min(Unpacker.unpack(a, w, 4, UnpackStrategy.ROW).plan().work(),
                    Math.min(Unpacker.unpack(a, w, 4, UnpackStrategy.COLUMN).plan().work(),
                            Unpacker.unpack(a, w, 4, UnpackStrategy.BOTH).plan().work()));
            assertThat(Unpacker.unpack(a, w, 4, UnpackStrategy.AUTO).plan().work()).isEqualTo(best);
        }
    }

    @Test
    void columnOutliersFavourColumnStrategy() {
        // an outlier channel puts a heavy hitter in every row of A: ROW doubles A, COLUMN splits one column
        LongMatrix a = LongMatrix.zeros(16, 8);
        for (int r = 0; r < 16; r++) {
            a.set(r, 3, 100);
            a.set(r, 0, 1);
        }
        LongMatrix w = LongMatrix.zeros(4, 8);
        assertThat(Unpacker.unpack(a, w, 4, UnpackStrategy.ROW).plan().unpackedM()).isEqualTo(48);
        assertThat(Unpacker.unpack(a, w, 4, UnpackStrategy.COLUMN).plan().unpackedK()).isEqualTo(10);
        assertThat(Unpacker.unpack(a, w, 4, UnpackStrategy.BOTH).plan().unpackedK()).isEqualTo(10);
        assertThat(Unpacker.unpack(a, w, 4, UnpackStrategy.BOTH).plan().unpackedM()).isEqualTo(16);
    }

    @ParameterizedTest
    @EnumSource(value = UnpackStrategy.class)
    void overflowIsAnErrorNeverAWrap(UnpackStrategy s) {
        LongMatrix a = LongMatrix.of(new long[] {1L << 62, 1L << 62});
        LongMatrix w = LongMatrix.of(new long[] {1, 1});
        assertThatThrownBy(() -> ScalarGemm.exact(a, w)).isInstanceOf(LowbitException.class).hasMessageContaining("overflow");
        assertThatThrownBy(() -> ImUnpackGemm.exactProduct(a, w, 4, s, SCALAR)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("overflow");
        // just below the limit works: 2^62 − 1 + 2^62 = 2^63 − 1
        LongMatrix ok = LongMatrix.of(new long[] {(1L << 62) - 1, 1L << 62});
        assertArrayEquals(new long[] {Long.MAX_VALUE}, ImUnpackGemm.exactProduct(ok, w, 2, s, SCALAR).toArray());
        assertArrayEquals(new long[] {Long.MAX_VALUE}, ScalarGemm.exact(ok, w).toArray());
    }

    @Test
    void rejectsBadArguments() {
        LongMatrix a = LongMatrix.zeros(2, 3);
        assertThatThrownBy(() -> Unpacker.unpack(a, LongMatrix.zeros(2, 4), 4, UnpackStrategy.ROW))
                .isInstanceOf(LowbitException.class).hasMessageContaining("inner dimensions differ");
        assertThatThrownBy(() -> Unpacker.unpack(a, a, 1, UnpackStrategy.ROW)).hasMessageContaining("bits must be in 2..16");
        assertThatThrownBy(() -> Unpacker.unpack(a, a, 17, UnpackStrategy.ROW)).hasMessageContaining("bits must be in 2..16");
        assertThatThrownBy(() -> UnpackStrategy.parse("diagonal")).hasMessageContaining("unknown strategy");
        LongMatrix min = LongMatrix.of(new long[] {Long.MIN_VALUE});
        assertThatThrownBy(() -> Unpacker.unpack(min, min, 4, UnpackStrategy.ROW)).hasMessageContaining("-2^63");
    }

    @Test
    void viewsAreUnpackedLikeCopies() {
        SplittableRandom rnd = new SplittableRandom(5);
        LongMatrix big = matrix(10, 12, 4, Pattern.HEAVY, rnd);
        LongMatrix view = big.view(2, 3, 5, 6);
        LongMatrix w = matrix(4, 6, 4, Pattern.HEAVY, rnd);
        for (UnpackStrategy s : UnpackStrategy.values()) {
            assertArrayEquals(ScalarGemm.exact(view.copy(), w).toArray(), ImUnpackGemm.exactProduct(view, w, 4, s, SCALAR).toArray());
        }
    }
}
