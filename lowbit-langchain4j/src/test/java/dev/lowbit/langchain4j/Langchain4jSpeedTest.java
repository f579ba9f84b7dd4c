package dev.lowbit.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput through langchain4j's API ({@code embedAll} of N texts), langchain4j's ONNX Runtime model
 * (one text per task on an executor of T threads) against lowbit (batches of 32, T threads), same JVM, rounds
 * interleaved. Prints a table; asserts only that it ran. {@code ./mvnw -B -Pslow -pl lowbit-langchain4j -am test
 * -Dtest=Langchain4jSpeedTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "lowbit.slow", matches = "true")
class Langchain4jSpeedTest {
    static final String[] WORDS = ("the a model of low precision integer matrix multiplication is exact and fast "
            + "on the jvm while floating point rounding is not quantization keeps heavy hitters as large integers "
            + "sentence embeddings help search retrieval and clustering of documents in many languages").split(" ");

    /** {@code n} seeded texts of 20..60 words (about 25..75 word pieces). */
    static List<TextSegment> texts(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TextSegment> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int words = 20 + r.nextInt(41);
            for (int w = 0; w < words; w++) {
                sb.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
            }
            out.add(TextSegment.from(sb.append('.').toString()));
        }
        return out;
    }

    static double rate(EmbeddingModel m, List<TextSegment> texts) {
        long t0 = System.nanoTime();
        assertThat(m.embedAll(texts).content()).hasSize(texts.size());
        return texts.size() / ((System.nanoTime() - t0) / 1e9);
    }

    @Test
    void throughputThroughTheLangchain4jApi() {
        List<TextSegment> texts = texts(256, 11);
        int rounds = 3;
        StringBuilder table = new StringBuilder("| threads | langchain4j AllMiniLmL6V2 (ORT) | lowbit fp32 | lowbit imunpack | lowbit int8 |\n|---|---|---|---|---|\n");
        for (int t : new int[] {1, 2}) {
            ExecutorService ex = Executors.newFixedThreadPool(t);
            try (LowbitEmbeddingModel fp32 = LowbitEmbeddingModel.builder().threads(t).build();
                 LowbitEmbeddingModel imu = LowbitEmbeddingModel.builder().precision("imunpack").threads(t).build();
                 LowbitEmbeddingModel int8 = LowbitEmbeddingModel.builder().precision("int8").threads(t).build()) {
                EmbeddingModel ort = new AllMiniLmL6V2EmbeddingModel(ex);
                List<EmbeddingModel> models = List.of(ort, fp32, imu, int8);
                models.forEach(m -> rate(m, texts.subList(0, 32))); // warm-up
                double[] best = new double[models.size()];
                for (int r = 0; r < rounds; r++) {
                    for (int i = 0; i < models.size(); i++) {
                        best[i] = Math.max(best[i], rate(models.get(i), texts));
                    }
                }
                table.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f (%.2fx) | %.1f (%.2fx) | %.1f (%.2fx) |%n", t, best[0], best[1],
                        best[1] / best[0], best[2], best[2] / best[0], best[3], best[3] / best[0]));
            } finally {
                ex.shutdown();
            }
        }
        System.out.println("sentences/s, embedAll of " + texts.size() + " texts (20..60 words), best of " + rounds + ":\n" + table);
    }
}
