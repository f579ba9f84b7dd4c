package dev.lowbit.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny langchain4j application: index documents in an {@link InMemoryEmbeddingStore}, rank them for queries.
 * It only sees {@link EmbeddingModel}, so the tests run the very same code with langchain4j's model and with lowbit's.
 */
final class SemanticSearch {
    static final List<String> DOCUMENTS = List.of(
            "The cat sat on the mat and purred.",
            "Dogs are loyal companions and love long walks.",
            "Paris is the capital and most populous city of France.",
            "Berlin is the capital of Germany.",
            "The stock market fell sharply after the interest rate decision.",
            "Central banks raise rates to fight inflation.",
            "Quantizing a neural network to four bits shrinks its weights eightfold.",
            "Integer matrix multiplication is exact; floating point rounding is not.",
            "She baked a chocolate cake for her grandmother's birthday.",
            "Fresh bread smells wonderful in the morning.",
            "The football match ended in a draw after extra time.",
            "Tennis players serve at more than 200 km/h.",
            "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
            "The Moon orbits the Earth about once a month.",
            "Ein Hund läuft über die Straße.",
            "東京は日本の首都です。");

    static final List<String> QUERIES = List.of(
            "What is the capital of France?",
            "pets that purr",
            "low-bit quantization of deep learning models",
            "monetary policy and inflation",
            "desserts and baking",
            "astronomy");

    /** One search result: the document and its relevance score (cosine mapped to [0, 1]). */
    record Hit(String text, double score) {}

    private SemanticSearch() {}

    /** For each query, every document ranked by the store, best first. */
    static List<List<Hit>> rankAll(EmbeddingModel model) {
        EmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
        List<TextSegment> docs = DOCUMENTS.stream().map(TextSegment::from).toList();
        List<Embedding> embeddings = model.embedAll(docs).content();
        store.addAll(embeddings, docs);
        List<List<Hit>> out = new ArrayList<>();
        for (String q : QUERIES) {
            Embedding query = model.embed(q).content();
            List<EmbeddingMatch<TextSegment>> matches = store.search(EmbeddingSearchRequest.builder()
                    .queryEmbedding(query).maxResults(DOCUMENTS.size()).build()).matches();
            out.add(matches.stream().map(m -> new Hit(m.embedded().text(), m.score())).toList());
        }
        return out;
    }
}
