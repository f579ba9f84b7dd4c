package dev.lowbit.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The usage example of docs/langchain4j.md runs here, and the document must show it verbatim. */
class DocsExampleTest {
    static final Path SOURCE = Path.of("src/test/java/dev/lowbit/langchain4j/DocsExampleTest.java");
    static final Path DOC = Path.of("../docs/langchain4j.md");

    @Test
    void usageExample() {
        // docs:begin
        EmbeddingModel model = LowbitEmbeddingModel.builder() // was: new AllMiniLmL6V2EmbeddingModel()
                .precision("imunpack") // fp32 (the default), imunpack, int8, ... as in ./lowbit embed --precision
                .batchSize(32)
                .threads(2)
                .build();

        EmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        List<TextSegment> docs = List.of(
                TextSegment.from("Paris is the capital of France."),
                TextSegment.from("Central banks raise rates to fight inflation."),
                TextSegment.from("Fresh bread smells wonderful in the morning."));
        store.addAll(model.embedAll(docs).content(), docs);

        Embedding query = model.embed("Which city is the French capital?").content();
        EmbeddingMatch<TextSegment> best = store.search(EmbeddingSearchRequest.builder()
                .queryEmbedding(query).maxResults(1).build()).matches().getFirst();
        System.out.println(best.score() + " " + best.embedded().text());
        // docs:end
        assertThat(best.embedded().text()).isEqualTo("Paris is the capital of France.");
        assertThat(best.score()).isGreaterThan(0.8);
        ((LowbitEmbeddingModel) model).close();
    }

    @Test
    void docsShowTheExampleVerbatim() throws IOException {
        String src = Files.readString(SOURCE, StandardCharsets.UTF_8);
        String body = src.substring(src.indexOf("// docs:begin\n") + "// docs:begin\n".length(), src.indexOf("        // docs:end"));
        String snippet = Arrays.stream(body.split("\n")).map(l -> l.length() >= 8 ? l.substring(8) : l.strip())
                .collect(Collectors.joining("\n"));
        assertThat(Files.readString(DOC, StandardCharsets.UTF_8)).as("docs/langchain4j.md shows the example of %s", SOURCE)
                .contains(snippet);
    }
}
