package dev.lowbit.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.quant.BitSwitch;
import dev.lowbit.quant.FpFormatSearch;
import dev.lowbit.round.Rounding;
import dev.lowbit.tensor.FloatMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The llm-fp4 and switch / rtn-w executors on a tiny random BERT against float64 references of their quantizers. */
class LlmFp4SwitchGemmsTest {
    static final BertWeights W = BertTest.weights(11);

    static List<int[]> sequences(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> seqs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] s = new int[2 + r.nextInt(10)];
            for (int t = 0; t < s.length; t++) {
                s[t] = r.nextInt(BertTest.C.vocabSize());
            }
            seqs.add(s);
        }
        return seqs;
    }

    /** {@code maxval/max · f.round(x·max/maxval)} in float64. */
    static double q(MiniFloat f, double maxval, double x) {
        double s = maxval == 0 ? 1 : maxval / f.maxFinite();
        return s * f.round(x / s, Rounding.NEAREST_EVEN, 0, true);
    }

    @Test
    void llmFp4IsTheProductOfTheSearchedQuantizersWithTheShiftsFoldedIntoTheWeight() {
        List<int[]> calib = sequences(1, 6);
        for (String name : List.of("llm-fp4", "llm-fp4-w4a8")) {
            Precision p = Precision.parse(name, null);
            assertThat(p.mode()).isEqualTo(Precision.Mode.LLM_FP4);
            assertThat(p.calibrated()).isTrue();
            try (Bert bert = new Bert(W, p, GemmBackends.scalar(), 1, false, calib)) {
                LlmFp4Gemms e = (LlmFp4Gemms) bert.executor();
                FloatMatrix[][] inputs = GptqGemms.capture(W, GemmBackends.scalar(), calib, 1);
                for (GemmRole role : List.of(GemmRole.V, GemmRole.FFN2)) {
                    LlmFp4Gemms.Layer ly = e.layer(1, role);
                    FloatMatrix xc = inputs[1][role.ordinal()];
                    int[] c = FpFormatSearch.preShifts(xc.toArray(), xc.rows(), xc.cols());
                    assertArrayEquals(c, ly.shifts(), name + " " + role);
                    // the activation quantizer: searched on the shifted inputs, minimising the error of the inputs themselves
                    float[] shifted = xc.toArray();
                    FpFormatSearch.shiftColumns(shifted, xc.rows(), xc.cols(), c, false);
                    double[] weights = new double[c.length];
                    for (int j = 0; j < c.length; j++) {
                        weights[j] = 1.0 / ((double) (1L << c[j]) * (1L << c[j]));
                    }
                    FpFormatSearch.TensorQuant tq = FpFormatSearch.searchTensor(shifted, xc.cols(), weights,
                            FpFormatSearch.formats(name.endsWith("a8") ? 8 : 4), 1);
                    assertThat(ly.act().format()).isEqualTo(tq.format());
                    assertThat(ly.act().maxval()).isEqualTo(tq.maxval());
                    assertThat(ly.act().format().bits()).isEqualTo(name.endsWith("a8") ? 8 : 4);
                    assertThat(ly.weight().format().bits()).isEqualTo(4);
                    // the weight: Q_w(W)·diag(2^−c), Q_w per output channel, every entry through MiniFloat.round
                    FloatMatrix w = W.layers().get(1).linear(role).weight();
                    FloatMatrix ew = e.effectiveWeight(1, role);
                    FpFormatSearch.RowQuant rq = FpFormatSearch.searchRows(w.toArray(), w.rows(), w.cols(), FpFormatSearch.FP4, 1);
                    assertThat(ly.weight().format()).isEqualTo(rq.format()); // searched on the weight itself
                    assertArrayEquals(rq.maxvals(), ly.weight().maxvals());
                    for (int i = 0; i < w.rows(); i++) {
                        for (int j = 0; j < w.cols(); j++) {
                            float want = Math.scalb((float) q(ly.weight().format(), ly.weight().maxvals()[i], w.get(i, j)), -c[j]);
                            assertThat(ew.get(i, j)).as("%s %s w[%d,%d]", name, role, i, j).isEqualTo(want);
                        }
                    }
                    // the GEMM: Q_a(x·diag(2^c)) · ew^T in float64, within float32 accumulation
                    FloatMatrix x = xc.view(0, 0, 5, xc.cols()).copy(); // inputs of the kind it was calibrated on
                    float[] got = e.linear(1, role, x, new int[] {0, 2, 5});
                    FloatMatrix xq = FloatMatrix.zeros(x.rows(), x.cols());
                    for (int t = 0; t < x.rows(); t++) {
                        for (int j = 0; j < x.cols(); j++) {
                            xq.set(t, j, (float) q(ly.act().format(), ly.act().maxval(), Math.scalb(x.get(t, j), c[j])));
                        }
                    }
                    double[] want = PrecisionGemmsTest.ref(xq, ew);
                    PrecisionGemmsTest.assertClose(got, want, 1e-6);
                    // and it approximates the float product x·Wᵀ (a sign error in the shifts would not)
                    double[] exact = PrecisionGemmsTest.ref(x, w);
                    double err = 0;
                    double norm = 0;
                    for (int i = 0; i < exact.length; i++) {
                        err += (got[i] - exact[i]) * (got[i] - exact[i]);
                        norm += exact[i] * exact[i];
                    }
                    assertThat(Math.sqrt(err / norm)).as("%s %s relative error", name, role).isLessThan(0.3);
                }
            }
        }
    }

    @Test
    void theNoShiftAblationLeavesEveryChannelUnshifted() {
        List<int[]> calib = sequences(2, 4);
        try (Bert bert = new Bert(W, Precision.parse("llm-fp4:no-shift", null), GemmBackends.scalar(), 1, false, calib);
             Bert shifted = new Bert(W, Precision.parse("llm-fp4", null), GemmBackends.scalar(), 1, false, calib)) {
            for (GemmRole r : GemmRole.LINEAR) {
                LlmFp4Gemms.Choice c = ((LlmFp4Gemms) bert.executor()).choice(0, r);
                assertThat(c.maxShift()).as(r.label()).isZero();
            }
            // the GELU output entering FFN2 has channels of very different ranges: the pre-shift moves them
            assertThat(((LlmFp4Gemms) shifted.executor()).choice(0, GemmRole.FFN2).maxShift()).isPositive();
        }
    }

    @Test
    void llmFp4NeedsCalibration() {
        assertThatThrownBy(() -> new Bert(W, Precision.parse("llm-fp4", null), GemmBackends.scalar(), 1))
                .isInstanceOf(LowbitException.class).hasMessageContaining("calibration");
    }

    @Test
    void switchDerivesEveryWidthFromOneStoredEightBitModel() {
        SplittableRandom r = new SplittableRandom(3);
        FloatMatrix x = BertTest.rand(r, 4, BertTest.C.intermediate(), 1.0);
        FloatMatrix w = W.layers().get(0).linear(GemmRole.FFN2).weight();
        long n = w.rows();
        long k = w.cols();
        BitSwitch.Codes stored = BitSwitch.rtn(w.toArray(), w.rows(), w.cols(), 8);
        for (int b : new int[] {8, 6, 4, 2}) {
            try (Bert sw = new Bert(W, Precision.parse("switch:" + b, null), GemmBackends.scalar(), 1);
                 Bert rtn = new Bert(W, Precision.parse("rtn-w:" + b, null), GemmBackends.scalar(), 1)) {
                assertThat(sw.precision().mode()).isEqualTo(Precision.Mode.SWITCH);
                assertThat(sw.precision().roles()).containsExactlyInAnyOrderElementsOf(GemmRole.LINEAR);
                FloatMatrix ew = sw.executor().effectiveWeight(0, GemmRole.FFN2);
                assertArrayEquals(BitSwitch.derive(stored, b).dequantize(), ew.toArray(), "switch:" + b);
                assertArrayEquals(BitSwitch.rtn(w.toArray(), w.rows(), w.cols(), b).dequantize(),
                        rtn.executor().effectiveWeight(0, GemmRole.FFN2).toArray(), "rtn-w:" + b);
                if (b == 8) {
                    assertArrayEquals(ew.toArray(), rtn.executor().effectiveWeight(0, GemmRole.FFN2).toArray());
                }
                // one store for every width; rtn-w stores its own width
                assertThat(sw.executor().weightBytes(0, GemmRole.FFN2)).isEqualTo(n * k + 4 * n);
                assertThat(rtn.executor().weightBytes(0, GemmRole.FFN2)).isEqualTo((n * k * b + 7) / 8 + 4 * n);
                PrecisionGemmsTest.assertClose(sw.executor().linear(0, GemmRole.FFN2, x, new int[] {0, 4}),
                        PrecisionGemmsTest.ref(x, ew), 1e-6);
            }
        }
    }

    @Test
    void badWidthsAreOneLineErrors() {
        assertThatThrownBy(() -> Precision.parse("switch:9", null)).isInstanceOf(LowbitException.class)
                .hasMessage("policy 'switch:9': the weight width must be an integer 2..8, got 9");
        assertThatThrownBy(() -> Precision.parse("rtn-w:x", null)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("got 'x'");
        assertThatThrownBy(() -> Precision.parse("llm-fp4:3", null)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("takes only ':no-shift'");
        assertThat(Precision.parse("switch", null).bits()).isEqualTo(4);
    }
}
