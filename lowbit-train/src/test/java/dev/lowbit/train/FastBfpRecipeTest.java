package dev.lowbit.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.policy.OperandSpec;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.quant.FastSchedule;
import dev.lowbit.round.CounterRandom;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import org.junit.jupiter.api.Test;

/**
 * The bfp-fast recipe after issue 17 item 4 ("One BFP": FAST's BFP is a preset of BlockFormat, BfpQuantizer is
 * gone) gives the numbers it gave before, bit for bit.
 */
class FastBfpRecipeTest {

    /**
     * The deleted {@code BfpQuantizer.round}, verbatim (double arithmetic), as the oracle: per group of {@code group}
     * values along a row, {@code e = getExponent(max|x|)}, {@code step = 2^(e − p + 1)}, {@code q = clamp(round(x/step),
     * ±(2^p − 1))}, stochastic rounding {@code floor(t + u)} with {@code u} from (seed, row-major index).
     */
    static double[] oldBfp(double[] rowMajor, int rows, int cols, int mantissaBits, int group, boolean stochastic, long seed) {
        double[] out = new double[rowMajor.length];
        double qmax = (1L << mantissaBits) - 1;
        for (int r = 0; r < rows; r++) {
            for (int g0 = 0; g0 < cols; g0 += group) {
                int g1 = Math.min(cols, g0 + group);
                double max = 0;
                for (int c = g0; c < g1; c++) {
                    max = Math.max(max, Math.abs(rowMajor[r * cols + c]));
                }
                if (max == 0) {
                    continue;
                }
                int e = Math.getExponent(max);
                double step = Math.scalb(1.0, e - mantissaBits + 1);
                for (int c = g0; c < g1; c++) {
                    int i = r * cols + c;
                    double t = rowMajor[i] / step;
                    double q = stochastic ? Math.floor(t + CounterRandom.uniform(seed, i)) : Math.rint(t);
                    out[i] = Math.max(-qmax, Math.min(qmax, q)) * step;
                }
            }
        }
        return out;
    }

    @Test
    void bfpOperandsAreBitIdenticalToTheOldQuantizer() {
        FastSchedule schedule = new FastSchedule(2, 6, 2, 30, 3, 1);
        OperandSpec spec = new OperandSpec.Bfp(schedule);
        int[][] shapes = {{5, 37}, {8, 16}, {3, 100}, {1, 1}, {16, 20}};
        long seed = 1;
        for (int[] s : shapes) {
            for (int step = 0; step < 30; step += 7) {
                for (int layer = 0; layer < 3; layer++) {
                    FloatMatrix x = RandomMatrices.gaussian(s[0], s[1], seed++);
                    for (int i = 0; i < s[1]; i += 3) {
                        x.set(0, i, 0f); // zeros, an all-zero first group when cols ≤ 3·16, tiny and huge values
                    }
                    if (s[0] > 1) {
                        x.set(1, 0, 1e-41f);
                        x.set(s[0] - 1, s[1] - 1, 3e37f);
                    }
                    OperandSpec.Context ctx = new OperandSpec.Context("t", 7, step, layer, seed);
                    int bits = schedule.mantissaBits(step, layer);
                    double[] xd = new double[s[0] * s[1]];
                    for (int i = 0; i < xd.length; i++) {
                        xd[i] = x.data()[i];
                    }
                    double[] want = oldBfp(xd, s[0], s[1], bits, 16, true, ctx.stream());
                    float[] got = spec.fakeQuantize(x, ctx).data();
                    for (int i = 0; i < want.length; i++) {
                        assertThat(Float.floatToIntBits(got[i])).as("shape %dx%d step %d layer %d element %d", s[0], s[1], step, layer, i)
                                .isEqualTo(Float.floatToIntBits((float) want[i]));
                    }
                }
            }
        }
    }

    /** Train losses of a short bfp-fast run (2 → 4 → 6 bits, two layers one phase apart), recorded with BfpQuantizer. */
    @Test
    void bfpFastTrainingIsUnchanged() {
        // context 20 and dim 24: GEMMs whose reduction axis is not a multiple of 16 (a short last group)
        TrainConfig c = new TrainConfig("kjv-gpt", "bfp-fast", 12, 3, 4, 20, 2, 24, 2, 3e-3, 2, 6, 2, 4, null, null, 0);
        RunResult r = Trainer.run(c, GemmBackends.scalar(), false, null); // plain Java float arithmetic: the same on every machine
        StringBuilder sb = new StringBuilder();
        for (double l : r.trainLoss()) {
            sb.append(Long.toHexString(Double.doubleToLongBits(l))).append(' ');
        }
        assertThat(sb.toString().strip()).isEqualTo(GOLDEN);
    }

    static final String GOLDEN = "4010a15c40000000 4010813a20000000 40103fc500000000 4010122260000000 400f82bea0000000 400f4615c0000000"
            + " 400e9a9120000000 400e6eefc0000000 400e51aea0000000 400dee8760000000 400e049920000000 400ddb2180000000";
}
