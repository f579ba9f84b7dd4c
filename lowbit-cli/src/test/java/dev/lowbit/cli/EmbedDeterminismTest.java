package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.Precision;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.onnx.SentenceEmbedder;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 16 item 4: for every precision, the embeddings are the same bits for any batch size (sentences of different lengths
 * padded together: padding and masks must not leak between sentences), any thread count and any GEMM backend that is
 * available here (simd, and onednn where it loads).
 */
class EmbedDeterminismTest {
    static final List<String> SENTENCES = sentences();

    private static List<String> sentences() {
        String[] words = "in the beginning god created heaven and earth light was good exact integer GEMMs café 東京 😀 !".split(" ");
        SplittableRandom r = new SplittableRandom(11);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            int n = new int[] {1, 2, 3, 7, 12, 30}[r.nextInt(6)];
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < n; w++) {
                sb.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            out.add(sb.toString());
        }
        out.add("");
        return out;
    }

    /**
     * Every preset but llm-fp4-w4a8: the same executor and calibration code as llm-fp4 with another activation width, whose
     * two calibrations (each run calibrates: the format search over 36 linears) would add over two minutes to the suite.
     */
    static Stream<String> precisions() {
        return Stream.of(Precision.NAMES.split(", ")).filter(n -> !n.equals("llm-fp4-w4a8"));
    }

    private static float[][] embed(Precision p, GemmBackend backend, int threads, int batch) {
        BertWeights w = MiniLm.weights();
        WordPieceTokenizer t = MiniLm.tokenizer();
        try (SentenceEmbedder e = new SentenceEmbedder(t, w, p, backend.withThreads(threads), threads, batch, 128)) {
            return e.embed(SENTENCES, null);
        }
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void sameBitsForAnyBatchThreadsAndBackend(String name) {
        Precision p = Precision.parse(name, null);
        GemmBackend best = GemmBackends.preferred();
        float[][] want = embed(p, best, 2, SENTENCES.size());
        // one other run that changes all three at once (each run quantizes the weights again, GPTQ calibrates again: slow)
        float[][] got = embed(p, GemmBackends.select("simd"), 1, 3);
        for (int i = 0; i < want.length; i++) {
            assertArrayEquals(want[i], got[i], name + " sentence " + i + ": " + best + " batch " + want.length + " vs simd 1 thread batch 3");
        }
    }
}
