package dev.lowbit.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.listener.EmbeddingModelListener;
import dev.langchain4j.model.embedding.listener.EmbeddingModelRequestContext;
import dev.langchain4j.model.embedding.listener.EmbeddingModelResponseContext;
import dev.lowbit.LowbitException;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Builder options and the langchain4j contract of {@link LowbitEmbeddingModel}. */
class LowbitEmbeddingModelTest {
    static final List<TextSegment> TEXTS = List.of(TextSegment.from("Short."), TextSegment.from("A somewhat longer sentence about GEMMs."),
            TextSegment.from("Café, 東京 and 😀."), TextSegment.from("word ".repeat(260)), TextSegment.from("Integers are exact."));

    @Test
    void batchSizeAndThreadsDoNotChangeABit() {
        List<TextSegment> withLong = new java.util.ArrayList<>(TEXTS);
        withLong.add(TextSegment.from("word ".repeat(520))); // 520 word pieces: windows of 510 and 10
        for (String p : List.of("fp32", "imunpack")) {
            List<TextSegment> texts = p.equals("fp32") ? withLong : TEXTS; // (imunpack is slow on 510-token windows)
            try (LowbitEmbeddingModel a = LowbitEmbeddingModel.builder().precision(p).windows().batchSize(1).threads(1).build();
                 LowbitEmbeddingModel b = LowbitEmbeddingModel.builder().precision(p).windows().batchSize(3).threads(2).build()) {
                List<Embedding> ea = a.embedAll(texts).content();
                List<Embedding> eb = b.embedAll(texts).content();
                for (int i = 0; i < texts.size(); i++) {
                    assertThat(eb.get(i).vector()).as("%s text %d", p, i).containsExactly(ea.get(i).vector());
                }
                for (int i : new int[] {2, texts.size() - 1}) {
                    assertThat(b.embed(texts.get(i)).content().vector()).as("%s text %d alone", p, i).containsExactly(ea.get(i).vector());
                }
                assertThat(a.truncated()).isZero();
                if (p.equals("fp32")) {
                    truncationChangesOnlyLongTexts(texts, ea);
                }
            }
        }
    }

    /**
     * Eight callers at once on one model (a web server's request threads): each gets exactly the vectors a serial call gives,
     * whatever the interleaving, and listeners and statistics stay consistent.
     */
    @Test
    void eightConcurrentCallersGetTheSerialResults() throws Exception {
        for (String p : List.of("fp32", "int8")) {
            try (LowbitEmbeddingModel m = LowbitEmbeddingModel.builder().precision(p).batchSize(2).threads(2).build()) {
                List<float[]> serial = m.embedAll(TEXTS).content().stream().map(Embedding::vector).toList();
                int callers = 8;
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
                try {
                    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(callers);
                    List<java.util.concurrent.Future<List<float[]>>> futures = new ArrayList<>();
                    for (int c = 0; c < callers; c++) {
                        int first = c % TEXTS.size(); // each caller its own rotation of the texts
                        futures.add(pool.submit(() -> {
                            List<TextSegment> mine = new ArrayList<>(TEXTS.subList(first, TEXTS.size()));
                            mine.addAll(TEXTS.subList(0, first));
                            start.await();
                            List<float[]> got = new ArrayList<>();
                            for (int rep = 0; rep < 2; rep++) {
                                got = m.embedAll(mine).content().stream().map(Embedding::vector).toList();
                            }
                            List<float[]> back = new ArrayList<>(got.subList(TEXTS.size() - first, got.size()));
                            back.addAll(got.subList(0, TEXTS.size() - first));
                            return back;
                        }));
                    }
                    for (int c = 0; c < callers; c++) {
                        List<float[]> got = futures.get(c).get(5, java.util.concurrent.TimeUnit.MINUTES);
                        for (int i = 0; i < TEXTS.size(); i++) {
                            assertThat(got.get(i)).as("%s caller %d text %d", p, c, i).containsExactly(serial.get(i));
                        }
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    /** Truncation at 256 tokens changes only the two texts longer than that, and leaves the others' bits alone. */
    private static void truncationChangesOnlyLongTexts(List<TextSegment> texts, List<Embedding> whole) {
        try (LowbitEmbeddingModel c = LowbitEmbeddingModel.builder().batchSize(2).threads(2).maxLength(256).build()) {
            List<Embedding> ec = c.embedAll(texts).content();
            assertThat(c.truncated()).isEqualTo(2);
            for (int i = 0; i < texts.size(); i++) {
                if (i == 3 || i == 5) {
                    assertThat(dev.langchain4j.store.embedding.CosineSimilarity.between(ec.get(i), whole.get(i))).as("text %d", i)
                            .isLessThan(0.999999);
                } else {
                    assertThat(ec.get(i).vector()).as("text %d", i).containsExactly(whole.get(i).vector());
                }
            }
        }
    }

    @Test
    void windowsNeverEndInsideAWord() {
        try (LowbitEmbeddingModel m = LowbitEmbeddingModel.builder().threads(1).build()) {
            WordPieceTokenizer tok = LowbitEmbeddingModel.tokenizer();
            int[] body = tok.tokenIds("antidisestablishmentarianism quantization ".repeat(150));
            List<int[]> w = m.windows(body);
            assertThat(w.size()).isGreaterThan(1);
            int at = 0;
            for (int[] win : w) {
                assertThat(win.length).isBetween(1, LowbitEmbeddingModel.WINDOW);
                assertThat(java.util.Arrays.copyOfRange(body, at, at + win.length)).isEqualTo(win);
                at += win.length;
                assertThat(tok.token(win[0])).as("window start").doesNotStartWith("##");
            }
            assertThat(at).isEqualTo(body.length);
            assertThat(m.windows(java.util.Arrays.copyOf(body, 510))).hasSize(1);
            assertThat(m.windows(java.util.Arrays.copyOf(body, 511))).hasSize(2);
            // one "word" longer than a window is split anyway
            int[] hashes = new int[1200];
            java.util.Arrays.fill(hashes, body[1]);
            assertThat(tok.token(body[1])).startsWith("##");
            assertThat(m.windows(hashes)).extracting(x -> x.length).containsExactly(510, 510, 180);
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
        try (LowbitEmbeddingModel m = LowbitEmbeddingModel.builder().threads(1).build()) {
            assertThat(m.maxLength()).isEqualTo(128);
            assertThat(m.precision().label()).isEqualTo("fp32");
        }
        try (LowbitEmbeddingModel m = LowbitEmbeddingModel.builder().threads(1).maxLength(200).windows().build()) {
            assertThat(m.maxLength()).isZero();
            assertThat(m.toString()).contains("windows of 510");
        }
        try (LowbitEmbeddingModel m = LowbitEmbeddingModel.builder().precision("int8").build()) {
            assertThat(m.precision().bits()).isEqualTo(dev.lowbit.nn.Precision.AUTO_BITS); // b chosen per GEMM (8: nothing to unpack)
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
        try (LowbitEmbeddingModel simd = LowbitEmbeddingModel.builder().threads(2).build();
             LowbitEmbeddingModel scalar = LowbitEmbeddingModel.builder().backend("scalar").threads(2).build()) {
            assertThat(simd.backend().name()).isEqualTo("simd");
            assertThat(scalar.backend().name()).isEqualTo("scalar");
            List<Embedding> a = simd.embedAll(two).content();
            List<Embedding> b = scalar.embedAll(two).content();
            for (int i = 0; i < two.size(); i++) {
                // float32 GEMMs that sum in a different order
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
