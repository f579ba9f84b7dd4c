package dev.lowbit.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.Formats;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GemmRole;
import dev.lowbit.nn.GptqGemms;
import dev.lowbit.nn.LlmInt8Gemms;
import dev.lowbit.nn.Precision;
import dev.lowbit.quant.GptqQuantizer;
import dev.lowbit.gemm.LlmInt8Quantizer;
import dev.lowbit.round.Rounding;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The precisions beyond imunpack/int8 on the real model: each one's cosine to FP32 on hand-written sentences (lower
 * bounds a little below the values measured here, docs/minilm.md), and each stored weight checked against core's
 * reference quantizer on a real weight of MiniLM.
 */
class MiniLmPrecisionsTest {
    static BertWeights weights;
    static WordPieceTokenizer tok;
    static List<int[]> ids;
    static float[][] fp32;
    static final GemmBackend BACKEND = GemmBackends.preferred();

    @BeforeAll
    static void load() {
        weights = MiniLm.weights();
        tok = MiniLm.tokenizer();
        ids = TestSentences.handWritten().subList(0, 16).stream().map(s -> tok.encode(s).ids()).toList();
        try (Bert b = new Bert(weights, Precision.fp32(), BACKEND, 2)) {
            fp32 = b.embed(ids);
        }
    }

    static double[] cosines(Precision p) {
        try (Bert b = new Bert(weights, p, BACKEND, 2, false, SentenceEmbedder.calibration(tok))) {
            float[][] e = b.embed(ids);
            double min = 1;
            double sum = 0;
            for (int i = 0; i < e.length; i++) {
                double c = OrtReference.cosine(e[i], fp32[i]);
                min = Math.min(min, c);
                sum += c;
            }
            System.out.printf("%s: min cosine %.6f, mean %.6f, weight bytes %d%n", p.label(), min, sum / e.length, b.linearWeightBytes());
            return new double[] {min, sum / e.length};
        }
    }

    static Stream<Arguments> bounds() {
        return Stream.of(
                Arguments.of("llm-int8", 0.995),
                Arguments.of("gptq-w4", 0.90),
                Arguments.of("fp8", 0.99),
                Arguments.of("mxfp8", 0.985),
                Arguments.of("mxfp4", 0.85),
                Arguments.of("nvfp4", 0.87));
    }

    @ParameterizedTest
    @MethodSource("bounds")
    void cosineToFp32(String name, double minBound) {
        double[] c = cosines(Precision.parse(name, null));
        assertThat(c[0]).isGreaterThanOrEqualTo(minBound);
        assertThat(c[0]).isLessThan(1.0); // really quantized
    }

    @Test
    void blockFormatWeightsAreCoresFakeQuant() {
        for (String name : List.of("mxfp8", "mxfp4", "nvfp4")) {
            BlockFormat f = switch (name) {
                case "mxfp8" -> Formats.MXFP8_E4M3;
                case "mxfp4" -> Formats.MXFP4;
                default -> Formats.NVFP4;
            };
            try (Bert b = new Bert(weights, Precision.parse(name, null), BACKEND, 1)) {
                for (GemmRole r : List.of(GemmRole.Q, GemmRole.FFN2)) {
                    FloatMatrix w = weights.layers().get(3).linear(r).weight();
                    float[] ref = new float[(int) w.size()];
                    f.round(w.toArray(), ref, w.rows(), w.cols(), Rounding.NEAREST_EVEN, 1);
                    assertArrayEquals(ref, b.executor().effectiveWeight(3, r).toArray(), name + " " + r);
                }
                long elements = 0;
                for (int l = 0; l < 6; l++) {
                    for (GemmRole r : GemmRole.LINEAR) {
                        elements += weights.layers().get(l).linear(r).weight().size();
                    }
                }
                // elements packed at 8 or 4 bits plus one scale byte per block (and NVFP4's float tensor scales)
                int bits = f.elementBits();
                long expected = elements * bits / 8 + elements / f.blockSize() + (name.equals("nvfp4") ? 36 * 4 : 0);
                assertThat(b.linearWeightBytes()).isEqualTo(expected);
            }
        }
    }

    @Test
    void fp8WeightsAreE4m3WithATensorScale() {
        try (Bert b = new Bert(weights, Precision.parse("fp8", null), BACKEND, 1)) {
            FloatMatrix w = weights.layers().get(2).linear(GemmRole.FFN1).weight();
            float[] x = w.toArray();
            float amax = 0;
            for (float v : x) {
                amax = Math.max(amax, Math.abs(v));
            }
            double s = 448.0 / amax;
            float[] ref = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                ref[i] = (float) (Formats.E4M3.round(x[i] * s, Rounding.NEAREST_EVEN, i, true) * (1.0 / s));
            }
            assertArrayEquals(ref, b.executor().effectiveWeight(2, GemmRole.FFN1).toArray());
        }
    }

    @Test
    void llmInt8MatchesCoreOnARealWeightAndActivation() {
        FloatMatrix[][] inputs = GptqGemms.capture(weights, BACKEND, ids.subList(0, 1), 1);
        FloatMatrix x = inputs[1][GemmRole.FFN2.ordinal()]; // GELU outputs: has columns beyond the threshold 6?
        FloatMatrix w = weights.layers().get(1).linear(GemmRole.FFN2).weight();
        LlmInt8Quantizer.Result ref = LlmInt8Quantizer.multiply(x, w, LlmInt8Gemms.THRESHOLD);
        try (Bert b = new Bert(weights, Precision.parse("llm-int8", null), BACKEND, 1)) {
            LlmInt8Gemms g = (LlmInt8Gemms) b.executor();
            assertArrayEquals(ref.wCodes().toArray(), g.weightCodes(1, GemmRole.FFN2).toArray());
            assertArrayEquals(ref.wScales(), g.weightScales(1, GemmRole.FFN2));
            float[] y = g.linear(1, GemmRole.FFN2, x, new int[] {0, x.rows()});
            // the reference multiplies the outlier columns by the float weight, we by the dequantized int8 weight
            double[] cw = g.weightScales(1, GemmRole.FFN2);
            int n = w.rows();
            double maxErr = 0;
            for (int i = 0; i < x.rows(); i++) {
                for (int j = 0; j < n; j++) {
                    double expect = ref.y()[i * n + j];
                    for (int c : ref.outlierColumns()) {
                        expect += x.get(i, c) * (g.weightCodes(1, GemmRole.FFN2).get(j, c) * cw[j] / 127.0 - w.get(j, c));
                    }
                    maxErr = Math.max(maxErr, Math.abs(y[i * n + j] - expect) / (Math.abs(expect) + 1e-3));
                }
            }
            System.out.println("llm-int8 layer 1 ffn2: " + ref.outlierColumns().length + " outlier columns; max rel. difference to core "
                    + maxErr);
            assertThat(maxErr).isLessThan(1e-4);
        }
    }

    @Test
    void gptqWeightsAreCoresGptqOnTheCalibrationInputs() {
        List<int[]> calib = SentenceEmbedder.calibration(tok);
        FloatMatrix[][] inputs = GptqGemms.capture(weights, BACKEND, calib, 2);
        try (Bert b = new Bert(weights, Precision.parse("gptq-w4", null), BACKEND, 2, false, calib)) {
            for (GemmRole r : List.of(GemmRole.V, GemmRole.O)) {
                GptqQuantizer.Result ref = GptqQuantizer.quantize(weights.layers().get(4).linear(r).weight(), inputs[4][r.ordinal()],
                        GptqGemms.SPEC);
                assertArrayEquals(ref.toFloatMatrix().toArray(), b.executor().effectiveWeight(4, r).toArray());
                assertArrayEquals(ref.codes(), ((GptqGemms) b.executor()).codes(4, r));
            }
            // 4-bit codes + per (row, group of 128) a float scale and a 4-bit zero
            assertThat(b.executor().weightBytes(0, GemmRole.FFN2)).isEqualTo(384L * 1536 / 2 + 384L * 12 * 4 + 384L * 12 / 2);
        }
    }

    @Test
    void gptqWithoutCalibrationIsAClearError() {
        assertThatThrownBy(() -> new Bert(weights, Precision.parse("gptq-w4", null), BACKEND, 1))
                .isInstanceOf(LowbitException.class).hasMessageContaining("calibration");
    }

    @Test
    void embeddingsDoNotDependOnBatchMates() {
        for (String name : List.of("llm-int8", "fp8", "nvfp4")) {
            try (Bert b = new Bert(weights, Precision.parse(name, null), BACKEND, 2)) {
                float[][] all = b.embed(ids.subList(0, 4));
                for (int i = 0; i < 4; i++) {
                    assertThat(b.embed(List.of(ids.get(i)))[0]).as(name + " sentence " + i).containsExactly(all[i]);
                }
            }
        }
    }

    @Test
    void everyPrecisionParses() {
        for (Precision.Mode m : Precision.Mode.values()) {
            if (m != Precision.Mode.FAKE) {
                assertThat(Precision.parse(m.label(), null).mode()).isEqualTo(m);
            }
        }
        assertThat(Precision.parse("imunpack-sim", null).mode()).isEqualTo(Precision.Mode.FAKE);
        assertThat(Precision.parse("imunpack-fwd", null).mode()).isEqualTo(Precision.Mode.IMUNPACK); // same forward column
        assertThat(Precision.parse("imunpack:31", null).weights().levels()).isEqualTo(31);
        assertThatThrownBy(() -> Precision.parse("fp4", null)).isInstanceOf(LowbitException.class).hasMessageContaining("nvfp4");
        assertThatThrownBy(() -> Precision.parse("llm-int8", null).withRoles(java.util.EnumSet.allOf(GemmRole.class)))
                .isInstanceOf(LowbitException.class).hasMessageContaining("linear layers only");
    }
}
