package dev.lowbit.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.store.embedding.CosineSimilarity;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same langchain4j code ({@link SemanticSearch}) with langchain4j's {@link AllMiniLmL6V2EmbeddingModel}
 * (ONNX Runtime) and with {@link LowbitEmbeddingModel}: fp32 embeddings agree to cosine ≥ 0.99999 and every
 * query ranks every document in the same order; imunpack keeps the top hit of every query with a clear winner.
 */
class OneLineSwitchTest {
    /**
     * imunpack must keep the top hit of a query whose fp32 winner leads by at least this relevance score
     * ((1 + cos)/2, i.e. 0.1 in cosine); closer calls are within the quantization error (docs/minilm.md).
     */
    static final double CLEAR_MARGIN = 0.05;
    static ExecutorService executor;
    static EmbeddingModel onnx;
    static List<List<SemanticSearch.Hit>> onnxRanking;
    static List<Embedding> onnxEmbeddings;
    static Response<List<Embedding>> onnxResponse;

    static List<TextSegment> allTexts() {
        List<TextSegment> all = new ArrayList<>();
        SemanticSearch.DOCUMENTS.forEach(s -> all.add(TextSegment.from(s)));
        SemanticSearch.QUERIES.forEach(s -> all.add(TextSegment.from(s)));
        return all;
    }

    @BeforeAll
    static void reference() {
        executor = Executors.newFixedThreadPool(2);
        onnx = new AllMiniLmL6V2EmbeddingModel(executor);
        onnxRanking = SemanticSearch.rankAll(onnx);
        onnxResponse = onnx.embedAll(allTexts());
        onnxEmbeddings = onnxResponse.content();
    }

    @AfterAll
    static void shutdown() {
        executor.shutdown();
    }

    @Test
    void referenceRankingsHaveClearGaps() {
        // the ranking comparison below is meaningful only if neighbouring scores are further apart than fp32 noise
        double minGap = Double.MAX_VALUE;
        for (List<SemanticSearch.Hit> hits : onnxRanking) {
            assertThat(hits).hasSize(SemanticSearch.DOCUMENTS.size());
            for (int i = 1; i < hits.size(); i++) {
                minGap = Math.min(minGap, hits.get(i - 1).score() - hits.get(i).score());
            }
        }
        System.out.println("smallest score gap between neighbours in the ONNX Runtime rankings: " + minGap);
        assertThat(minGap).isGreaterThan(1e-5);
    }

    @Test
    void fp32IsADropInReplacement() {
        try (LowbitEmbeddingModel lowbit = LowbitEmbeddingModel.builder().threads(2).build()) {
            EmbeddingModel model = lowbit; // the one line an application changes
            assertThat(model.dimension()).isEqualTo(onnx.dimension()).isEqualTo(384);

            Response<List<Embedding>> r = model.embedAll(allTexts());
            List<Embedding> ours = r.content();
            double min = 1;
            for (int i = 0; i < ours.size(); i++) {
                double cos = CosineSimilarity.between(ours.get(i), onnxEmbeddings.get(i));
                min = Math.min(min, cos);
                assertThat(cos).as("cosine to langchain4j/ONNX Runtime for: %s", allTexts().get(i).text()).isGreaterThanOrEqualTo(0.99999);
                assertThat(norm(ours.get(i))).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            }
            System.out.println("fp32 vs langchain4j AllMiniLmL6V2EmbeddingModel: " + ours.size() + " texts, min cosine " + min);
            assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(onnxResponse.tokenUsage().inputTokenCount()).isPositive();

            List<List<SemanticSearch.Hit>> ranking = SemanticSearch.rankAll(model);
            double maxScoreDiff = 0;
            for (int q = 0; q < ranking.size(); q++) {
                assertThat(texts(ranking.get(q))).as("ranking for '%s'", SemanticSearch.QUERIES.get(q))
                        .containsExactlyElementsOf(texts(onnxRanking.get(q)));
                for (int i = 0; i < ranking.get(q).size(); i++) {
                    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(ranking.get(q).get(i).score() - onnxRanking.get(q).get(i).score()));
                }
            }
            System.out.println("fp32: identical rankings, max score difference " + maxScoreDiff);
            assertThat(maxScoreDiff).isLessThan(1e-5);
        }
    }

    @Test
    void imunpackKeepsTheTopHitAndStaysCloseToFp32() {
        try (LowbitEmbeddingModel fp32 = LowbitEmbeddingModel.builder().threads(2).build();
             LowbitEmbeddingModel low = LowbitEmbeddingModel.builder().precision("imunpack").threads(2).build()) {
            List<Embedding> ref = fp32.embedAll(allTexts()).content();
            List<Embedding> ours = low.embedAll(allTexts()).content();
            double min = 1;
            for (int i = 0; i < ours.size(); i++) {
                min = Math.min(min, CosineSimilarity.between(ours.get(i), ref.get(i)));
            }
            System.out.println("imunpack vs fp32: min cosine " + min);
            // the bound lowbit-onnx's MiniLmLowBitTest asserts for the default imunpack (docs/minilm.md has the numbers)
            assertThat(min).isGreaterThanOrEqualTo(0.93);

            List<List<SemanticSearch.Hit>> ranking = SemanticSearch.rankAll(low);
            int samePositions = 0;
            int clearQueries = 0;
            for (int q = 0; q < ranking.size(); q++) {
                List<SemanticSearch.Hit> best = onnxRanking.get(q);
                double margin = best.get(0).score() - best.get(1).score();
                System.out.printf("query '%s': fp32 top-hit margin %.4f, imunpack top hit '%s'%n", SemanticSearch.QUERIES.get(q), margin,
                        ranking.get(q).getFirst().text());
                if (margin >= CLEAR_MARGIN) {
                    clearQueries++;
                    assertThat(ranking.get(q).getFirst().text()).as("top hit for '%s'", SemanticSearch.QUERIES.get(q))
                            .isEqualTo(best.getFirst().text());
                }
                for (int i = 0; i < ranking.get(q).size(); i++) {
                    samePositions += ranking.get(q).get(i).text().equals(onnxRanking.get(q).get(i).text()) ? 1 : 0;
                }
            }
            assertThat(clearQueries).as("queries with a clear fp32 winner").isGreaterThanOrEqualTo(4);
            System.out.println("imunpack: " + samePositions + " of " + ranking.size() * SemanticSearch.DOCUMENTS.size()
                    + " rank positions as ONNX Runtime fp32");

            // every GEMM of every layer ran in low bits, on real activations
            assertThat(low.stats()).hasSize(6 * 8).allSatisfy(s -> {
                assertThat(s.calls()).isPositive();
                assertThat(s.ratio()).isGreaterThanOrEqualTo(1.0);
            });
            assertThat(fp32.stats()).allSatisfy(s -> assertThat(s.calls()).isZero());
            assertThat(low.linearWeightBytes()).isLessThan(fp32.linearWeightBytes() / 3); // 4-bit digits vs float32
        }
    }

    @Test
    void longTextsAreTruncatedAt128TokensAsLangchain4jDoes() {
        // langchain4j's tokenizer applies tokenizer.json's truncation (128 tokens) before its own 510-piece windows
        List<TextSegment> texts = List.of(
                TextSegment.from("Low-bit integer GEMMs are exact after unpacking. ".repeat(30)),
                TextSegment.from("Antidisestablishmentarianism and quantization of transformers, ".repeat(100)),
                TextSegment.from(String.join(" ", SemanticSearch.DOCUMENTS)));
        Response<List<Embedding>> ref = onnx.embedAll(texts);
        try (LowbitEmbeddingModel lowbit = LowbitEmbeddingModel.builder().threads(2).build();
             LowbitEmbeddingModel st = LowbitEmbeddingModel.builder().threads(2).maxLength(256).build()) {
            Response<List<Embedding>> ours = lowbit.embedAll(texts);
            List<Embedding> longer = st.embedAll(texts).content();
            for (int i = 0; i < texts.size(); i++) {
                int pieces = LowbitEmbeddingModel.tokenizer().tokenIds(texts.get(i).text()).length;
                assertThat(pieces).isGreaterThan(128);
                double cos = CosineSimilarity.between(ours.content().get(i), ref.content().get(i));
                double cos256 = CosineSimilarity.between(longer.get(i), ref.content().get(i));
                System.out.printf("text of %d word pieces: cosine to langchain4j %.10f (maxLength 128), %.4f (maxLength 256)%n",
                        pieces, cos, cos256);
                assertThat(cos).isGreaterThanOrEqualTo(0.99999);
                assertThat(cos256).isLessThan(0.9999);
            }
            assertThat(lowbit.truncated()).isEqualTo(texts.size());
            assertThat(ours.tokenUsage().inputTokenCount()).isEqualTo(ref.tokenUsage().inputTokenCount()).isEqualTo(3 * 126);
        }
    }

    @Test
    void emptyTextIsRejectedLikeLangchain4jDoes() {
        // a zero-width space is not blank for TextSegment, but has no word pieces
        TextSegment nothing = TextSegment.from("\u200B\u200B");
        try (LowbitEmbeddingModel lowbit = LowbitEmbeddingModel.builder().threads(1).build()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> onnx.embed(nothing)).isInstanceOf(IllegalArgumentException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> lowbit.embed(nothing))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty or whitespace-only");
        }
    }

    private static List<String> texts(List<SemanticSearch.Hit> hits) {
        return hits.stream().map(SemanticSearch.Hit::text).toList();
    }

    private static double norm(Embedding e) {
        double s = 0;
        for (float v : e.vector()) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }
}
