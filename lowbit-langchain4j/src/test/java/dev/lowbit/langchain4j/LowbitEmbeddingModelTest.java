package dev.lowbit.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.listener.EmbeddingModelListener;
import dev.langchain4j.model.embedding.listener.EmbeddingModelRequestContext;
import dev.langchain4j.model.embedding.listener.EmbeddingModelResponseContext;
import dev.lowbit.LowbitException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Builder options and the langchain4j contract of {@link LowbitEmbeddingModel}. */
class LowbitEmbeddingModelTest {
    static final List<TextSegment> TEXTS = List.of(TextSegment.from("Short."), TextSegment.from("A somewhat longer sentence about GEMMs."),
            TextSegment.from("Café, 東京 and 😀."), TextSegment.from("word ".repeat(300)), TextSegment.from("Integers are exact."));

    @Test
    void batchSizeAndThreadsDoNotChangeABit() {
        for (String p : List.of("fp32", "imunpack")) {
            try (LowbitEmbeddingModel a = LowbitEmbeddingModel.builder().precision(p).batchSize(1).threads(1).build();
                 LowbitEmbeddingModel b = LowbitEmbeddingModel.builder().precision(p).batchSize(3).threads(2).build()) {
                List<Embedding> ea = a.embedAll(TEXTS).content();
                List<Embedding> eb = b.embedAll(TEXTS).content();
                for (int i = 0; i < TEXTS.size(); i++) {
                    assertThat(eb.get(i).vector()).as("%s text %d", p, i).containsExactly(ea.get(i).vector());
                }
                assertThat(a.truncated()).isEqualTo(1); // the 302-token text is cut at 256
            }
        }
    }

    @Test
    void builderChoosesPrecisionBitsAndSizes() {
        try (LowbitEmbeddingModel m = LowbitEmbeddingModel.builder().precision("imunpack").bits(6).batchSize(7).threads(1).maxLength(128).build()) {
            assertThat(m.precision().label()).isEqualTo("imunpack");
            assertThat(m.precision().bits()).isEqualTo(6);
            assertThat(m.batchSize()).isEqualTo(7);
            assertThat(m.threads()).isEqualTo(1);
            assertThat(m.maxLength()).isEqualTo(128);
            assertThat(m.dimension()).isEqualTo(384);
            assertThat(m.modelName()).isEqualTo("all-minilm-l6-v2");
            assertThat(m.toString()).contains("imunpack b=6");
        }
        try (LowbitEmbeddingModel m = LowbitEmbeddingModel.builder().precision("int8").build()) {
            assertThat(m.precision().bits()).isEqualTo(8);
        }
    }

    @Test
    void badOptionsAreOneLineErrors() {
        assertThatThrownBy(() -> LowbitEmbeddingModel.builder().precision("fp7").build()).isInstanceOf(LowbitException.class)
                .hasMessageContaining("unknown precision 'fp7'");
        assertThatThrownBy(() -> LowbitEmbeddingModel.builder().backend("gpu").build()).isInstanceOf(LowbitException.class)
                .hasMessageContaining("unknown GEMM backend 'gpu'");
        assertThatThrownBy(() -> LowbitEmbeddingModel.builder().precision("imunpack").bits(1).build()).isInstanceOf(LowbitException.class);
        assertThatThrownBy(() -> LowbitEmbeddingModel.builder().batchSize(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LowbitEmbeddingModel.builder().threads(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LowbitEmbeddingModel.builder().maxLength(513)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scalarBackendGivesTheSameEmbeddings() {
        List<TextSegment> two = TEXTS.subList(0, 2);
        try (LowbitEmbeddingModel simd = LowbitEmbeddingModel.builder().precision("imunpack").threads(2).build();
             LowbitEmbeddingModel scalar = LowbitEmbeddingModel.builder().precision("imunpack").backend("scalar").threads(2).build()) {
            assertThat(simd.backend().name()).isEqualTo("simd");
            assertThat(scalar.backend().name()).isEqualTo("scalar");
            List<Embedding> a = simd.embedAll(two).content();
            List<Embedding> b = scalar.embedAll(two).content();
            for (int i = 0; i < two.size(); i++) {
                // the integer GEMMs are exact on both; only float rounding outside them may differ
                assertThat(dev.langchain4j.store.embedding.CosineSimilarity.between(a.get(i), b.get(i))).isGreaterThan(0.999999);
            }
        }
    }

    @Test
    void listenersSeeEveryCallAndTheTokenUsage() {
        AtomicInteger requests = new AtomicInteger();
        List<Integer> tokens = new ArrayList<>();
        EmbeddingModelListener l = new EmbeddingModelListener() {
            @Override
            public void onRequest(EmbeddingModelRequestContext ctx) {
                requests.incrementAndGet();
            }

            @Override
            public void onResponse(EmbeddingModelResponseContext ctx) {
                tokens.add(ctx.embeddingResponse().metadata().tokenUsage().inputTokenCount());
            }
        };
        try (LowbitEmbeddingModel m = LowbitEmbeddingModel.builder().threads(1).listeners(List.of(l)).build()) {
            m.embed("Hello world!"); // hello world ! = 3 word pieces
            m.embedAll(List.of(TextSegment.from("Hello world!"), TextSegment.from("Integers are exact.")));
        }
        assertThat(requests).hasValue(2);
        assertThat(tokens).containsExactly(3, 3 + 4);
    }
}
