package dev.lowbit.quant;

import dev.lowbit.gemm.LlmInt8Quantizer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.gemm.ScalarGemmBackend;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SeedQuantizersTest {

    // ------------------------------------------------------------------ LLM.int8()

    @Test
    void llmInt8HandComputed() {
        FloatMatrix x = FloatMatrix.of(new float[] {1, 7, -0.5f}, new float[] {-2, 0.5f, 1}, new float[] {0, 0, 0});
        FloatMatrix w = FloatMatrix.of(new float[] {0.5f, 1, -1}, new float[] {2, 0, 4});
        float[] before = x.toArray();
        LlmInt8Quantizer.Result r = LlmInt8Quantizer.multiply(x, w, 6.0);
        assertArrayEquals(before, x.toArray(), "input must not be mutated");
        assertArrayEquals(new int[] {1}, r.outlierColumns());
        // row 0 without the outlier column: max 1 → codes 127, 0, rint(−63.5) = −64 (ties to even)
        assertArrayEquals(new int[] {127, 0, -64, -127, 0, 64, 0, 0, 0}, r.xCodes().toArray());
        assertThat(r.xScales()).containsExactly(1.0, 2.0, 0.0);
        assertArrayEquals(new int[] {64, 127, -127, 64, 0, 127}, r.wCodes().toArray());
        // y[0,0] = (127·64 + 0 + (−64)(−127))·1·1/127² + 7·1
        double y00 = (127.0 * 64 + 64.0 * 127) / (127.0 * 127) + 7;
        assertThat(r.y()[0]).isCloseTo(y00, within(1e-12));
        assertThat(r.y()[4]).isZero(); // all-zero row: no NaN
        assertThat(r.y()[5]).isZero();
        assertThat(r.outlierFraction()).isEqualTo(1.0 / 3);
    }

    @Test
    void llmInt8IsAccurateOnOutlierChannels() {
        FloatMatrix x = RandomMatrices.outlierChannels(32, 64, 2, 20, 1);
        FloatMatrix w = RandomMatrices.gaussian(16, 64, 2);
        LlmInt8Quantizer.Result r = LlmInt8Quantizer.multiply(x, w, 6.0);
        assertThat(r.outlierColumns()).hasSize(2);
        assertThat(Sqnr.relativeError(r.y(), ScalarGemm.f64(x, w))).isLessThan(0.01);
    }

    // ------------------------------------------------------------------ GPTQ

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void gptqNeverLosesToRtnOnItsCalibrationData(int bits) {
        for (int seed = 0; seed < 6; seed++) {
            FloatMatrix w = RandomMatrices.studentT(24, 48, 4, 100 + seed);
            FloatMatrix x = seed % 2 == 0 ? RandomMatrices.outlierChannels(96, 48, 3, 8, 200 + seed) : RandomMatrices.gaussian(96, 48, 200 + seed);
            double[] ref = ScalarGemm.f64(x, w);
            for (GptqQuantizer.Spec spec : List.of(GptqQuantizer.Spec.of(bits), new GptqQuantizer.Spec(bits, -1, true, 16, 0.01),
                    new GptqQuantizer.Spec(bits, 16, false, 128, 0.01))) {
                double eG = Sqnr.relativeError(ScalarGemm.f64(x, GptqQuantizer.quantize(w, x, spec).toFloatMatrix()), ref);
                double eR = Sqnr.relativeError(ScalarGemm.f64(x, GptqQuantizer.rtn(w, bits, spec.groupSize()).toFloatMatrix()), ref);
                assertThat(eG).as("bits %d seed %d %s", bits, seed, spec).isLessThanOrEqualTo(eR);
            }
        }
    }

    @Test
    void gptqCodesAreOnTheGridAndCholeskyIsRight() {
        FloatMatrix w = RandomMatrices.gaussian(5, 12, 1);
        FloatMatrix x = RandomMatrices.gaussian(40, 12, 2);
        GptqQuantizer.Result r = GptqQuantizer.quantize(w, x, GptqQuantizer.Spec.of(3));
        for (int c : r.codes()) {
            assertThat(c).isBetween(0, 7);
        }
        double[][] h = GptqQuantizer.hessian(x);
        double[][] u = GptqQuantizer.upperCholeskyOfInverse(h);
        // H · (UᵀU) = I
        for (int i = 0; i < 12; i++) {
            for (int j = 0; j < 12; j++) {
                double s = 0;
                for (int p = 0; p < 12; p++) {
                    double inv = 0;
                    for (int q = 0; q < 12; q++) {
                        inv += u[q][p] * u[q][j];
                    }
                    s += h[i][p] * inv;
                }
                assertThat(s).isCloseTo(i == j ? 1 : 0, within(1e-9));
            }
            for (int j = 0; j < i; j++) {
                assertThat(u[i][j]).isZero();
            }
        }
        assertThatThrownBy(() -> GptqQuantizer.quantize(w, RandomMatrices.gaussian(4, 11, 1), GptqQuantizer.Spec.of(4)))
                .isInstanceOf(LowbitException.class).hasMessageContaining("calibration");
    }

    // ------------------------------------------------------------------ Hadamard + LSQ

    @Test
    void hadamardIsOrthogonalAndPreservesTheProduct() {
        double[] v = {1, 2};
        HadamardQuantizer.transformRowsInPlace(v, 1, 2, 2);
        assertThat(v[0]).isCloseTo(3 / Math.sqrt(2), within(1e-15));
        assertThat(v[1]).isCloseTo(-1 / Math.sqrt(2), within(1e-15));
        FloatMatrix x = RandomMatrices.gaussian(6, 32, 1);
        FloatMatrix w = RandomMatrices.gaussian(5, 32, 2);
        for (int block : new int[] {1, 2, 8, 32}) {
            double[] xh = Sqnr.toDouble(x);
            double[] wh = Sqnr.toDouble(w);
            HadamardQuantizer.transformRowsInPlace(xh, 6, 32, block);
            HadamardQuantizer.transformRowsInPlace(wh, 5, 32, block);
            double[] y = ScalarGemm.f64(xh, wh, 6, 5, 32);
            double[] ref = ScalarGemm.f64(x, w);
            for (int i = 0; i < y.length; i++) {
                assertThat(y[i]).isCloseTo(ref[i], within(1e-9));
            }
            HadamardQuantizer.transformRowsInPlace(xh, 6, 32, block);
            double[] orig = Sqnr.toDouble(x);
            for (int i = 0; i < xh.length; i++) {
                assertThat(xh[i]).isCloseTo(orig[i], within(1e-12));
            }
        }
        assertThatThrownBy(() -> HadamardQuantizer.transformRowsInPlace(new double[6], 1, 6, 4)).isInstanceOf(LowbitException.class);
    }

    @Test
    void hadamardSpreadsOutliers() {
        FloatMatrix x = RandomMatrices.outlierChannels(32, 64, 1, 50, 3);
        FloatMatrix w = RandomMatrices.gaussian(16, 64, 4);
        HadamardQuantizer.Operand[] hq = HadamardQuantizer.quantizePair(x, w);
        HadamardQuantizer.Operand plain = HadamardQuantizer.quantize(Sqnr.toDouble(x), 32, 64, 1);
        assertThat(hq[0].block()).isGreaterThan(1);
        assertThat(Sqnr.db(Sqnr.toDouble(x), hq[0].dequantized())).isGreaterThan(Sqnr.db(Sqnr.toDouble(x), plain.dequantized()) + 3);
    }

    @Test
    void lsqStepAndGradient() {
        double[] x = {0.5, -1.0, 10.0, -20.0};
        double s = HadamardQuantizer.lsqInitStep(x); // 2·7.875/√7
        assertThat(s).isCloseTo(2 * 7.875 / Math.sqrt(7) + 1e-10, within(1e-15));
        double[] up = {1, 1, 1, 1};
        // x/s: 0.084 → rint 0 → −0.084; −0.168 → 0.168; 1.68 → 2 − 1.68; −3.36 → −3 + 3.36  (all inside [−8, 7])
        double expected = 0;
        for (double v : x) {
            expected += Math.rint(v / s) - v / s;
        }
        assertThat(HadamardQuantizer.lsqStepGradient(x, up, s)).isCloseTo(expected / Math.sqrt(4 * 7.0), within(1e-12));
        // outside the range the derivative is the clamp bound: −8 below, 7 above
        double[] far = {100, -100};
        assertThat(HadamardQuantizer.lsqStepGradient(far, new double[] {1, 2}, 1.0)).isCloseTo((7 - 16) / Math.sqrt(14), within(1e-12));
        double[] q = x.clone();
        HadamardQuantizer.lsqRoundInPlace(q, 1.0);
        assertThat(q).containsExactly(0.0, -1.0, 7.0, -8.0);
    }

    // ------------------------------------------------------------------ bit splitting + leverage-score sampling

    @Test
    void bitSplitReconstructsWithinOneQuantum() {
        FloatMatrix g = RandomMatrices.studentT(20, 16, 3, 5);
        double[] dy = Sqnr.toDouble(g);
        double[] split = BitSplitSampler.split(dy, 20, 16, 9);
        double max = 0;
        for (double v : dy) {
            max = Math.max(max, Math.abs(v));
        }
        double quantum = 2 * max / (14.0 * 14.0);
        for (int i = 0; i < dy.length; i++) {
            double back = split[i] + split[dy.length + i];
            // |v| ≤ 98 and 14·6 + 6 = 90: values beyond 90 quanta saturate
            double sat = Math.min(Math.abs(dy[i]), 90 * quantum) * Math.signum(dy[i]);
            assertThat(back).isCloseTo(sat, within(quantum * 1.0000001));
        }
        assertArrayEquals(split, BitSplitSampler.split(dy, 20, 16, 9));
        assertThat(BitSplitSampler.split(new double[6], 2, 3, 1)).containsOnly(0.0);
    }

    @Test
    void keepProbabilitiesSumToTheBudget() {
        double[] scores = {100, 1, 1, 1, 1, 1, 0, 2};
        double[] p = BitSplitSampler.keepProbabilities(scores, 4);
        double sum = 0;
        for (double v : p) {
            assertThat(v).isBetween(0.0, 1.0);
            sum += v;
        }
        assertThat(sum).isCloseTo(4, within(1e-12));
        assertThat(p[0]).isEqualTo(1.0);
        assertThat(p[6]).isZero();
        assertThat(p[7]).isCloseTo(2 * p[1], within(1e-12));
    }

    @Test
    void leverageScoreSamplingReallySamplesAndIsUnbiased() {
        int n = 12;
        int c = 8;
        double[] dy = Sqnr.toDouble(RandomMatrices.gaussian(n, c, 3));
        double[] split = BitSplitSampler.split(dy, n, c, 4);
        double[] target = new double[n * c];
        for (int i = 0; i < n * c; i++) {
            target[i] = split[i] + split[n * c + i];
        }
        int draws = 20000;
        double[] mean = new double[n * c];
        double[] m2 = new double[n * c];
        int droppedSomewhere = 0;
        for (int s = 0; s < draws; s++) {
            double[] est = BitSplitSampler.sample(split, n, c, null, 1000 + s);
            boolean dropped = false;
            for (int i = 0; i < n * c; i++) {
                mean[i] += est[i] / draws;
                m2[i] += est[i] * est[i] / draws;
                dropped |= est[i] != target[i];
            }
            droppedSomewhere += dropped ? 1 : 0;
        }
        assertThat(droppedSomewhere).as("sampling must drop rows").isGreaterThan(draws / 2);
        for (int i = 0; i < n * c; i++) {
            double sd = Math.sqrt(Math.max(m2[i] - mean[i] * mean[i], 1e-30) / draws);
            assertThat(Math.abs(mean[i] - target[i])).as("entry %d", i).isLessThanOrEqualTo(5 * sd + 1e-12);
        }
    }

    // block floating point (FAST's BFP): dev.lowbit.format.BfpPresetTest

    // ------------------------------------------------------------------ the comparison

    @Test
    void gptqEqualsRtnWhenTheHessianIsDiagonal() {
        // calibration rows e_0 … e_5: H = (2/6)·I, so there is no error to feed forward and GPTQ is RTN
        FloatMatrix calib = FloatMatrix.zeros(6, 6);
        for (int i = 0; i < 6; i++) {
            calib.set(i, i, 1);
        }
        FloatMatrix w = RandomMatrices.gaussian(4, 6, 3);
        assertArrayEquals(GptqQuantizer.rtn(w, 3, -1).codes(), GptqQuantizer.quantize(w, calib, GptqQuantizer.Spec.of(3)).codes());
        assertArrayEquals(GptqQuantizer.rtn(w, 3, -1).dequantized(), GptqQuantizer.quantize(w, calib, GptqQuantizer.Spec.of(3)).dequantized());
    }

    @Test
    void fastScheduleRaisesPrecisionInChunks() {
        FastSchedule s = FastSchedule.of(300, 4); // 2, 4, 6 bits: three phases of 100 steps
        assertThat(s.stages()).isEqualTo(3);
        assertThat(s.mantissaBits(0, 3)).isEqualTo(2);
        assertThat(s.mantissaBits(100, 3)).isEqualTo(4);
        assertThat(s.mantissaBits(100, 0)).as("input-side layer lags one phase").isEqualTo(2);
        assertThat(s.mantissaBits(299, 3)).isEqualTo(6);
        assertThat(s.mantissaBits(299, 0)).isEqualTo(4);
        int prev = 0;
        for (long t = 0; t < 300; t++) {
            int b = s.mantissaBits(t, 2);
            assertThat(b).isGreaterThanOrEqualTo(prev);
            assertThat((b - 2) % 2).isZero();
            prev = b;
        }
        assertThatThrownBy(() -> new FastSchedule(4, 2, 2, 10, 1, 0)).isInstanceOf(LowbitException.class);
    }

}
