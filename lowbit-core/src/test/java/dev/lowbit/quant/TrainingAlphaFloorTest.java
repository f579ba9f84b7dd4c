package dev.lowbit.quant;

import dev.lowbit.format.Granularity;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import org.junit.jupiter.api.Test;

/**
 * The training rule's guard against codes beyond 2^61 ({@link RtnQuantizer#trainingAlphaFloor}): a tensor whose
 * 95 % smallest magnitudes are ~1e-20 but not zero (seen in an attention-score gradient behind saturated softmax
 * rows) quantizes under {@code nonZeroAlpha}, while the strict rule still fails in one line.
 */
class TrainingAlphaFloorTest {
    /** 97 of every 100 entries at ±1e-20 (not zero), a few of order 1. */
    static FloatMatrix nearlyZeroGradient() {
        FloatMatrix x = FloatMatrix.zeros(16, 25);
        for (int i = 0; i < x.data().length; i++) {
            x.data()[i] = (i % 100 < 97 ? 1e-20f : 0.75f) * (i % 2 == 0 ? 1 : -1);
        }
        x.data()[7] = 1.5f;
        return x;
    }

    @Test
    void strictRuleStillFailsInOneLine() {
        assertThatThrownBy(() -> RtnQuantizer.quantize(nearlyZeroGradient(), new QuantParams(0.95, 16383, Granularity.TENSOR, false, false), "g"))
                .isInstanceOf(LowbitException.class).hasMessageContaining("exceeds 2^62");
    }

    @Test
    void trainingRuleCapsTheLargestCodeAtTwoToThe61() {
        QuantParams p = new QuantParams(0.95, 16383, Granularity.TENSOR, false, true);
        FloatMatrix x = nearlyZeroGradient();
        QuantizedMatrix q = RtnQuantizer.quantize(x, p, "g");
        double expectedAlpha = 1.5 * (16383 / 2.0) / 0x1p61;
        assertThat(q.alphas()[0]).isEqualTo(expectedAlpha);
        long max = 0;
        for (long v : q.codes().data()) {
            max = Math.max(max, Math.abs(v));
        }
        assertThat(max).isEqualTo(1L << 61);
        // the int32 paths see codes beyond 2^30 and hand the GEMM to the general path (null), never a wrap
        assertThat(RtnQuantizer.quantizeInt(x, p, "g")).isNull();
        assertThat(RtnQuantizer.quantizeIntRows(x, p, new int[] {0, 16}, 1, "g")).isNull();
        // per row: the same floor row by row, equal to the reference ROW quantization
        QuantizedMatrix rows = RtnQuantizer.quantize(x, p.withGranularity(Granularity.ROW), "g");
        for (int r = 0; r < 16; r++) {
            float mx = 0;
            for (int c = 0; c < 25; c++) {
                mx = Math.max(mx, Math.abs(x.get(r, c)));
            }
            assertThat(rows.alphas()[r]).as("row " + r).isGreaterThanOrEqualTo(mx * (16383 / 2.0) / 0x1p61);
        }
    }

    @Test
    void ordinaryTensorsAreUnchanged() {
        QuantParams p = new QuantParams(0.95, 16383, Granularity.TENSOR, false, true);
        FloatMatrix x = dev.lowbit.tensor.RandomMatrices.gaussian(32, 48, 3);
        assertThat(RtnQuantizer.trainingAlphaFloor(0.5, 1000.0, p)).isEqualTo(0.5);
        assertThat(RtnQuantizer.trainingAlphaFloor(1e-30, 1.0, p.withClip(true))).isEqualTo(1e-30);
        assertThat(RtnQuantizer.trainingAlphaFloor(1e-30, 1.0, p.withNonZeroAlpha(false))).isEqualTo(1e-30);
        assertThat(RtnQuantizer.quantize(x, p, "x").alphas()[0]).isEqualTo(RtnQuantizer.percentileAlpha(mags(x), 0.95));
    }

    private static float[] mags(FloatMatrix x) {
        float[] m = new float[x.data().length];
        for (int i = 0; i < m.length; i++) {
            m[i] = Math.abs(x.data()[i]);
        }
        return m;
    }
}
