package dev.lowbit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertConfig;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GemmRole;
import dev.lowbit.nn.Precision;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.GemmSpec;
import dev.lowbit.policy.OperandSpec;
import dev.lowbit.policy.Presets;
import dev.lowbit.policy.PrecisionPolicy;
import dev.lowbit.quant.Sqnr;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.train.GemmExecutor;
import dev.lowbit.train.TrainConfig;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One precision language (issue 17): a preset name means the same quantization in {@code embed --precision} (nn's
 * {@link Bert}) and {@code train --policy} (train's {@link GemmExecutor}). On all-MiniLM-L6-v2's weights and one
 * sequence of activations, the nn executor the preset resolves to holds exactly the weight the training executor's
 * spec makes, and both GEMMs agree with the float64 product of the same quantized operands.
 */
class PresetsAcrossEnginesTest {
    private static BertWeights weights;

    /** all-MiniLM-L6-v2's embeddings and first layer (one layer keeps the suite fast; every layer is quantized alike). */
    @BeforeAll
    static void load() {
        BertWeights w = MiniLm.weights();
        BertConfig c = w.config();
        weights = new BertWeights(new BertConfig(c.vocabSize(), c.hidden(), 1, c.heads(), c.intermediate(), c.maxPositions(),
                c.typeVocabSize(), c.layerNormEps()), w.wordEmbeddings(), w.positionEmbeddings(), w.tokenTypeEmbeddings(),
                w.embeddingNorm(), List.of(w.layers().get(0)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"fp8", "imunpack", "int8", "mxfp4", "nvfp4"})
    void aPresetQuantizesTheSameOperandsInBertAndInTraining(String name) {
        PrecisionPolicy policy = Presets.byName(name, Precision.AUTO_BITS);
        Precision p = Precision.fromPolicy(policy);
        assertThat(p.label()).isEqualTo(name);
        assertThat(p.mode()).isNotIn(Precision.Mode.FAKE, Precision.Mode.FP32); // each has a dedicated executor
        GemmSpec spec = policy.spec(GemmSite.LINEAR, GemmPass.FORWARD);
        FloatMatrix w = weights.layers().get(0).linear(GemmRole.FFN1).weight(); // 1536 × 384
        OperandSpec.Context ctx = new OperandSpec.Context("w", 0, 0, 0, 0);
        FloatMatrix trainW = spec.rhs().fakeQuantize(w, ctx);
        FloatMatrix x = activations(7, w.cols(), 11);
        FloatMatrix trainX = spec.lhs().fakeQuantize(x, ctx);
        double[] reference = product(trainX, trainW);
        try (Bert bert = new Bert(weights, p, GemmBackends.scalar(), 1)) {
            assertArrayEquals(trainW.toArray(), bert.executor().effectiveWeight(0, GemmRole.FFN1).toArray(), name + " weight");
            float[] nn = bert.executor().linear(0, GemmRole.FFN1, x, new int[] {0, x.rows()});
            FloatMatrix train = new GemmExecutor(policy, GemmBackends.scalar()).gemm(GemmSite.LINEAR, GemmPass.FORWARD, "layer0.ffn1", x, w);
            assertClose(nn, reference, "nn " + name);
            assertClose(train.toArray(), reference, "train " + name);
        }
    }

    @Test
    void everyPresetRunsOnAPretrainedModel() {
        List<int[]> one = List.of(MiniLm.tokenizer().encode("One language for every precision.").ids());
        for (String name : Presets.describe().keySet()) {
            Precision p = Precision.parse(name, null);
            assertThat(p.label()).isEqualTo(name);
            try (Bert bert = new Bert(weights, p, GemmBackends.preferred(), 1, false, one)) { // gptq-w4 calibrates on `one`
                float[] e = bert.embed(one)[0];
                double norm = 0;
                for (float v : e) {
                    assertThat(Float.isFinite(v)).as(name).isTrue();
                    norm += v * v;
                }
                assertThat(Math.sqrt(norm)).as(name).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    @Test
    void inferenceOnlyPresetsDoNotTrain() {
        assertThatThrownBy(() -> TrainConfig.defaults("kjv-gpt", "llm-int8"))
                .isInstanceOf(LowbitException.class).hasMessageContaining("inference-only");
    }

    private static FloatMatrix activations(int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * (i % 97 == 0 ? 8 : 1)); // a few heavy hitters
        }
        return FloatMatrix.wrap(v, rows, cols);
    }

    /** a·bᵀ in float64. */
    private static double[] product(FloatMatrix a, FloatMatrix b) {
        return ScalarGemm.f64(Sqnr.toDouble(a), Sqnr.toDouble(b), a.rows(), b.rows(), a.cols());
    }

    /** Every entry within 1e-5 of the largest magnitude: float32 accumulation of the same operands (a different code would miss by far more). */
    private static void assertClose(float[] got, double[] want, String what) {
        double max = 0;
        for (double v : want) {
            max = Math.max(max, Math.abs(v));
        }
        assertThat(got).hasSize(want.length);
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= 1e-5 * max)) {
                throw new AssertionError(what + " [" + i + "]: " + got[i] + " vs " + want[i] + " (max " + max + ")");
            }
        }
    }
}
