package dev.lowbit.quant;

import dev.lowbit.format.Granularity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RtnQuantizerTest {

    /** Reference alpha by full sort, straight from the definition. */
    private static double refAlpha(float[] x, double beta) {
        double[] mags = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            mags[i] = Math.abs(x[i]);
        }
        Arrays.sort(mags);
        long kTop = (long) Math.floor(x.length * (1.0 - beta));
        double alpha = kTop == 0 ? mags[mags.length - 1] : mags[(int) (mags.length - kTop)];
        return Math.max(alpha, 1e-20);
    }

    @Test
    void percentileAlphaMatchesSortedDefinition() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(500);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                // many ties and zeros on purpose
                x[i] = rnd.nextInt(4) == 0 ? 0 : (float) Math.round(rnd.nextGaussian() * 4) / 2f;
            }
            double beta = new double[] {0.5, 0.9, 0.95, 0.99, 0.999, 1.0}[trial % 6];
            double expected = refAlpha(x, beta);
            float[] mags = new float[n];
            for (int i = 0; i < n; i++) {
                mags[i] = Math.abs(x[i]);
            }
            assertThat(RtnQuantizer.percentileAlpha(mags, beta)).as("n=%d beta=%s", n, beta).isEqualTo(expected);
        }
    }

    @Test
    void handComputedExample() {
        // 20 values; |x| sorted descending: 10, 5, 4, 3, 2, then 0.95 … 0.1
        float[] v = new float[20];
        float[] big = {10, -5, 4, -3, 2};
        System.arraycopy(big, 0, v, 0, 5);
        for (int i = 5; i < 20; i++) {
            v[i] = (i % 2 == 0 ? 1 : -1) * (i / 20f);
        }
        FloatMatrix x = FloatMatrix.wrap(v, 4, 5);
        // beta 0.75: k_top = floor(20·0.25) = 5 → alpha = 5th largest = 2, s = 7.5/2 = 3.75
        QuantizedMatrix q = RtnQuantizer.quantize(x, QuantParams.of(0.75, 15));
        assertThat(q.alphas()[0]).isEqualTo(2.0);
        assertThat(q.scales()[0]).isEqualTo(3.75);
        assertThat(q.codes().get(0, 0)).isEqualTo(38); // 37.5 → 38 (even): heavy hitter kept, not clipped to 7
        assertThat(q.codes().get(0, 1)).isEqualTo(-19); // −18.75
        // beta 0.9: 1 − 0.9 = 0.09999999999999998 in double, so k_top = floor(1.9999999999999996) = 1 → alpha = max
        QuantizedMatrix p90 = RtnQuantizer.quantize(x, QuantParams.of(0.90, 15));
        assertThat(p90.alphas()[0]).isEqualTo(10.0);
        assertThat(p90.codes().get(0, 0)).isEqualTo(8); // 7.5 → 8: the absmax element is itself out of int4 range
        assertThat(p90.codes().get(0, 1)).isEqualTo(-4); // −3.75
    }

    @Test
    void tiesGoToEven() {
        // s = (4/2)/alpha with alpha = 2 → s = 1: codes are rint(x)
        FloatMatrix x = FloatMatrix.of(new float[] {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2f});
        QuantizedMatrix q = RtnQuantizer.quantize(x, QuantParams.of(1.0, 2).withGranularity(Granularity.TENSOR));
        assertThat(q.scales()[0]).isEqualTo(1.0 / 2.5);
        FloatMatrix y = FloatMatrix.of(new float[] {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 1f});
        QuantizedMatrix q2 = RtnQuantizer.quantize(y, QuantParams.of(1.0, 5)); // alpha = 2.5, s = 1
        assertArrayEquals(new long[] {0, 2, 2, 0, -2, -2, 1}, q2.codes().toArray());
    }

    @Test
    void clippingVariantClampsToLevels() {
        FloatMatrix x = RandomMatrices.studentT(16, 64, 3, 5);
        QuantizedMatrix kept = RtnQuantizer.quantize(x, QuantParams.P95_N15);
        QuantizedMatrix clipped = RtnQuantizer.quantize(x, QuantParams.P95_N15.withClip(true));
        assertThat(kept.maxAbs()).isGreaterThan(7);
        assertThat(clipped.maxAbs()).isEqualTo(7);
        for (int i = 0; i < kept.codes().data().length; i++) {
            long k = kept.codes().data()[i];
            assertThat(clipped.codes().data()[i]).isEqualTo(Math.max(-7, Math.min(7, k)));
        }
        // about 5 % heavy hitters (|q| ≥ 7.5 rounds to ≥ 8)
        assertThat(kept.countAtLeast(8)).isBetween(40L, 60L);
    }

    @Test
    void allZeroMatrixUsesFlooredAlpha() {
        QuantizedMatrix q = RtnQuantizer.quantize(FloatMatrix.zeros(3, 4), QuantParams.P95_N15);
        assertThat(q.alphas()[0]).isEqualTo(1e-20);
        assertThat(q.maxAbs()).isZero();
    }

    @Test
    void nonFiniteInputIsAnErrorNamingThePosition() {
        FloatMatrix x = FloatMatrix.of(new float[] {1, 2}, new float[] {Float.NaN, 4});
        assertThatThrownBy(() -> RtnQuantizer.quantize(x, QuantParams.P95_N15, "A.npy"))
                .isInstanceOf(LowbitException.class).hasMessage("A.npy: non-finite value NaN at (1, 0)");
        FloatMatrix y = FloatMatrix.of(new float[] {Float.NEGATIVE_INFINITY});
        assertThatThrownBy(() -> RtnQuantizer.quantize(y, QuantParams.P95_N15)).hasMessageContaining("-Infinity");
    }

    @Test
    void codesBeyondInt64RangeAreAnError() {
        // 99 zeros and one 1: alpha floors at 1e-20 and the code would be 7.5e20
        float[] v = new float[100];
        v[42] = 1;
        assertThatThrownBy(() -> RtnQuantizer.quantize(FloatMatrix.wrap(v, 10, 10), QuantParams.P95_N15))
                .isInstanceOf(LowbitException.class).hasMessageContaining("exceeds 2^62").hasMessageContaining("(4, 2)");
    }

    @Test
    void nonZeroVariantTakesThePercentileOverNonZeros() {
        // 98 zeros and two values: the reference semantics overflow, the non-zero variant uses alpha over {1, 3}
        float[] v = new float[100];
        v[10] = 1;
        v[20] = -3;
        FloatMatrix x = FloatMatrix.wrap(v, 10, 10);
        assertThatThrownBy(() -> RtnQuantizer.quantize(x, QuantParams.P95_N15)).isInstanceOf(LowbitException.class);
        QuantizedMatrix q = RtnQuantizer.quantize(x, QuantParams.P95_N15.withNonZeroAlpha(true));
        // k_top = floor(2·0.05) = 0 → alpha = max = 3, s = 7.5/3 = 2.5: codes 2.5 → 2 (even) and −7.5 → −8
        assertThat(q.alphas()[0]).isEqualTo(3.0);
        assertThat(q.codes().get(1, 0)).isEqualTo(2);
        assertThat(q.codes().get(2, 0)).isEqualTo(-8);
        // a dense tensor is unaffected
        FloatMatrix d = RandomMatrices.gaussian(8, 8, 1);
        assertArrayEquals(RtnQuantizer.quantize(d, QuantParams.P95_N15).codes().toArray(),
                RtnQuantizer.quantize(d, QuantParams.P95_N15.withNonZeroAlpha(true)).codes().toArray());
        assertThat(RtnQuantizer.quantize(FloatMatrix.zeros(2, 2), QuantParams.P95_N15.withNonZeroAlpha(true)).maxAbs()).isZero();
    }

    @Test
    void granularitiesUseTheirOwnCells() {
        FloatMatrix x = RandomMatrices.gaussian(6, 10, 3);
        for (int r = 0; r < 6; r++) {
            for (int c = 0; c < 10; c++) {
                x.set(r, c, x.get(r, c) * (1 + r) * (c < 4 ? 1 : 100));
            }
        }
        QuantParams base = QuantParams.of(1.0, 255);
        QuantizedMatrix perRow = RtnQuantizer.quantize(x, base.withGranularity(Granularity.ROW));
        QuantizedMatrix perCol = RtnQuantizer.quantize(x, base.withGranularity(Granularity.COLUMN));
        QuantizedMatrix perGroup = RtnQuantizer.quantize(x, base.withGranularity(Granularity.group(4)));
        assertThat(perRow.scales()).hasSize(6);
        assertThat(perCol.scales()).hasSize(10);
        assertThat(perGroup.scales()).hasSize(6 * 3);
        for (int r = 0; r < 6; r++) {
            float max = 0;
            for (int c = 0; c < 10; c++) {
                max = Math.max(max, Math.abs(x.get(r, c)));
            }
            assertThat(perRow.alphas()[r]).isEqualTo(max);
            float gmax = 0;
            for (int c = 8; c < 10; c++) {
                gmax = Math.max(gmax, Math.abs(x.get(r, c)));
            }
            assertThat(perGroup.alphas()[r * 3 + 2]).as("last, partial group").isEqualTo(gmax);
            for (int c = 0; c < 10; c++) {
                assertThat(perGroup.scale(r, c)).isEqualTo(perGroup.scales()[r * 3 + c / 4]);
                assertThat(perCol.scale(r, c)).isEqualTo(perCol.scales()[c]);
            }
        }
        // absmax (beta = 1) per row: every code within ±128 (the absmax element maps to 127.5 → 128)
        assertThat(perRow.maxAbs()).isEqualTo(128);
    }

    @Test
    void sameSeedSameBits() {
        FloatMatrix a = RandomMatrices.studentT(32, 32, 3, 9);
        FloatMatrix b = RandomMatrices.studentT(32, 32, 3, 9);
        assertArrayEquals(RtnQuantizer.quantize(a, QuantParams.P95_N15).codes().toArray(),
                RtnQuantizer.quantize(b, QuantParams.P95_N15).codes().toArray());
    }

    @Test
    void paramsValidation() {
        assertThatThrownBy(() -> QuantParams.of(0, 15)).isInstanceOf(LowbitException.class).hasMessageContaining("beta");
        assertThatThrownBy(() -> QuantParams.of(1.5, 15)).isInstanceOf(LowbitException.class);
        assertThatThrownBy(() -> QuantParams.of(0.9, 1)).isInstanceOf(LowbitException.class).hasMessageContaining("levels");
        assertThatThrownBy(() -> Granularity.parse("group:x")).isInstanceOf(LowbitException.class);
        assertThat(Granularity.parse("group:32")).isEqualTo(Granularity.group(32));
        assertThat(QuantParams.P95_N15.label()).isEqualTo("p95-n15");
    }
}
