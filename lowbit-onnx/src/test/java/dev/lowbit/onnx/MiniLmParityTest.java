package dev.lowbit.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.text.WordPieceTokenizer;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertConfig;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.Precision;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** FP32 parity of our BERT with ONNX Runtime on all-MiniLM-L6-v2: cosine ≥ 0.99999 for every sentence. */
class MiniLmParityTest {
    static BertWeights weights;
    static WordPieceTokenizer tokenizer;

    @BeforeAll
    static void load() {
        weights = MiniLm.weights();
        tokenizer = MiniLm.tokenizer();
    }

    static List<String> sentences() {
        List<String> s = new ArrayList<>(TestSentences.handWritten());
        s.addAll(TestSentences.generated(24, 7));
        s.add(TestSentences.longOnes().getFirst());
        return s;
    }

    @Test
    void mappedConfigIsMiniLm() {
        assertThat(weights.config()).isEqualTo(BertConfig.MINI_LM_L6);
        // every float initializer of the 1.20.0-beta30 graph (no pooler), nothing left over
        assertThat(weights.parameterCount()).isEqualTo(22_565_376L);
    }

    @Test
    void fp32MatchesOnnxRuntimeForEverySentence() throws Exception {
        List<String> sentences = sentences();
        List<int[]> ids = sentences.stream().map(s -> tokenizer.encode(s).ids()).toList();
        double min = 1;
        try (OrtReference ort = new OrtReference(MiniLm.ONNX);
             Bert bert = new Bert(weights, Precision.fp32(), GemmBackends.preferred(), 2)) {
            for (int from = 0; from < ids.size(); from += 16) {
                List<int[]> batch = ids.subList(from, Math.min(ids.size(), from + 16));
                float[][] ours = bert.embed(batch);
                float[][] ref = ort.embed(batch);
                for (int i = 0; i < batch.size(); i++) {
                    double cos = OrtReference.cosine(ours[i], ref[i]);
                    min = Math.min(min, cos);
                    assertThat(cos).as("cosine to ONNX Runtime for: %s", sentences.get(from + i)).isGreaterThanOrEqualTo(0.99999);
                }
            }
        }
        System.out.println("fp32 parity: " + sentences.size() + " sentences, min cosine " + min);
    }

    @Test
    void batchingAndPaddingDoNotChangeTheResult() {
        List<int[]> ids = sentences().subList(0, 12).stream().map(s -> tokenizer.encode(s).ids()).toList();
        try (Bert one = new Bert(weights, Precision.fp32(), GemmBackends.preferred(), 1);
             Bert two = new Bert(weights, Precision.fp32(), GemmBackends.preferred(), 2)) {
            float[][] batched = two.embed(ids);
            for (int i = 0; i < ids.size(); i += 5) {
                float[][] alone = one.embed(List.of(ids.get(i)));
                assertThat(alone[0]).containsExactly(batched[i]);
            }
        }
    }
}
