package dev.lowbit.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.listener.EmbeddingModelListener;
import dev.langchain4j.model.embedding.request.EmbeddingInput;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.langchain4j.model.embedding.response.EmbeddingResponse;
import dev.langchain4j.model.embedding.response.EmbeddingResponseMetadata;
import dev.langchain4j.model.output.TokenUsage;
import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GemmSiteStats;
import dev.lowbit.nn.Precision;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.onnx.SentenceEmbedder;
import dev.lowbit.simd.SimdGemmBackend;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * all-MiniLM-L6-v2 (sentence-transformers; BERT, 6 layers, d = 384) as a langchain4j {@link EmbeddingModel},
 * computed in pure Java by lowbit's BERT: a drop-in replacement for langchain4j's
 * {@code AllMiniLmL6V2EmbeddingModel} (no ONNX Runtime, no native tokenizer) whose GEMMs can run in
 * FP32 or exactly in low-bit integers.
 *
 * <pre>{@code
 * EmbeddingModel model = LowbitEmbeddingModel.builder().precision("imunpack").build();
 * // instead of: EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();
 * }</pre>
 *
 * <p>For a text t with word pieces w_1..w_n ({@code [CLS]} w_1..w_n {@code [SEP]}, cut at {@link Builder#maxLength}
 * tokens), the embedding is e = m / ‖m‖₂ with m = (1/L) Σ_{t=1..L} h_t, the mean of the last hidden states of
 * the L tokens: the same function as sentence-transformers and as langchain4j's model (for texts of at most
 * {@code maxLength} tokens; see {@link Builder#maxLength} for longer ones). In {@code fp32} the result matches
 * ONNX Runtime to cosine ≥ 0.99999; the low-bit precisions ({@link Precision#parse}) quantize every GEMM and
 * execute its integer product exactly.
 *
 * <p>A text's embedding does not depend on the other texts of its batch, the batch size or the thread count.
 * Calls are serialized (one forward pass at a time, itself parallel over {@link Builder#threads} workers),
 * so one instance can be shared between threads. {@link #close()} stops the worker threads.
 *
 * <p>The JVM needs {@code --add-modules jdk.incubator.vector} for the default ({@code simd}) GEMM backend.
 */
public final class LowbitEmbeddingModel implements EmbeddingModel, AutoCloseable {
    /** The name {@link #modelName()} reports: the one langchain4j's own model has in its metadata. */
    public static final String MODEL_NAME = "all-minilm-l6-v2";

    private static volatile BertWeights sharedWeights;
    private static volatile WordPieceTokenizer sharedTokenizer;

    private final SentenceEmbedder embedder;
    private final WordPieceTokenizer tokenizer;
    private final Precision precision;
    private final GemmBackend backend;
    private final int batchSize;
    private final int threads;
    private final int maxLength;
    private final List<EmbeddingModelListener> listeners;

    private LowbitEmbeddingModel(Builder b) {
        this.precision = b.precision != null ? b.precision : Precision.parse(b.precisionName, b.bits);
        this.threads = b.threads != null ? b.threads : Runtime.getRuntime().availableProcessors();
        this.batchSize = b.batchSize;
        this.maxLength = b.maxLength;
        this.backend = backend(b.backend, threads);
        this.tokenizer = tokenizer();
        this.listeners = List.copyOf(b.listeners);
        this.embedder = new SentenceEmbedder(tokenizer, weights(), precision, backend, threads, batchSize, maxLength);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The model's weights, parsed from the ONNX file once per JVM (about 1–2 s) and shared by all instances. */
    static BertWeights weights() {
        BertWeights w = sharedWeights;
        if (w == null) {
            synchronized (LowbitEmbeddingModel.class) {
                w = sharedWeights;
                if (w == null) {
                    w = MiniLm.weights();
                    sharedWeights = w;
                }
            }
        }
        return w;
    }

    static WordPieceTokenizer tokenizer() {
        WordPieceTokenizer t = sharedTokenizer;
        if (t == null) {
            synchronized (LowbitEmbeddingModel.class) {
                t = sharedTokenizer;
                if (t == null) {
                    t = MiniLm.tokenizer();
                    sharedTokenizer = t;
                }
            }
        }
        return t;
    }

    private static GemmBackend backend(String name, int threads) {
        GemmBackend be = name == null ? GemmBackends.preferred() : GemmBackends.byName(name);
        if (be instanceof SimdGemmBackend) {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                throw new LowbitException("the simd GEMM backend needs the JVM option --add-modules jdk.incubator.vector"
                        + " (or choose another backend with LowbitEmbeddingModel.builder().backend(\"scalar\"))");
            }
            return new SimdGemmBackend(threads);
        }
        return be;
    }

    /**
     * Embeds the request's texts in batches of {@link Builder#batchSize}; the embeddings follow the input
     * order. Token usage counts the word pieces of every text before truncation, without {@code [CLS]} and
     * {@code [SEP]}, as langchain4j's model does.
     *
     * @throws IllegalArgumentException for a text that has no word pieces (empty, blank, only control characters)
     */
    @Override
    public EmbeddingResponse doEmbed(EmbeddingRequest request) {
        List<String> texts = new ArrayList<>(request.inputs().size());
        int inputTokens = 0;
        for (EmbeddingInput in : request.inputs()) {
            String text = Objects.requireNonNull(in.text(), "text");
            int full = tokenizer.encode(text, maxLength).fullLength();
            if (full <= 2) {
                throw new IllegalArgumentException("Cannot embed empty or whitespace-only text");
            }
            inputTokens += full - 2;
            texts.add(text);
        }
        float[][] e;
        synchronized (embedder) {
            e = embedder.embed(texts, null);
        }
        List<Embedding> out = new ArrayList<>(e.length);
        for (float[] v : e) {
            out.add(Embedding.from(v));
        }
        return EmbeddingResponse.builder().embeddings(out)
                .metadata(EmbeddingResponseMetadata.builder().modelName(MODEL_NAME).tokenUsage(new TokenUsage(inputTokens)).build())
                .build();
    }

    /** 384. */
    @Override
    public int dimension() {
        return MiniLm.DIM;
    }

    @Override
    public String modelName() {
        return MODEL_NAME;
    }

    @Override
    public List<EmbeddingModelListener> listeners() {
        return listeners;
    }

    /** The arithmetic of every GEMM. */
    public Precision precision() {
        return precision;
    }

    public GemmBackend backend() {
        return backend;
    }

    public int batchSize() {
        return batchSize;
    }

    public int threads() {
        return threads;
    }

    public int maxLength() {
        return maxLength;
    }

    /**
     * What the low-bit GEMMs did so far, per (layer, role): unpack ratio m'n'k'/mnk and heavy-hitter fractions
     * on the activations this model has seen (all zeros in fp32).
     */
    public List<GemmSiteStats> stats() {
        synchronized (embedder) {
            return embedder.bert().stats();
        }
    }

    /** Bytes of the linear weights in their stored form (float32, or b-bit digits plus scales). */
    public long linearWeightBytes() {
        return embedder.bert().linearWeightBytes();
    }

    /** Texts cut at {@link #maxLength()} so far. */
    public int truncated() {
        synchronized (embedder) {
            return embedder.truncated();
        }
    }

    @Override
    public void close() {
        embedder.close();
    }

    @Override
    public String toString() {
        return "LowbitEmbeddingModel[" + MODEL_NAME + ", " + precision.label() + (precision.quantized() ? " b=" + precision.bits() : "")
                + ", batch " + batchSize + ", threads " + threads + ", backend " + backend.name() + "]";
    }

    /** Options of {@link LowbitEmbeddingModel}; every one has a default. */
    public static final class Builder {
        private String precisionName = "fp32";
        private Precision precision;
        private Integer bits;
        private int batchSize = 32;
        private Integer threads;
        private int maxLength = WordPieceTokenizer.DEFAULT_MAX_LENGTH;
        private String backend;
        private final List<EmbeddingModelListener> listeners = new ArrayList<>();

        private Builder() {}

        /**
         * A precision by name, as {@code ./lowbit embed --precision} takes it ({@link Precision#NAMES}:
         * {@code fp32} (default), {@code imunpack}, {@code int8}, …); checked at {@link #build()}.
         */
        public Builder precision(String name) {
            this.precisionName = Objects.requireNonNull(name, "precision");
            this.precision = null;
            return this;
        }

        /** A fully specified precision (overrides {@link #precision(String)} and {@link #bits}). */
        public Builder precision(Precision p) {
            this.precision = Objects.requireNonNull(p, "precision");
            return this;
        }

        /** Operand width b of the low-bit GEMMs (2..16; default: the precision's own, 4 for imunpack). */
        public Builder bits(int b) {
            this.bits = b;
            return this;
        }

        /** Texts per forward pass (default 32). */
        public Builder batchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("batchSize must be >= 1, got " + n);
            }
            this.batchSize = n;
            return this;
        }

        /** Worker threads of a forward pass (default: the number of processors). */
        public Builder threads(int t) {
            if (t < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + t);
            }
            this.threads = t;
            return this;
        }

        /**
         * Tokens per text, {@code [CLS]} and {@code [SEP]} included (2..512; default 256, sentence-transformers'
         * max_seq_length for this model). Longer texts are truncated. langchain4j's ONNX model instead splits
         * a long text into windows of 510 word pieces and averages their embeddings weighted by length, so
         * the two agree on texts of up to {@code maxLength} tokens.
         */
        public Builder maxLength(int n) {
            if (n < 2 || n > 512) {
                throw new IllegalArgumentException("maxLength must be in 2..512, got " + n);
            }
            this.maxLength = n;
            return this;
        }

        /** A GEMM backend by name ({@code simd}, {@code scalar}; default: the highest-priority one). */
        public Builder backend(String name) {
            this.backend = Objects.requireNonNull(name, "backend");
            return this;
        }

        /** Listeners notified around every embedding call. */
        public Builder listeners(List<EmbeddingModelListener> l) {
            this.listeners.clear();
            this.listeners.addAll(l);
            return this;
        }

        /**
         * Loads the model (weights shared per JVM) and, for the low-bit precisions, quantizes its weights.
         *
         * @throws LowbitException for an unknown precision or backend, or a missing model file
         */
        public LowbitEmbeddingModel build() {
            return new LowbitEmbeddingModel(this);
        }
    }
}
