package dev.lowbit.train;

import dev.lowbit.policy.Presets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.policy.GemmKey;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.GemmSpec;
import dev.lowbit.policy.PrecisionPolicy;
import dev.lowbit.policy.OperandSpec;
import dev.lowbit.LowbitException;
import dev.lowbit.autograd.Tensor;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.quant.HadamardQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Learned LSQ steps (int4-hq): the step gradient, the operand gradient, the policy's parameter registry. */
class LsqTest {
    /** Forward Hadamard + learned LSQ on both operands; backward with float32 gradients against the saved operands. */
    static PrecisionPolicy lsqPolicy() {
        Map<GemmKey, GemmSpec> m = new HashMap<>();
        m.put(GemmKey.of(GemmSite.LINEAR, GemmPass.FORWARD), GemmSpec.fake(new OperandSpec.LsqLearned(), new OperandSpec.LsqLearned()).withHadamard());
        m.put(GemmKey.of(GemmSite.LINEAR, GemmPass.GRAD_INPUT), GemmSpec.fake(OperandSpec.FP32, new OperandSpec.Saved()));
        m.put(GemmKey.of(GemmSite.LINEAR, GemmPass.GRAD_WEIGHT), GemmSpec.fake(OperandSpec.FP32, new OperandSpec.Saved()));
        return new PrecisionPolicy("lsq-test", m);
    }

    /** x·blkdiag(H_block) in float64 from the Sylvester entries (−1)^popcount(i∧j)/√block. */
    static double[][] hadamard(double[][] x, int block) {
        int k = x[0].length;
        double[][] y = new double[x.length][k];
        for (int r = 0; r < x.length; r++) {
            for (int b0 = 0; b0 < k; b0 += block) {
                for (int j = 0; j < block; j++) {
                    double s = 0;
                    for (int i = 0; i < block; i++) {
                        s += x[r][b0 + i] * (Integer.bitCount(i & j) % 2 == 0 ? 1 : -1) / Math.sqrt(block);
                    }
                    y[r][b0 + j] = s;
                }
            }
        }
        return y;
    }

    static double[][] toArray(FloatMatrix m) {
        double[][] d = new double[m.rows()][m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            for (int c = 0; c < m.cols(); c++) {
                d[r][c] = m.get(r, c);
            }
        }
        return d;
    }

    /** Rounded to float32, as the executor stores the transformed operand before quantizing it. */
    static double[][] toFloat(double[][] x) {
        double[][] y = new double[x.length][];
        for (int r = 0; r < x.length; r++) {
            y[r] = new double[x[r].length];
            for (int c = 0; c < x[r].length; c++) {
                y[r][c] = (float) x[r][c];
            }
        }
        return y;
    }

    static double[][] quantize(double[][] x, double s) {
        double[][] q = new double[x.length][x[0].length];
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[0].length; c++) {
                q[r][c] = Math.max(-8, Math.min(7, Math.rint(x[r][c] / s))) * s;
            }
        }
        return q;
    }

    /** C = A·Bᵀ in float64. */
    static double[][] nt(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) {
                double s = 0;
                for (int l = 0; l < a[0].length; l++) {
                    s += a[i][l] * b[j][l];
                }
                c[i][j] = s;
            }
        }
        return c;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** The LSQ formula written out: g·Σ u·(−8 | 7 | rint(x/s) − x/s), g = 1/√(n·7); {clip count, inside count, gradient}. */
    static double[] stepGradient(double[][] x, double[][] upstream, double s) {
        double sum = 0;
        int clipped = 0;
        int inside = 0;
        int n = 0;
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[0].length; c++) {
                double v = x[r][c] / s;
                double d;
                if (v < -8) {
                    d = -8;
                    clipped++;
                } else if (v > 7) {
                    d = 7;
                    clipped++;
                } else {
                    d = Math.rint(v) - v;
                    inside++;
                }
                sum += upstream[r][c] * d;
                n++;
            }
        }
        return new double[] {clipped, inside, sum / Math.sqrt(n * 7.0)};
    }

    /** Straight-through inside [−8, 7]·s, zero outside. */
    static double[][] mask(double[][] x, double[][] upstream, double s) {
        double[][] m = new double[x.length][x[0].length];
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[0].length; c++) {
                double v = x[r][c] / s;
                m[r][c] = v < -8 || v > 7 ? 0 : upstream[r][c];
            }
        }
        return m;
    }

    static void assertClose(double[][] expected, FloatMatrix actual, double tol, String what) {
        double max = 0;
        for (double[] row : expected) {
            for (double v : row) {
                max = Math.max(max, Math.abs(v));
            }
        }
        for (int r = 0; r < expected.length; r++) {
            for (int c = 0; c < expected[0].length; c++) {
                assertThat((double) actual.get(r, c)).as(what + " (" + r + ", " + c + ")").isCloseTo(expected[r][c],
                        org.assertj.core.data.Offset.offset(tol * max));
            }
        }
    }

    /**
     * A small GEMM through the executor against a float64 implementation of the same definitions: Hadamard
     * along k (block 32 of k = 96, as in the GPT), steps initialized to 2·mean|x̂|/√7 on the first forward, then set by hand
     * so that some elements clip; the forward product, both step gradients (LSQ's estimator, formed from
     * dÂ = dC·Q(B̂) and dB̂ = dCᵀ·Q(Â)) and both operand gradients (masked, transformed back).
     */
    @Test
    void stepGradientsAndOperandGradientsMatchAFloat64Reference() {
        GemmExecutor ex = new GemmExecutor(lsqPolicy(), GemmBackends.preferred());
        FloatMatrix a = RandomMatrices.outlierChannels(10, 96, 3, 20, 11);
        FloatMatrix b = RandomMatrices.studentT(7, 96, 3, 12);
        FloatMatrix dc = RandomMatrices.gaussian(10, 7, 13);
        double[][] ah = toFloat(hadamard(toArray(a), 32));
        double[][] bh = toFloat(hadamard(toArray(b), 32));

        ex.forward(GemmSite.LINEAR, "t", a, b);
        Map<String, Tensor> steps = ex.quantizerParams().params();
        assertThat(steps).containsOnlyKeys("quant:t/output/lhs.lsq-step", "quant:t/output/rhs.lsq-step");
        Tensor sa = steps.get("quant:t/output/lhs.lsq-step");
        Tensor sb = steps.get("quant:t/output/rhs.lsq-step");
        double meanA = java.util.Arrays.stream(ah).flatMapToDouble(java.util.Arrays::stream).map(Math::abs).average().orElseThrow();
        double meanB = java.util.Arrays.stream(bh).flatMapToDouble(java.util.Arrays::stream).map(Math::abs).average().orElseThrow();
        assertThat(sa.data[0]).isEqualTo((float) (2 * meanA / Math.sqrt(7) + 1e-10));
        assertThat(sb.data[0]).isEqualTo((float) (2 * meanB / Math.sqrt(7) + 1e-10));

        // smaller steps than the initialization, one of them negative (|s| is what quantizes)
        sa.data[0] = sa.data[0] * 0.3f;
        sb.data[0] = -sb.data[0] * 0.4f;
        GemmExecutor.Forward f = ex.forward(GemmSite.LINEAR, "t", a, b);
        assertThat(sb.data[0]).isPositive();
        double s1 = sa.data[0];
        double s2 = sb.data[0];
        double[][] qa = quantize(ah, s1);
        double[][] qb = quantize(bh, s2);
        assertClose(nt(qa, qb), f.out(), 1e-5, "forward");

        FloatMatrix da = f.gradLhs(dc);
        FloatMatrix db = f.gradRhs(dc);
        double[][] dcd = toArray(dc);
        double[][] daHat = nt(dcd, transpose(qb)); // dC·Q(B̂)
        double[][] dbHat = nt(transpose(dcd), transpose(qa)); // dCᵀ·Q(Â)
        double[] ga = stepGradient(ah, daHat, s1);
        double[] gb = stepGradient(bh, dbHat, s2);
        assertThat(ga[0]).as("clipped elements of A").isPositive();
        assertThat(ga[1]).as("elements of A inside the range").isPositive();
        assertThat(gb[0]).as("clipped elements of B").isPositive();
        // tolerance: float32 GEMM of the upstream gradient, relative to the sum of the terms' magnitudes
        assertThat((double) sa.grad()[0]).isCloseTo(ga[2], org.assertj.core.data.Offset.offset(1e-5 * absTerms(ah, daHat, s1)));
        assertThat((double) sb.grad()[0]).isCloseTo(gb[2], org.assertj.core.data.Offset.offset(1e-5 * absTerms(bh, dbHat, s2)));
        assertClose(hadamard(mask(ah, daHat, s1), 32), da, 1e-5, "dA");
        assertClose(hadamard(mask(bh, dbHat, s2), 32), db, 1e-5, "dB");
    }

    static double absTerms(double[][] x, double[][] u, double s) {
        double sum = 0;
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[0].length; c++) {
                double v = x[r][c] / s;
                sum += Math.abs(u[r][c] * (v < -8 ? -8 : v > 7 ? 7 : Math.rint(v) - v));
            }
        }
        return sum / Math.sqrt(x.length * x[0].length * 7.0) + 1e-30;
    }

    /** {@link LsqStep#backward} against the core's float64 {@link HadamardQuantizer#lsqStepGradient}, and its mask. */
    @Test
    void lsqBackwardAgreesWithTheCoreFormulaAndMasksOutsideTheRange() {
        FloatMatrix x = RandomMatrices.studentT(9, 23, 2, 5);
        FloatMatrix u = RandomMatrices.gaussian(9, 23, 6);
        double s = 0.4;
        float[] grad = u.data().clone();
        double got = LsqStep.backward(x, s, grad);
        double[] xd = dev.lowbit.quant.Sqnr.toDouble(x);
        double[] ud = dev.lowbit.quant.Sqnr.toDouble(u);
        assertThat(got).isEqualTo(HadamardQuantizer.lsqStepGradient(xd, ud, s));
        int zeroed = 0;
        for (int i = 0; i < xd.length; i++) {
            double v = xd[i] / s;
            boolean inside = v >= -8 && v <= 7;
            assertThat(grad[i]).isEqualTo(inside ? u.data()[i] : 0f);
            zeroed += inside ? 0 : 1;
        }
        assertThat(zeroed).isPositive();
        // the forward twin: clamp(rint(x/s), −8, 7)·s, half-even at ties
        FloatMatrix ties = FloatMatrix.wrap(new float[] {0.5f, 1.5f, -0.5f, -2.5f, 100f, -100f, 7.4f, -8.4f}, 1, 8);
        assertArrayEquals(new float[] {0f, 2f, -0f, -2f, 7f, -8f, 7f, -8f}, LsqStep.quantize(ties, 1.0).data());
    }

    /** Non-LSQ recipes: the forward handle's backward GEMMs are exactly the plain NN / TN executor calls. */
    @Test
    void forwardHandlesChangeNothingForOtherRecipes() {
        FloatMatrix a = RandomMatrices.outlierChannels(12, 40, 2, 30, 1);
        FloatMatrix b = RandomMatrices.studentT(9, 40, 3, 2);
        FloatMatrix dc = RandomMatrices.gaussian(12, 9, 3);
        for (String name : new String[] {"fp32", "imunpack", "int8", "mxfp8", "nvfp4"}) {
            GemmExecutor e1 = new GemmExecutor(Presets.byName(name, 0), GemmBackends.preferred());
            GemmExecutor e2 = new GemmExecutor(Presets.byName(name, 0), GemmBackends.preferred());
            GemmExecutor.Forward f = e1.forward(GemmSite.LINEAR, "t", a, b);
            assertArrayEquals(e2.gemm(GemmSite.LINEAR, GemmPass.FORWARD, "t", a, b).data(), f.out().data(), name);
            assertArrayEquals(e2.gemm(GemmSite.LINEAR, GemmPass.GRAD_INPUT, "t", GemmLayout.NN, dc, b).data(), f.gradLhs(dc).data(), name);
            assertArrayEquals(e2.gemm(GemmSite.LINEAR, GemmPass.GRAD_WEIGHT, "t", GemmLayout.TN, dc, a).data(), f.gradRhs(dc).data(), name);
            assertThat(e1.quantizerParams().params()).isEmpty();
        }
    }

    @Test
    void policiesMustGiveLearnedStepsABackwardThatReusesTheForwardOperand() {
        Map<GemmKey, GemmSpec> m = new HashMap<>();
        m.put(GemmKey.of(GemmSite.LINEAR, GemmPass.FORWARD), GemmSpec.fake(new OperandSpec.LsqLearned(), OperandSpec.FP32));
        assertThatThrownBy(() -> new PrecisionPolicy("bad", m)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("output learns LSQ steps, so grad-input must reuse");
        Map<GemmKey, GemmSpec> m2 = new HashMap<>();
        m2.put(GemmKey.of(GemmSite.LINEAR, GemmPass.GRAD_INPUT), GemmSpec.fake(OperandSpec.FP32, new OperandSpec.LsqLearned()));
        assertThatThrownBy(() -> new PrecisionPolicy("bad", m2)).isInstanceOf(LowbitException.class).hasMessageContaining("backward role");
        GemmExecutor ex = new GemmExecutor(Presets.byName("int4-hq", 0), GemmBackends.preferred());
        assertThatThrownBy(() -> ex.gemm(GemmSite.LINEAR, GemmPass.GRAD_INPUT, "h0.ffn.1", GemmLayout.NN, RandomMatrices.gaussian(4, 8, 1), RandomMatrices.gaussian(8, 16, 2)))
                .isInstanceOf(LowbitException.class).hasMessageContaining("h0.ffn.1 grad-input reuses its forward GEMM's quantized operand");
    }

    /**
     * int4-hq: one step per (layer, role, operand) — 4 linear layers and 2 attention GEMMs per block, 2 operands
     * each — initialized on the first step, trained (they move), positive, and the same bits in a second run.
     */
    @Test
    void int4HqLearnsPositiveStepsDeterministically() {
        // thread counts: dev.lowbit.cli.TrainThreadsTest (the SIMD backend; this module tests on the scalar one)
        RunResult one = Trainer.run(TrainingTest.tiny("int4-hq", 6, null, 0), GemmBackends.preferred(), false, null);
        RunResult two = Trainer.run(TrainingTest.tiny("int4-hq", 6, null, 0), GemmBackends.preferred(), false, null);
        assertArrayEquals(one.trainLoss(), two.trainLoss());
        assertThat(one.finalValLoss()).isEqualTo(two.finalValLoss());
        assertThat(one.quantizerParams()).hasSize(12).containsKeys("h0.attn.qkv/output/lhs.lsq-step", "h0.ffn.2/output/rhs.lsq-step",
                "h0.attn/attn-score/lhs.lsq-step", "h0.attn/attn-value/rhs.lsq-step");
        int moved = 0;
        for (var e : one.quantizerParams().entrySet()) {
            double[] v = e.getValue();
            assertThat(v[1]).as(e.getKey()).isPositive().isFinite().isEqualTo(two.quantizerParams().get(e.getKey())[1]);
            assertThat(v[0]).as(e.getKey()).isPositive();
            moved += v[0] != v[1] ? 1 : 0;
        }
        assertThat(moved).isEqualTo(12);
    }

    /**
     * Once the steps are initialized they do not depend on the data, so int4-hq's GPT is exactly causal: changing
     * the last token leaves every earlier position's logits unchanged, bit for bit. A Hadamard transform on P·V
     * (reduction over positions) would break this — the same policy with it does leak, which is why int4-hq
     * quantizes P·V without the transform.
     */
    @Test
    void int4HqKeepsTheGptCausal() {
        assertThat(causalLeak(Presets.byName("int4-hq", 0))).isZero();
        Map<GemmKey, GemmSpec> m = new HashMap<>(Presets.byName("int4-hq", 0).specs());
        m.put(GemmKey.of(GemmSite.ATTN_VALUE, GemmPass.FORWARD), m.get(GemmKey.of(GemmSite.ATTN_VALUE, GemmPass.FORWARD)).withHadamard());
        assertThat(causalLeak(new PrecisionPolicy("hadamard-on-pv", m))).isPositive();
    }

    /** How many logits before the last position change when only the last token changes. */
    static int causalLeak(PrecisionPolicy p) {
        int t = 16;
        Gpt gpt = new Gpt(new Gpt.Config(20, t, 1, 32, 2), 5);
        GemmExecutor ex = new GemmExecutor(p, GemmBackends.preferred());
        GemmExecutor fp32 = new GemmExecutor(Presets.byName("fp32", 0), GemmBackends.preferred());
        int[] a = new int[t];
        for (int i = 0; i < t; i++) {
            a[i] = (i * 7 + 3) % 20;
        }
        int[] b = a.clone();
        b[t - 1] = (a[t - 1] + 5) % 20;
        gpt.logits(ex, fp32, a, 1, t); // initializes the steps
        float[] la = gpt.logits(ex, fp32, a, 1, t).data;
        float[] lb = gpt.logits(ex, fp32, b, 1, t).data;
        int changed = 0;
        for (int i = 0; i < (t - 1) * 20; i++) {
            changed += Float.floatToIntBits(la[i]) == Float.floatToIntBits(lb[i]) ? 0 : 1;
        }
        return changed;
    }
}
