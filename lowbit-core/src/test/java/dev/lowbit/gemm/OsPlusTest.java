package dev.lowbit.gemm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class OsPlusTest {
    static final GemmBackend SCALAR = new ScalarGemmBackend();
    /** Per-tensor absmax int8 on the input, per-row absmax int8 on the weight: OS+'s "standard" setting. */
    static final UnaryOperator<FloatMatrix> INPUT_INT8 = x -> RtnQuantizer.quantize(x, QuantParams.of(1.0, 255)).dequantize();
    static final UnaryOperator<FloatMatrix> WEIGHT_INT8 = w -> RtnQuantizer.quantize(w, QuantParams.of(1.0, 255).withGranularity(Granularity.ROW)).dequantize();

    /** Gaussian activations with a few asymmetric outlier channels (large offset and spread), as LayerNorm outputs have. */
    static FloatMatrix activations(int rows, int cols, long seed) {
        FloatMatrix x = RandomMatrices.gaussian(rows, cols, seed);
        Random r = new Random(seed + 7);
        for (int c : new int[] {3, 17, 40}) {
            float offset = 15 + 10 * r.nextFloat();
            for (int i = 0; i < rows; i++) {
                x.set(i, c, offset + 8 * x.get(i, c));
            }
        }
        return x;
    }

    @Test
    void shiftIsTheMidRangeOfEveryChannel() {
        FloatMatrix x = activations(50, 48, 1);
        float[] z = OsPlus.shift(x);
        for (int j = 0; j < x.cols(); j++) {
            double max = Double.NEGATIVE_INFINITY;
            double min = Double.POSITIVE_INFINITY;
            for (int i = 0; i < x.rows(); i++) {
                max = Math.max(max, x.get(i, j));
                min = Math.min(min, x.get(i, j));
            }
            assertThat(z[j]).isEqualTo((float) ((max + min) / 2));
        }
        float[] r = OsPlus.ranges(x, z);
        float[] s = OsPlus.scales(r, 2.0);
        for (int j = 0; j < s.length; j++) {
            assertThat(s[j]).isEqualTo((float) Math.max(1, r[j] / 2.0));
        }
    }

    /** X̃·W̃ᵀ + b̃ = X·Wᵀ + b: the fold changes the function by float32 rounding only (float64 reference of both sides). */
    @Test
    void foldedLinearComputesTheSameFunction() {
        FloatMatrix x = activations(40, 48, 2);
        FloatMatrix w = RandomMatrices.gaussian(24, 48, 3);
        float[] b = RandomMatrices.gaussian(1, 24, 4).data();
        Random rnd = new Random(5);
        float[] z = new float[48];
        float[] s = new float[48];
        for (int j = 0; j < 48; j++) {
            z[j] = (float) rnd.nextGaussian() * 3;
            s[j] = 1 + 15 * rnd.nextFloat();
        }
        FloatMatrix xt = OsPlus.transformInput(x, z, s);
        FloatMatrix wt = OsPlus.foldWeight(w, s);
        float[] bt = OsPlus.foldBias(w, b, z);
        double[] ref = ScalarGemm.f64(x, w);
        double[] got = ScalarGemm.f64(xt, wt);
        double maxRel = 0;
        double scale = 0;
        for (int i = 0; i < 40; i++) {
            for (int o = 0; o < 24; o++) {
                scale = Math.max(scale, Math.abs(ref[i * 24 + o] + b[o]));
            }
        }
        for (int i = 0; i < 40; i++) {
            for (int o = 0; o < 24; o++) {
                double d = Math.abs((got[i * 24 + o] + bt[o]) - (ref[i * 24 + o] + b[o]));
                maxRel = Math.max(maxRel, d / scale);
            }
        }
        assertThat(maxRel).isLessThan(1e-6).isGreaterThan(0); // rounding only, and the check is not vacuous
    }

    @Test
    void searchSuppressesOutlierChannelsAndCutsTheQuantizedOutputError() {
        FloatMatrix x = activations(96, 48, 6);
        List<FloatMatrix> ws = List.of(RandomMatrices.gaussian(32, 48, 7), RandomMatrices.gaussian(16, 48, 8));
        OsPlus.Transform t = OsPlus.search(x, ws, INPUT_INT8, WEIGHT_INT8, 12, SCALAR);
        assertThat(t.error()).isLessThanOrEqualTo(t.shiftOnlyError());
        System.out.printf("OS+ synthetic: plain %.4g, shift only %.4g, OS+ %.4g (t = %.4g, %d channels scaled)%n", t.plainError(),
                t.shiftOnlyError(), t.error(), t.threshold(), t.scaledChannels());
        assertThat(t.error()).isLessThan(t.plainError() / 10);
        for (int c : new int[] {3, 17, 40}) {
            assertThat(t.scale()[c]).as("outlier channel %d", c).isGreaterThan(2f);
        }
        for (float v : t.scale()) {
            assertThat(v).isGreaterThanOrEqualTo(1f);
        }
        assertThat(t.scaledChannels()).isLessThan(48);
        // the recorded error is the error of the returned transform, recomputed independently
        double e = 0;
        FloatMatrix xq = INPUT_INT8.apply(OsPlus.transformInput(x, t.shift(), t.scale()));
        float[] one = new float[48];
        java.util.Arrays.fill(one, 1f);
        FloatMatrix xc = OsPlus.transformInput(x, t.shift(), one);
        for (FloatMatrix w : ws) {
            double[] y = ScalarGemm.f64(xq, WEIGHT_INT8.apply(OsPlus.foldWeight(w, t.scale())));
            double[] ref = ScalarGemm.f64(xc, w);
            for (int i = 0; i < y.length; i++) {
                e += (y[i] - ref[i]) * (y[i] - ref[i]);
            }
        }
        assertThat(e).isCloseTo(t.error(), org.assertj.core.data.Percentage.withPercentage(1));
        // deterministic: the same inputs give the same bits
        OsPlus.Transform again = OsPlus.search(x, ws, INPUT_INT8, WEIGHT_INT8, 12, SCALAR);
        assertArrayEquals(t.scale(), again.scale());
        assertArrayEquals(t.shift(), again.shift());
        assertThat(again.threshold()).isEqualTo(t.threshold());
    }

    @Test
    void oneCandidateShiftsOnly() {
        FloatMatrix x = activations(30, 48, 9);
        OsPlus.Transform t = OsPlus.search(x, List.of(RandomMatrices.gaussian(8, 48, 10)), INPUT_INT8, WEIGHT_INT8, 1, SCALAR);
        assertThat(t.scaledChannels()).isZero();
        assertThat(t.error()).isEqualTo(t.shiftOnlyError());
        float max = 0;
        for (float v : OsPlus.ranges(x, t.shift())) {
            max = Math.max(max, v);
        }
        assertThat(t.threshold()).isEqualTo(max);
    }

    @Test
    void constantInputIsLeftAlone() {
        FloatMatrix x = FloatMatrix.zeros(5, 4);
        OsPlus.Transform t = OsPlus.search(x, List.of(RandomMatrices.gaussian(3, 4, 1)), INPUT_INT8, WEIGHT_INT8, 5, SCALAR);
        assertArrayEquals(new float[] {1, 1, 1, 1}, t.scale());
        assertArrayEquals(new float[4], t.shift());
    }

    @Test
    void badInputIsOneLine() {
        FloatMatrix x = activations(10, 48, 11);
        assertThatThrownBy(() -> OsPlus.search(x, List.of(RandomMatrices.gaussian(4, 48, 1)), INPUT_INT8, WEIGHT_INT8, 0, SCALAR))
                .isInstanceOf(LowbitException.class).hasMessageContaining("candidates must be >= 1, got 0");
        assertThatThrownBy(() -> OsPlus.search(x, List.of(RandomMatrices.gaussian(4, 40, 1)), INPUT_INT8, WEIGHT_INT8, 3, SCALAR))
                .isInstanceOf(LowbitException.class).hasMessageContaining("48 channels");
        assertThatThrownBy(() -> OsPlus.foldWeight(RandomMatrices.gaussian(4, 40, 1), new float[48]))
                .isInstanceOf(LowbitException.class).hasMessageContaining("40 inputs");
    }
}
