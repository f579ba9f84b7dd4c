package dev.lowbit.simd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.numeric.ScalarVectorMath;
import dev.lowbit.numeric.VectorMath;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The RTN quantization kernels of {@link SimdVectorMath} (absBits, roundCodes, gatherBetween) against their scalar
 * twins (the defaults of {@link VectorMath}), bit for bit, at every length 0..70 and some longer, with offsets, at the
 * width this JVM runs (the pom runs 512/256/128 bits).
 */
class RtnKernelsTest {
    static final VectorMath SIMD = new SimdVectorMath();
    static final VectorMath SCALAR = new ScalarVectorMath();
    static final int[] LENGTHS = lengths();

    static int[] lengths() {
        int[] l = new int[75];
        for (int i = 0; i <= 70; i++) {
            l[i] = i;
        }
        l[71] = 384;
        l[72] = 1536;
        l[73] = 1001;
        l[74] = 127;
        return l;
    }

    static float[] values(SplittableRandom r, int n, int kind) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = switch (kind) {
                case 0 -> (float) (r.nextGaussian() * 3);
                case 1 -> (r.nextInt(40) - 20) * 0.5f; // ties after s = 1 and s = 2
                case 2 -> switch (r.nextInt(6)) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2 -> Float.MIN_VALUE * r.nextInt(1, 9);
                    case 3 -> -Float.MIN_NORMAL;
                    default -> (float) (r.nextGaussian() * 1e-30);
                };
                default -> (float) ((r.nextBoolean() ? 1 : -1) * r.nextDouble() * 1000);
            };
        }
        return x;
    }

    @Test
    void absBitsIsBitIdentical() {
        SplittableRandom r = new SplittableRandom(1);
        for (int n : LENGTHS) {
            for (int kind = 0; kind < 4; kind++) {
                float[] x = values(r, n + 3, kind);
                if (n > 0 && kind == 3) {
                    x[3 + r.nextInt(n)] = r.nextBoolean() ? Float.NaN : Float.NEGATIVE_INFINITY;
                }
                int[] a = new int[n + 5];
                int[] b = new int[n + 5];
                int max = SCALAR.absBits(x, 3, b, 2, n);
                assertThat(SIMD.absBits(x, 3, a, 2, n)).as("n %d kind %d", n, kind).isEqualTo(max);
                assertArrayEquals(b, a, "n " + n);
                assertThat(SIMD.maxAbsBits(x, 3, n)).as("maxAbsBits n %d kind %d", n, kind).isEqualTo(max);
                assertThat(SCALAR.maxAbsBits(x, 3, n)).isEqualTo(max);
            }
        }
    }

    @Test
    void roundCodesIsBitIdentical() {
        SplittableRandom r = new SplittableRandom(2);
        for (int n : LENGTHS) {
            for (int kind = 0; kind < 4; kind++) {
                float[] x = values(r, n + 1, kind);
                double max = 0;
                for (float v : x) {
                    max = Math.max(max, Math.abs(v));
                }
                // scales up to the largest that keeps |x·s| ≤ 2^30, and ties: s = 1, 2
                for (double s : new double[] {1, 2, 7.5 / Math.max(max, 1e-20) * 0.37, 0x1p30 / Math.max(max, 1e-30), 3.3}) {
                    if (max * s > 0x1p30) {
                        continue;
                    }
                    int[] ca = new int[n + 4];
                    int[] cb = new int[n + 4];
                    int[] ma = new int[n + 2];
                    int[] mb = new int[n + 2];
                    for (int i = 0; i < n + 2; i++) {
                        ma[i] = mb[i] = r.nextInt(20);
                    }
                    for (int thr : new int[] {0, 1, 8, 128, Integer.MAX_VALUE}) {
                        int got = SIMD.roundCodes(x, 1, s, ca, 4, ma, 2, thr, n);
                        int want = SCALAR.roundCodes(x, 1, s, cb, 4, mb, 2, thr, n);
                        assertThat(got).as("n %d kind %d s %s thr %d", n, kind, s, thr).isEqualTo(want);
                        assertArrayEquals(cb, ca, "codes n " + n + " s " + s);
                        assertArrayEquals(mb, ma, "column maxima n " + n);
                    }
                }
            }
        }
    }

    @Test
    void gatherBetweenIsBitIdentical() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : LENGTHS) {
            int[] a = new int[n + 3];
            for (int i = 0; i < a.length; i++) {
                a[i] = r.nextInt(100);
            }
            int[][] brackets = {{0, 50}, {50, 50}, {20, 90}, {90, 100}, {0, Integer.MAX_VALUE}, {100, Integer.MAX_VALUE}};
            for (int[] lh : brackets) {
                int[] oa = new int[n + 5];
                int[] ob = new int[n + 5];
                long ga = SIMD.gatherBetween(a, 3, n, lh[0], lh[1], oa, 5);
                long gb = SCALAR.gatherBetween(a, 3, n, lh[0], lh[1], ob, 5);
                long above = 0;
                int between = 0;
                for (int i = 0; i < n; i++) {
                    above += a[3 + i] >= lh[1] ? 1 : 0;
                    between += a[3 + i] >= lh[0] && a[3 + i] < lh[1] ? 1 : 0;
                }
                assertThat(gb).as("scalar n %d", n).isEqualTo(above << 32 | between);
                assertThat(ga).as("n %d [%d, %d)", n, lh[0], lh[1]).isEqualTo(gb);
                assertArrayEquals(Arrays.copyOfRange(ob, 5, 5 + between), Arrays.copyOfRange(oa, 5, 5 + between), "n " + n);
            }
        }
    }

    @Test
    void rescaleRowIsBitIdentical() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : LENGTHS) {
            float[] c = new float[n + 2];
            double[] sw = new double[n];
            for (int j = 0; j < n; j++) {
                c[j + 2] = r.nextInt(-(1 << 24) + 1, 1 << 24);
                sw[j] = Math.scalb(1 + r.nextDouble(), r.nextInt(-30, 30));
            }
            float[] a = new float[n + 1];
            float[] b = new float[n + 1];
            double si = Math.scalb(1 + r.nextDouble(), r.nextInt(-30, 30));
            SIMD.rescaleRow(c, 2, si, sw, a, 1, n);
            SCALAR.rescaleRow(c, 2, si, sw, b, 1, n);
            assertArrayEquals(b, a, "n " + n);
        }
    }

    @Test
    void quantizerCodesDoNotDependOnTheKernels() {
        // quantizeIntRows uses the preferred VectorMath (simd here): its codes equal the reference quantizer's
        for (QuantParams p : new QuantParams[] {QuantParams.P95_N15.withNonZeroAlpha(true), QuantParams.of(1.0, 254),
            QuantParams.of(0.95, 255)}) {
            for (int cols : new int[] {1, 37, 384, 1536}) {
                FloatMatrix x = RandomMatrices.studentT(50, cols, 3, cols);
                RtnQuantizer.RowIntCodes c = RtnQuantizer.quantizeIntRows(x, p, null, 8, "x");
                long[] ref = RtnQuantizer.quantize(x, p.withGranularity(dev.lowbit.format.Granularity.ROW), "x").codes().data();
                assertArrayEquals(ref, Arrays.stream(c.codes()).asLongStream().toArray(), p.label() + " cols " + cols);
                RtnQuantizer.RowIntCodes blocks = RtnQuantizer.quantizeIntRows(x, p, new int[] {0, 20, 50}, 8, "x");
                long[] b0 = RtnQuantizer.quantize(x.view(0, 0, 20, cols), p, "x").codes().data();
                assertArrayEquals(b0, Arrays.stream(Arrays.copyOf(blocks.codes(), 20 * cols)).asLongStream().toArray());
            }
        }
    }
}
