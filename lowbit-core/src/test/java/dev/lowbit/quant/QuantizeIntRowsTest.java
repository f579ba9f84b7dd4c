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

/**
 * {@link RtnQuantizer#quantizeIntRows} against the reference {@link RtnQuantizer#quantize}: per row it equals ROW
 * granularity, per block of rows it equals TENSOR granularity on the block's view — codes, scales and alphas bit for
 * bit, maxima and heavy-hitter counts from the codes.
 */
class QuantizeIntRowsTest {
    static final QuantParams[] PARAMS = {
        QuantParams.P95_N15, QuantParams.P95_N15.withNonZeroAlpha(true), QuantParams.of(0.95, 255).withNonZeroAlpha(true),
        new QuantParams(0.95, 16383, Granularity.TENSOR, false, true), QuantParams.of(1.0, 254), QuantParams.P95_N15.withClip(true),
        QuantParams.of(0.5, 3), QuantParams.of(1.0, 255).withNonZeroAlpha(true)};

    /** The reference codes and per-row scales/alphas, or null when the reference rejects the codes (beyond 2^62). */
    static long[][] reference(FloatMatrix x, QuantParams p, int[] blocks, double[] scales, double[] alphas) {
        long[] codes = new long[x.rows() * x.cols()];
        try {
            if (blocks == null) {
                QuantizedMatrix q = RtnQuantizer.quantize(x, p.withGranularity(Granularity.ROW), "x");
                System.arraycopy(q.codes().data(), 0, codes, 0, codes.length);
                System.arraycopy(q.scales(), 0, scales, 0, x.rows());
                System.arraycopy(q.alphas(), 0, alphas, 0, x.rows());
            } else {
                for (int b = 0; b + 1 < blocks.length; b++) {
                    int rows = blocks[b + 1] - blocks[b];
                    if (rows == 0) {
                        continue;
                    }
                    QuantizedMatrix q = RtnQuantizer.quantize(x.view(blocks[b], 0, rows, x.cols()), p.withGranularity(Granularity.TENSOR), "x");
                    System.arraycopy(q.codes().data(), 0, codes, blocks[b] * x.cols(), rows * x.cols());
                    Arrays.fill(scales, blocks[b], blocks[b + 1], q.scales()[0]);
                    Arrays.fill(alphas, blocks[b], blocks[b + 1], q.alphas()[0]);
                }
            }
        } catch (LowbitException e) {
            return null;
        }
        return new long[][] {codes};
    }

    static void assertSame(FloatMatrix x, QuantParams p, int[] blocks) {
        double[] scales = new double[x.rows()];
        double[] alphas = new double[x.rows()];
        long[][] ref = reference(x, p, blocks, scales, alphas);
        String what = p.label() + " blocks " + Arrays.toString(blocks) + " " + x.shapeString();
        RtnQuantizer.RowIntCodes got = RtnQuantizer.quantizeIntRows(x, p, blocks, 8, "x");
        if (ref == null || Arrays.stream(ref[0]).anyMatch(v -> Math.abs(v) > 1L << 30)) {
            assertThat(got).as(what).isNull();
            return;
        }
        assertThat(got).as(what).isNotNull();
        assertArrayEquals(ref[0], Arrays.stream(got.codes()).asLongStream().toArray(), what);
        assertArrayEquals(scales, got.scales(), what + " scales");
        assertArrayEquals(alphas, got.alphas(), what + " alphas");
        RtnQuantizer.RowIntCodes direct = RtnQuantizer.RowIntCodes.of(got.codes(), got.rows(), got.cols(), got.scales(), 8);
        assertArrayEquals(direct.rowMax(), got.rowMax(), what + " row maxima");
        assertArrayEquals(direct.colMax(), got.colMax(), what + " column maxima");
        assertThat(got.maxAbs()).isEqualTo(direct.maxAbs());
        assertThat(got.heavy()).as(what).isEqualTo(direct.heavy());
        for (long thr : new long[] {1, 2, 7, 9, 128, 1L << 40}) {
            RtnQuantizer.RowIntCodes t = RtnQuantizer.quantizeIntRows(x, p, blocks, thr, "x");
            assertThat(t.heavy()).as("%s threshold %d", what, thr)
                    .isEqualTo(RtnQuantizer.RowIntCodes.of(got.codes(), got.rows(), got.cols(), got.scales(), thr).heavy());
        }
        LongMatrix l = got.toLongMatrix();
        assertArrayEquals(ref[0], l.data());
    }

    static void assertSameAllBlockings(FloatMatrix x, QuantParams p) {
        assertSame(x, p, null);
        assertSame(x, p, new int[] {0, x.rows()});
        int mid = x.rows() / 3;
        assertSame(x, p, new int[] {0, mid, mid, x.rows()}); // an empty block
    }

    @Test
    void codesEqualTheReferenceOnRandomMatrices() {
        long seed = 1;
        for (int[] s : new int[][] {{1, 1}, {3, 7}, {64, 24}, {40, 96}, {5, 384}, {9, 1536}, {2, 3000}}) {
            for (QuantParams p : PARAMS) {
                assertSameAllBlockings(RandomMatrices.gaussian(s[0], s[1], seed++), p);
                assertSameAllBlockings(RandomMatrices.studentT(s[0], s[1], 2, seed++), p);
                assertSameAllBlockings(RandomMatrices.outlierChannels(s[0], s[1], Math.min(2, s[1]), 40, seed++), p);
            }
        }
    }

    @Test
    void edgeInputs() {
        for (QuantParams p : PARAMS) {
            assertSameAllBlockings(FloatMatrix.zeros(4, 5), p);
            assertSameAllBlockings(FloatMatrix.zeros(0, 3), p);
            assertSameAllBlockings(FloatMatrix.zeros(3, 0), p);
            // zero rows next to ordinary ones, and a mostly-zero row (p95 on zeros: huge codes without the non-zero rule)
            FloatMatrix x = RandomMatrices.gaussian(6, 40, 5).copy();
            for (int c = 0; c < 40; c++) {
                x.set(1, c, 0f);
                x.set(4, c, c == 7 ? 3f : 0f);
            }
            assertSameAllBlockings(x, p);
            // a strided view, ties at .5 and negative zero
            assertSameAllBlockings(RandomMatrices.gaussian(30, 40, 9).view(3, 5, 20, 17), p);
            assertSameAllBlockings(FloatMatrix.of(new float[] {0.5f, -0.5f, 1.5f, -2.5f, -0f, 7.5f}, new float[] {2.5f, 0f, 0f, 0f, 0f, 0f}), p);
        }
    }

    @Test
    void nonFiniteInputIsAOneLineError() {
        FloatMatrix x = RandomMatrices.gaussian(4, 4, 1).copy();
        x.set(2, 3, Float.NaN);
        for (int[] blocks : new int[][] {null, {0, 4}}) {
            assertThatThrownBy(() -> RtnQuantizer.quantizeIntRows(x, QuantParams.P95_N15, blocks, 8, "lhs"))
                    .isInstanceOf(LowbitException.class).hasMessageContaining("lhs").hasMessageContaining("(2, 3)")
                    .hasMessageNotContaining("\n");
        }
        x.set(2, 3, Float.POSITIVE_INFINITY);
        assertThatThrownBy(() -> RtnQuantizer.quantizeIntRows(x, QuantParams.P95_N15, null, 8, "lhs")).isInstanceOf(LowbitException.class)
                .hasMessageContaining("Infinity");
    }

    @Test
    void kthLargestOfBitsEqualsSorting() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(6);
        for (int trial = 0; trial < 400; trial++) {
            int n = 1 + rnd.nextInt(trial < 200 ? 40 : 3000);
            int[] bits = new int[n];
            for (int i = 0; i < n; i++) {
                bits[i] = switch (trial % 5) {
                    case 0 -> Float.floatToRawIntBits((float) Math.abs(rnd.nextGaussian()));
                    case 1 -> rnd.nextInt(3) == 0 ? 0 : Float.floatToRawIntBits((float) Math.abs(rnd.nextGaussian()));
                    case 2 -> Float.floatToRawIntBits(1f); // all equal
                    case 3 -> rnd.nextInt(4); // many ties
                    default -> rnd.nextInt(0x7F800000); // any finite non-negative float
                };
            }
            int[] sorted = bits.clone();
            Arrays.sort(sorted);
            int[] before = bits.clone();
            for (int kTop : new int[] {1, Math.min(2, n), Math.max(1, n / 20), Math.max(1, n / 2), n, 1 + rnd.nextInt(n)}) {
                assertThat(Selection.kthLargestBits(bits, n, kTop, new int[n])).as("n %d kTop %d", n, kTop).isEqualTo(sorted[n - kTop]);
            }
            assertArrayEquals(before, bits, "not modified");
        }
    }

    /** Inputs large enough for the two-sided bracket, any parallelism, including inputs where it must fall back. */
    @Test
    void bracketedSelectionEqualsSorting() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (int trial = 0; trial < 12; trial++) {
            int n = Selection.BRACKET_MIN + rnd.nextInt(200_000);
            int[] bits = new int[n];
            for (int i = 0; i < n; i++) {
                bits[i] = switch (trial % 6) {
                    case 0 -> Float.floatToRawIntBits((float) Math.abs(rnd.nextGaussian()));
                    case 1 -> rnd.nextInt(3) == 0 ? 0 : Float.floatToRawIntBits((float) Math.abs(rnd.nextGaussian()));
                    case 2 -> Float.floatToRawIntBits(1f); // all equal: the bracket cannot separate, falls back
                    case 3 -> rnd.nextInt(4); // many ties
                    case 4 -> i; // sorted: the stratified sample still brackets
                    default -> rnd.nextInt(0x7F800000);
                };
            }
            int[] sorted = bits.clone();
            Arrays.sort(sorted);
            int[] before = bits.clone();
            for (int kTop : new int[] {1, n / 20, n / 20 + 1, n / 2, n, 1 + rnd.nextInt(n)}) {
                for (int parallelism : new int[] {1, 3}) {
                    assertThat(Selection.kthLargestBits(bits, n, kTop, new int[n], dev.lowbit.numeric.VectorMaths.preferred(), parallelism))
                            .as("trial %d n %d kTop %d parallelism %d", trial, n, kTop, parallelism).isEqualTo(sorted[n - kTop]);
                }
            }
            assertArrayEquals(before, bits, "not modified");
        }
    }

    @Test
    void parallelQuantizationGivesTheSameResult() {
        FloatMatrix x = RandomMatrices.outlierChannels(700, 300, 3, 30, 5);
        int[] blocks = {0, 100, 100, 350, 700};
        for (int[] b : new int[][] {null, blocks}) {
            RtnQuantizer.RowIntCodes one = RtnQuantizer.quantizeIntRows(x, PARAMS[1], b, 8, "x", 1);
            for (int par : new int[] {2, 3, 7}) {
                RtnQuantizer.RowIntCodes many = RtnQuantizer.quantizeIntRows(x, PARAMS[1], b, 8, "x", par);
                assertArrayEquals(one.codes(), many.codes());
                assertArrayEquals(one.scales(), many.scales());
                assertArrayEquals(one.alphas(), many.alphas());
                assertArrayEquals(one.rowMax(), many.rowMax());
                assertArrayEquals(one.colMax(), many.colMax());
                assertThat(many.heavy()).isEqualTo(one.heavy());
                assertThat(many.maxAbs()).isEqualTo(one.maxAbs());
            }
        }
        FloatMatrix bad = x.copy();
        bad.set(650, 7, Float.NaN);
        assertThatThrownBy(() -> RtnQuantizer.quantizeIntRows(bad, PARAMS[1], null, 8, "x", 3)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("(650, 7)");
    }

    @Test
    void badBlocksAreRejected() {
        FloatMatrix x = RandomMatrices.gaussian(4, 4, 1);
        assertThatThrownBy(() -> RtnQuantizer.quantizeIntRows(x, QuantParams.P95_N15, new int[] {0, 3}, 8, "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RtnQuantizer.quantizeIntRows(x, QuantParams.P95_N15, new int[] {0, 3, 2, 4}, 8, "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
