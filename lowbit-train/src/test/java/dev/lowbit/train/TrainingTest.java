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
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingTest {
    @TempDir
    Path dir;

    static TrainConfig tiny(String policy, int steps, Path ckpt, int every) {
        return new TrainConfig("kjv-gpt", policy, steps, 3, 4, 16, 1, 16, 2, 3e-3, 2, 3, 2, 4, null, ckpt, every);
    }

    /** Every role's IM-Unpack GEMM gives exactly (float) of the int64 GEMM of the codes over the scales. */
    @Test
    void imunpackGemmsAreBitIdenticalToTheLongReference() {
        PrecisionPolicy p = Presets.byName("imunpack", 4);
        GemmExecutor ex = new GemmExecutor(p, GemmBackends.preferred());
        FloatMatrix a = RandomMatrices.outlierChannels(12, 40, 2, 30, 1);
        FloatMatrix b = RandomMatrices.studentT(9, 40, 3, 2);
        for (GemmKey role : GemmKey.ALL) {
            GemmSpec s = p.spec(role);
            QuantizedMatrix qa = RtnQuantizer.quantize(a, ((OperandSpec.Rtn) s.lhs()).params());
            QuantizedMatrix qb = RtnQuantizer.quantize(b, ((OperandSpec.Rtn) s.rhs()).params());
            LongMatrix exact = ScalarGemm.exact(qa.codes(), qb.codes());
            float[] expected = new float[12 * 9];
            for (int i = 0; i < 12; i++) {
                for (int j = 0; j < 9; j++) {
                    expected[i * 9 + j] = (float) (exact.get(i, j) / (qa.scales()[0] * qb.scales()[0]));
                }
            }
            assertArrayEquals(expected, ex.gemm(role.site(), role.pass(), "t", a, b).data(), role.label());
        }
        assertThat(ex.stats().get("output").ratio()).isGreaterThanOrEqualTo(1.0);
    }

    /**
     * {@code dfp16}: every role, forward and backward, is the int16 × int16 product of the two tensors' shared-exponent
     * codes, accumulated in int32 in bounded chunks — checked against the int64 product of the codes times
     * 2^(Ea+Eb) (only the float32 additions of the int32 partial sums differ), in every layout.
     */
    @Test
    void dfp16GemmsAreTheChunkedIntegerProductOfTheSharedExponentCodes() {
        PrecisionPolicy p = Presets.byName("dfp16", 0);
        GemmExecutor ex = new GemmExecutor(p, GemmBackends.preferred());
        FloatMatrix a = RandomMatrices.outlierChannels(12, 40, 2, 30, 1);
        FloatMatrix b = RandomMatrices.studentT(9, 40, 3, 2);
        dev.lowbit.quant.DfpQuantizer.Dfp qa = dev.lowbit.quant.DfpQuantizer.encode(a, 16, "a");
        dev.lowbit.quant.DfpQuantizer.Dfp qb = dev.lowbit.quant.DfpQuantizer.encode(b, 16, "b");
        for (GemmKey role : GemmKey.ALL) {
            assertThat(p.spec(role).exec()).as(role.label()).isEqualTo(GemmSpec.Exec.DFP);
            float[] got = ex.gemm(role.site(), role.pass(), "t", a, b).data();
            assertArrayEquals(got, ex.gemm(role.site(), role.pass(), "t", dev.lowbit.gemm.GemmLayout.NN, a,
                    dev.lowbit.autograd.Ops.transpose(b)).data(), role.label() + " NN");
            for (int i = 0; i < 12; i++) {
                for (int j = 0; j < 9; j++) {
                    long exact = 0;
                    double mass = 0;
                    for (int l = 0; l < 40; l++) {
                        long prod = (long) qa.codes()[i * 40 + l] * qb.codes()[j * 40 + l];
                        exact += prod;
                        mass += Math.abs(prod);
                    }
                    double want = Math.scalb((double) exact, qa.exponent() + qb.exponent());
                    double tol = Math.scalb(mass, qa.exponent() + qb.exponent()) * 21 * 0x1p-24 + Math.ulp((float) want);
                    assertThat(Math.abs(got[i * 9 + j] - want)).as(role.label() + " (%d, %d)", i, j).isLessThanOrEqualTo(tol);
                }
            }
        }
    }

    /** {@code fp:eXmY}: both operands of every GEMM in that minifloat with a per-tensor scale; non-minifloats are one-line errors. */
    @Test
    void anyMinifloatAfterFp() {
        for (String f : new String[] {"e2m1", "e3m0", "e1m2", "e4m3", "e5m2", "e3m4"}) {
            PrecisionPolicy p = Presets.byName("fp:" + f, 0);
            for (GemmKey role : GemmKey.ALL) {
                GemmSpec s = p.spec(role);
                assertThat(s.lhs()).as(f).isEqualTo(s.rhs()).isInstanceOf(OperandSpec.Format.class);
                OperandSpec.Format o = (OperandSpec.Format) s.lhs();
                assertThat(o.format()).isEqualTo(dev.lowbit.format.Formats.parse(f));
                assertThat(o.tensorScale()).isTrue();
                assertThat(o.stochastic()).isFalse();
            }
        }
        // per-tensor scale: max|x| lands on the format's largest value; e1m2 (bias 0) is the uniform grid 0, ±0.5 … ±3.5
        FloatMatrix x = FloatMatrix.of(new float[] {3.5f, -1.0f, 0.4f, 0.05f});
        FloatMatrix q = Presets.byName("fp:e1m2", 0).spec(GemmSite.LINEAR, GemmPass.FORWARD).lhs()
                .fakeQuantize(x, new OperandSpec.Context("x", 0, 0, 0, 0));
        assertThat(q.toArray()).containsExactly(3.5f, -1.0f, 0.5f, 0f);
        assertThatThrownBy(() -> Presets.byName("fp:int8", 0)).isInstanceOf(LowbitException.class).hasMessageContaining("minifloat");
        assertThatThrownBy(() -> Presets.byName("fp:e9m9", 0)).isInstanceOf(LowbitException.class).hasMessageContaining("fp:e9m9");
        assertThatThrownBy(() -> Presets.byName("fp:", 0)).isInstanceOf(LowbitException.class);
    }

    /**
     * Every layout gives the NT result on the transposed copies, bit for bit, for every recipe; IM-Unpack
     * reuses cached codes (second and later calls on the same operands), which must change nothing.
     */
    @Test
    void layoutsAndCachedCodesGiveTheNtResult() {
        FloatMatrix a = RandomMatrices.outlierChannels(12, 40, 2, 30, 1);
        FloatMatrix b = RandomMatrices.studentT(9, 40, 3, 2);
        FloatMatrix at = dev.lowbit.autograd.Ops.transpose(a);
        FloatMatrix bt = dev.lowbit.autograd.Ops.transpose(b);
        for (String name : new String[] {"fp32", "imunpack", "int8", "mxfp8"}) {
            for (GemmKey role : GemmKey.ALL) {
                float[] expected = new GemmExecutor(Presets.byName(name, 0), GemmBackends.preferred()).gemm(role.site(), role.pass(), "t", a, b).data();
                GemmExecutor ex = new GemmExecutor(Presets.byName(name, 0), GemmBackends.preferred());
                for (int rep = 0; rep < 2; rep++) {
                    assertArrayEquals(expected, ex.gemm(role.site(), role.pass(), "t", dev.lowbit.gemm.GemmLayout.NN, a, bt).data(), name + " NN " + role);
                    assertArrayEquals(expected, ex.gemm(role.site(), role.pass(), "t", dev.lowbit.gemm.GemmLayout.TN, at, bt).data(), name + " TN " + role);
                    assertArrayEquals(expected, ex.gemm(role.site(), role.pass(), "t", a, b).data(), name + " NT " + role);
                    FloatMatrix[] batch = ex.gemmBatch(role.site(), role.pass(), "t", dev.lowbit.gemm.GemmLayout.TN, new FloatMatrix[] {at, at},
                            new FloatMatrix[] {bt, bt});
                    assertArrayEquals(expected, batch[1].data(), name + " batch " + role);
                }
                ex.setStep(1, 1); // a new step forgets the cached codes
                assertArrayEquals(expected, ex.gemm(role.site(), role.pass(), "t", dev.lowbit.gemm.GemmLayout.TN, at, bt).data(), name + " after setStep");
            }
        }
    }

    /**
     * A probed GEMM returns the same bits as an unprobed one; its recorded SQNR is that of the output against the
     * float64-checked float32 GEMM of the unquantized operands, and grows with the forward levels.
     */
    @Test
    void probedGemmsRecordTheOutputSqnrAndChangeNothing() {
        FloatMatrix a = RandomMatrices.outlierChannels(24, 64, 2, 30, 1);
        FloatMatrix b = RandomMatrices.studentT(16, 64, 3, 2);
        double[] sqnr = new double[3];
        String[] names = {"imunpack", "imunpack:63", "fp8"};
        for (int r = 0; r < names.length; r++) {
            GemmExecutor plain = new GemmExecutor(Presets.byName(names[r], 0), GemmBackends.preferred());
            GemmExecutor probed = new GemmExecutor(Presets.byName(names[r], 0), GemmBackends.preferred());
            probed.setProbe(true);
            float[] want = plain.gemm(GemmSite.LINEAR, GemmPass.FORWARD, "h0.ffn.1", a, b).data();
            float[] got = probed.gemm(GemmSite.LINEAR, GemmPass.FORWARD, "h0.ffn.1", a, b).data();
            assertArrayEquals(want, got, names[r]);
            assertThat(plain.stats().get("output").sqnrDb()).isNaN();
            RoleStats st = probed.stats().get("output");
            assertThat(st.probes()).isEqualTo(1);
            assertThat(probed.stats().get("h0.ffn.1/output").sqnrDb()).isEqualTo(st.sqnrDb());
            double signal = 0;
            double noise = 0;
            for (int i = 0; i < 24; i++) {
                for (int j = 0; j < 16; j++) {
                    double ref = 0;
                    for (int k = 0; k < 64; k++) {
                        ref += (double) a.get(i, k) * b.get(j, k);
                    }
                    signal += ref * ref;
                    noise += (got[i * 16 + j] - ref) * (got[i * 16 + j] - ref);
                }
            }
            sqnr[r] = st.sqnrDb();
            assertThat(sqnr[r]).as(names[r]).isCloseTo(10 * Math.log10(signal / noise), org.assertj.core.data.Offset.offset(0.05));
        }
        assertThat(sqnr[1]).isGreaterThan(sqnr[0] + 6); // 63 levels: two more bits than 15
        GemmExecutor fp32 = new GemmExecutor(Presets.byName("fp32", 0), GemmBackends.preferred());
        fp32.setProbe(true);
        fp32.gemm(GemmSite.LINEAR, GemmPass.FORWARD, "t", a, b);
        assertThat(fp32.stats().get("output").probes()).isZero(); // float32 is its own reference
        RunResult run = Trainer.run(tiny("imunpack", 5, null, 0), GemmBackends.preferred(), false, null); // validates after 3, 5
        for (String role : new String[] {"output", "grad-input", "grad-weight", "attn-score", "attn-value-grad"}) {
            RoleStats st = run.unpack().get(role);
            assertThat(st.sqnrDb()).as(role).isFinite().isGreaterThan(5);
            assertThat(st.sqnrDbByStep()).extracting(v -> v[0]).as(role).containsExactly(3.0, 5.0);
            assertThat(st.sqnrDbByStep()).extracting(v -> v[1]).as(role).allSatisfy(db -> assertThat(db).isFinite().isGreaterThan(5));
        }
    }

    @Test
    void aNonFiniteOperandIsAnErrorNamingTheGemm() {
        GemmExecutor ex = new GemmExecutor(Presets.byName("imunpack", 0), GemmBackends.preferred());
        FloatMatrix a = RandomMatrices.gaussian(6, 8, 1);
        a.set(4, 2, Float.POSITIVE_INFINITY);
        assertThatThrownBy(() -> ex.gemm(GemmSite.LINEAR, GemmPass.GRAD_INPUT, "h1.ffn.2", dev.lowbit.gemm.GemmLayout.NN, a, RandomMatrices.gaussian(8, 5, 2)))
                .isInstanceOf(LowbitException.class).hasMessageContaining("h1.ffn.2 grad-input lhs").hasMessageContaining("(4, 2)");
    }

    @Test
    void imunpackTrainingDoesNotDependOnTheBitWidth() {
        TrainConfig b4 = tiny("imunpack", 3, null, 0);
        TrainConfig b8 = new TrainConfig(b4.task(), b4.policy(), b4.steps(), b4.seed(), b4.batch(), b4.context(), b4.layers(), b4.dim(),
                b4.heads(), b4.lr(), b4.warmup(), b4.evalEvery(), b4.evalBatches(), 8, null, null, 0);
        TrainConfig auto = new TrainConfig(b4.task(), b4.policy(), b4.steps(), b4.seed(), b4.batch(), b4.context(), b4.layers(), b4.dim(),
                b4.heads(), b4.lr(), b4.warmup(), b4.evalEvery(), b4.evalBatches(), 0, null, null, 0);
        double[] losses = Trainer.run(b4, GemmBackends.preferred(), false, null).trainLoss();
        assertArrayEquals(losses, Trainer.run(b8, GemmBackends.preferred(), false, null).trainLoss());
        assertArrayEquals(losses, Trainer.run(auto, GemmBackends.preferred(), false, null).trainLoss());
    }

    @Test
    void trainingReducesTheLoss() {
        RunResult r = Trainer.run(tiny("fp32", 40, null, 0), GemmBackends.preferred(), false, null);
        double first = (r.trainLoss()[0] + r.trainLoss()[1] + r.trainLoss()[2]) / 3;
        double last = (r.trainLoss()[37] + r.trainLoss()[38] + r.trainLoss()[39]) / 3;
        assertThat(last).isLessThan(first - 0.5);
        assertThat(r.valLoss()).isNotEmpty();
        assertThat(r.sample()).startsWith("And the LORD said unto ").hasSizeGreaterThan(100);
    }

    static final class Interrupt extends RuntimeException {}

    /** Also for int4-hq, whose learned LSQ steps (and their AdamW moments) travel in the checkpoint. */
    @Test
    void resumeAfterAnInterruptionContinuesBitIdentically() {
        GemmBackend be = GemmBackends.preferred();
        for (String policy : new String[] {"imunpack-sim", "int4-hq"}) {
            RunResult straight = Trainer.run(tiny(policy, 8, null, 0), be, false, null);
            Path b = dir.resolve("ck-" + policy);
            b.toFile().mkdirs();
            TrainConfig c = tiny(policy, 8, b, 5);
            assertThatThrownBy(() -> Trainer.run(c, be, false, (s, total, loss, rate) -> {
                if (s == 6) {
                    throw new Interrupt();
                }
            })).isInstanceOf(Interrupt.class);
            RunResult resumed = Trainer.run(c, be, true, null);
            assertThat(resumed.resumedFrom()).isEqualTo(5);
            assertArrayEquals(straight.trainLoss(), resumed.trainLoss(), policy);
            assertThat(resumed.finalValLoss()).as(policy).isEqualTo(straight.finalValLoss());
            assertThat(resumed.quantizerParams().keySet()).isEqualTo(straight.quantizerParams().keySet());
            for (var e : straight.quantizerParams().entrySet()) {
                assertThat(resumed.quantizerParams().get(e.getKey())[1]).as(e.getKey()).isEqualTo(e.getValue()[1]);
            }
            assertThat(straight.quantizerParams()).hasSize(policy.equals("int4-hq") ? 12 : 0);
        }
        Path b = dir.resolve("ck-imunpack-sim");
        assertThatThrownBy(() -> Trainer.run(tiny("fp32", 8, b, 5), be, true, null)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("no checkpoint");
    }

    @Test
    void everyRecipeTrainsDeterministically() {
        for (String name : Presets.describe().keySet()) {
            if (Presets.inferenceOnly(name)) {
                continue;
            }
            RunResult a = Trainer.run(tiny(name, 4, null, 0), GemmBackends.preferred(), false, null);
            RunResult b = Trainer.run(tiny(name, 4, null, 0), GemmBackends.preferred(), false, null);
            assertArrayEquals(a.trainLoss(), b.trainLoss(), name);
            assertThat(a.finalValLoss()).as(name).isFinite();
            // 4 steps from the same initialization: every recipe starts near ln(vocab)
            assertThat(a.trainLoss()[0]).as(name).isBetween(3.5, 5.0);
        }
    }

    @Test
    void layerIndexAndHadamardBlock() {
        assertThat(GemmExecutor.layerIndex("h12.attn.qkv")).isEqualTo(12);
        assertThat(GemmExecutor.layerIndex("head")).isEqualTo(-1);
        assertThat(dev.lowbit.quant.HadamardQuantizer.blockFor(96)).isEqualTo(32);
        assertThat(dev.lowbit.quant.HadamardQuantizer.blockFor(256)).isEqualTo(64);
        assertThat(dev.lowbit.quant.HadamardQuantizer.blockFor(15)).isEqualTo(1);
    }

    @Test
    void configValidation() {
        assertThatThrownBy(() -> tiny("nope", 5, null, 0)).isInstanceOf(LowbitException.class).hasMessageContaining("unknown policy");
        assertThatThrownBy(() -> new TrainConfig("mnist", "fp32", 5, 1, 4, 16, 1, 16, 2, 1e-3, 1, 1, 1, 4, null, null, 0))
                .hasMessageContaining("unknown task");
        assertThatThrownBy(() -> new TrainConfig("kjv-gpt", "fp32", 5, 1, 4, 16, 1, 18, 4, 1e-3, 1, 1, 1, 4, null, null, 0))
                .hasMessageContaining("multiple of --heads");
    }

    /** {@code imunpack:31}: forward RTN codes of 31 levels, gradients unchanged; bad names are one-line errors. */
    @Test
    void forwardLevelsAfterAColon() {
        PrecisionPolicy p = Presets.byName("imunpack:31", 0);
        assertThat(((OperandSpec.Rtn) p.spec(GemmSite.LINEAR, GemmPass.FORWARD).lhs()).params().levels()).isEqualTo(31);
        assertThat(((OperandSpec.Rtn) p.spec(GemmSite.LINEAR, GemmPass.GRAD_INPUT).lhs()).params()).isEqualTo(Presets.BWD);
        assertThat(((OperandSpec.Rtn) p.spec(GemmSite.LINEAR, GemmPass.GRAD_INPUT).rhs()).params().levels()).isEqualTo(31);
        assertThat(p.spec(GemmSite.LINEAR, GemmPass.FORWARD).exec()).isEqualTo(GemmSpec.Exec.IMUNPACK);
        assertThat(((OperandSpec.Rtn) Presets.byName("rtn-clip:7", 0).spec(GemmSite.LINEAR, GemmPass.FORWARD).lhs()).params().clip()).isTrue();
        assertThat(Presets.byName("imunpack:15", 0).specs()).isEqualTo(Presets.byName("imunpack", 0).specs());
        assertThat(Presets.byName("imunpack-sim:15", 0).specs()).isEqualTo(Presets.byName("imunpack-sim", 0).specs());
        assertThat(Presets.byName("imunpack-fwd:15", 0).specs()).isEqualTo(Presets.byName("imunpack-fwd", 0).specs());
        assertThat(Presets.byName("rtn-clip:15", 0).specs()).isEqualTo(Presets.byName("rtn-clip", 0).specs());
        assertThatThrownBy(() -> Presets.byName("fp32:31", 0)).isInstanceOf(LowbitException.class).hasMessageContaining("take forward levels");
        assertThatThrownBy(() -> Presets.byName("imunpack:16", 0)).isInstanceOf(LowbitException.class).hasMessageContaining("odd integer");
        assertThatThrownBy(() -> Presets.byName("imunpack:x", 0)).isInstanceOf(LowbitException.class).hasMessageContaining("odd integer");
        RunResult r = Trainer.run(tiny("imunpack:31", 2, null, 0), GemmBackends.preferred(), false, null);
        assertThat(r.trainLoss()).hasSize(2);
        assertThat(r.config().policy()).isEqualTo("imunpack:31");
    }

    @Test
    void scheduleWarmsUpThenDecays() {
        LrSchedule s = new LrSchedule(1.0, 10, 110, 0.1);
        assertThat(s.at(0)).isEqualTo(0.1);
        assertThat(s.at(9)).isEqualTo(1.0);
        assertThat(s.at(60)).isCloseTo(0.55, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(s.at(110)).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
    }
}
