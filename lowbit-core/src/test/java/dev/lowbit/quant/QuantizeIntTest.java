package dev.lowbit.quant;

import dev.lowbit.format.Granularity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The int32 fast path of the RTN quantizer against the reference {@link RtnQuantizer#quantize}, and the O(n) selection. */
class QuantizeIntTest {
    static final QuantParams[] PARAMS = {
        QuantParams.P95_N15, QuantParams.P95_N15.withNonZeroAlpha(true), new QuantParams(0.95, 16383, Granularity.TENSOR, false, true),
        QuantParams.of(1.0, 255), QuantParams.P95_N15.withClip(true), QuantParams.of(0.5, 3)};

    static void assertSame(FloatMatrix x, QuantParams p) {
        QuantizedMatrix ref;
        try {
            ref = RtnQuantizer.quantize(x, p, "x");
        } catch (LowbitException e) {
            // codes beyond 2^62 in the reference: the int path must decline (the caller then reports the error)
            assertThat(RtnQuantizer.quantizeInt(x, p, "x")).isNull();
            return;
        }
        for (boolean transpose : new boolean[] {false, true}) {
            RtnQuantizer.IntCodes got = RtnQuantizer.quantizeInt(x, p, "x", transpose, 8);
            assertThat(got).as(p.label()).isNotNull();
            assertThat(got.scale()).isEqualTo(ref.scales()[0]);
            assertThat(got.alpha()).isEqualTo(ref.alphas()[0]);
            LongMatrix codes = transpose ? transpose(ref.codes()) : ref.codes();
            long[] expected = new long[x.rows() * x.cols()];
            long max = 0;
            for (int r = 0; r < codes.rows(); r++) {
                for (int c = 0; c < codes.cols(); c++) {
                    expected[r * codes.cols() + c] = codes.get(r, c);
                    max = Math.max(max, Math.abs(codes.get(r, c)));
                }
            }
            assertArrayEquals(expected, Arrays.stream(got.codes()).asLongStream().toArray(), p.label() + " transpose " + transpose);
            assertThat((long) got.maxAbs()).isEqualTo(max);
            assertThat(got.rows()).isEqualTo(codes.rows());
            // maxima and heavy-hitter count from the magnitudes equal those of the codes themselves
            RtnQuantizer.IntCodes direct = RtnQuantizer.IntCodes.of(got.codes(), got.rows(), got.cols(), got.scale(), got.alpha(), 8);
            assertArrayEquals(direct.rowMax(), got.rowMax(), "row maxima");
            assertArrayEquals(direct.colMax(), got.colMax(), "column maxima");
            assertThat(got.heavy()).isEqualTo(direct.heavy()).isEqualTo(ref.countAtLeast(8));
            for (long thr : new long[] {1, 2, 7, 9, 128}) {
                assertThat(RtnQuantizer.quantizeInt(x, p, "x", transpose, thr).heavy()).as("threshold %d", thr)
                        .isEqualTo(ref.countAtLeast(thr));
            }
        }
    }

    static LongMatrix transpose(LongMatrix m) {
        LongMatrix t = LongMatrix.zeros(m.cols(), m.rows());
        for (int r = 0; r < m.rows(); r++) {
            for (int c = 0; c < m.cols(); c++) {
                t.set(c, r, m.get(r, c));
            }
        }
        return t;
    }

    @Test
    void intCodesEqualTheReferenceCodes() {
        long seed = 1;
        for (int[] s : new int[][] {{1, 1}, {3, 7}, {64, 24}, {40, 96}, {2048, 9}, {5, 300}}) {
            for (QuantParams p : PARAMS) {
                assertSame(RandomMatrices.gaussian(s[0], s[1], seed++), p);
                assertSame(RandomMatrices.studentT(s[0], s[1], 2, seed++), p);
                assertSame(RandomMatrices.outlierChannels(s[0], s[1], Math.min(2, s[1]), 40, seed++), p);
            }
        }
    }

    @Test
    void sameCodesForAnyParallelism() {
        // 2 × 65536 entries and more: the passes are shared out; a strided view and outlier rows in one part only
        FloatMatrix wide = RandomMatrices.studentT(700, 260, 2, 11).view(1, 3, 650, 211);
        FloatMatrix outliers = RandomMatrices.outlierChannels(300, 1000, 3, 60, 12);
        for (int r = 0; r < 10; r++) {
            outliers.set(r, 5, 1e4f * (r + 1));
        }
        for (FloatMatrix x : new FloatMatrix[] {wide, outliers}) {
            for (QuantParams p : PARAMS) {
                RtnQuantizer.IntCodes one = RtnQuantizer.quantizeInt(x, p, "x", false, 8, 1);
                for (int parallelism : new int[] {2, 3, 8}) {
                    for (boolean transpose : new boolean[] {false, true}) {
                        RtnQuantizer.IntCodes got = RtnQuantizer.quantizeInt(x, p, "x", transpose, 8, parallelism);
                        RtnQuantizer.IntCodes want = transpose ? one.transposed() : one;
                        assertArrayEquals(want.codes(), got.codes(), p.label() + " parallelism " + parallelism);
                        assertArrayEquals(want.rowMax(), got.rowMax());
                        assertArrayEquals(want.colMax(), got.colMax());
                        assertThat(got.heavy()).isEqualTo(want.heavy());
                        assertThat(got.scale()).isEqualTo(want.scale());
                    }
                }
            }
            assertSame(x, QuantParams.P95_N15);
        }
    }

    @Test
    void edgeTensors() {
        for (QuantParams p : PARAMS) {
            assertSame(FloatMatrix.zeros(4, 5), p);
            assertSame(FloatMatrix.zeros(0, 3), p);
            // mostly zero: one row of fifty carries the gradient (the ViT's CLS readout)
            FloatMatrix sparse = FloatMatrix.zeros(50, 8);
            for (int c = 0; c < 8; c++) {
                sparse.set(7, c, c - 3.5f);
            }
            assertSame(sparse, p);
            // strided view of a wider matrix
            assertSame(RandomMatrices.gaussian(30, 40, 9).view(3, 5, 20, 17), p);
            // ties at .5 (rint rounds to even) and negative zero
            FloatMatrix ties = FloatMatrix.of(new float[] {0.5f, -0.5f, 1.5f, -2.5f, -0f, 7.5f});
            assertSame(ties, p);
        }
    }

    @Test
    void returnsNullWhereTheIntPathDoesNotApply() {
        FloatMatrix x = RandomMatrices.gaussian(6, 6, 3);
        assertThat(RtnQuantizer.quantizeInt(x, QuantParams.P95_N15.withGranularity(Granularity.ROW), "x")).isNull();
        // p95 of a mostly-zero tensor without the non-zero rule: alpha floors at 1e-20, codes far beyond 2^30
        FloatMatrix sparse = FloatMatrix.zeros(50, 8);
        sparse.set(1, 1, 1f);
        assertThat(RtnQuantizer.quantizeInt(sparse, QuantParams.P95_N15, "x")).isNull();
    }

    @Test
    void nonFiniteInputIsAnErrorNamingTheEntry() {
        FloatMatrix x = RandomMatrices.gaussian(4, 4, 1);
        x.set(2, 3, Float.NaN);
        assertThatThrownBy(() -> RtnQuantizer.quantizeInt(x, QuantParams.P95_N15, "lhs")).isInstanceOf(LowbitException.class)
                .hasMessageContaining("lhs").hasMessageContaining("(2, 3)");
        x.set(2, 3, Float.NEGATIVE_INFINITY);
        assertThatThrownBy(() -> RtnQuantizer.quantizeInt(x, QuantParams.P95_N15, "lhs")).isInstanceOf(LowbitException.class);
    }

    @Test
    void histogramSelectionEqualsSorting() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int trial = 0; trial < 60; trial++) {
            int n = new int[] {1, 5, 1023, 1024, 1025, 4096, 20000, 70000}[trial % 8];
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = switch (trial % 4) {
                    case 0 -> (float) Math.abs(rnd.nextGaussian());
                    case 1 -> rnd.nextInt(3) == 0 ? 0f : (float) Math.abs(rnd.nextGaussian() * 1e-30);
                    case 2 -> 1f; // all equal
                    default -> Float.intBitsToFloat(rnd.nextInt(0x7F800000)); // any finite non-negative float
                };
            }
            float[] sorted = a.clone();
            Arrays.sort(sorted);
            float[] before = a.clone();
            for (int k : new int[] {0, n / 2, n - 1, (int) (n * 0.95)}) {
                assertThat(Selection.selectNonNegative(a, k)).as("n %d k %d", n, k).isEqualTo(sorted[k]);
            }
            assertArrayEquals(before, a, "not reordered");
        }
    }
}
