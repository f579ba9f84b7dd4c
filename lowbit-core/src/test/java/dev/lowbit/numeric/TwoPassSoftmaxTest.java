package dev.lowbit.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TwoPassSoftmaxTest {

    private static double[] exact(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.exp(x[i] - max) / sum;
        }
        return y;
    }

    @Test
    void withinFourUlpOfTheFloat64SoftmaxIncludingHugeLogits() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (double spread : new double[] {1, 10, 100, 1e4}) {
            for (int len : new int[] {1, 2, 7, 100, 4097}) {
                float[] x = new float[len];
                for (int i = 0; i < len; i++) {
                    x[i] = (float) (rnd.nextGaussian() * spread + (spread > 100 ? 5e4 : 0));
                }
                float[] y = new float[len];
                TwoPassSoftmax.softmax(x, 0, len, y, 0);
                double[] ref = exact(x);
                double total = 0;
                for (int i = 0; i < len; i++) {
                    double err = Math.abs(y[i] - ref[i]);
                    assertThat(err).as("spread %s len %d i %d", spread, len, i)
                            .isLessThanOrEqualTo(4 * Math.ulp((float) ref[i]) + Float.MIN_VALUE);
                    total += y[i];
                }
                assertThat(total).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
                float[] three = new float[len];
                TwoPassSoftmax.threePass(x, 0, len, three, 0);
                for (int i = 0; i < len; i++) {
                    assertThat(Math.abs(three[i] - ref[i])).isLessThanOrEqualTo(Math.ulp((float) ref[i]));
                }
            }
        }
    }

    @Test
    void infinitiesAndNaN() {
        float ninf = Float.NEGATIVE_INFINITY;
        float[] y = new float[3];
        TwoPassSoftmax.softmax(new float[] {0f, ninf, 0f}, 0, 3, y, 0);
        assertThat(y).containsExactly(0.5f, 0f, 0.5f);
        TwoPassSoftmax.softmax(new float[] {ninf, ninf, ninf}, 0, 3, y, 0);
        assertThat(y).containsOnly(Float.NaN);
        TwoPassSoftmax.softmax(new float[] {1f, Float.NaN, 0f}, 0, 3, y, 0);
        assertThat(y).containsOnly(Float.NaN);
        TwoPassSoftmax.softmax(new float[] {1f, Float.POSITIVE_INFINITY, 0f}, 0, 3, y, 0);
        assertThat(y).containsOnly(Float.NaN);
        TwoPassSoftmax.softmax(new float[] {1e30f, 0f, -1e30f}, 0, 3, y, 0);
        assertThat(y).containsExactly(1f, 0f, 0f);
        float[] rows = TwoPassSoftmax.softmaxRows(new float[] {0f, 0f, 1f, 1f}, 2, 2);
        assertThat(rows).containsExactly(0.5f, 0.5f, 0.5f, 0.5f);
    }
}
