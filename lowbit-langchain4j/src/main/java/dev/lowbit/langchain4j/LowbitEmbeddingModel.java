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
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GemmSiteStats;
import dev.lowbit.nn.Precision;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.onnx.SentenceEmbedder;
import dev.lowbit.simd.SimdGemmBackend;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
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
 * <p>For a text with word pieces w_1..w_n, truncated to n' = min(n, maxLength − 2), the sequence {@code [CLS]}
 * w_1..w_n' {@code [SEP]} of L = n' + 2 tokens gives the embedding e = m / ‖m‖₂ with m = (1/L) Σ_{t=1..L} h_t,
 * the mean of the last hidden states. maxLength is {@value #LANGCHAIN4J_MAX_LENGTH} by default, which is what
 * langchain4j's {@code AllMiniLmL6V2EmbeddingModel} does in effect: its tokenizer (DJL) applies the truncation to
 * 128 tokens written in the model's tokenizer.json; sentence-transformers uses 256 ({@link Builder#maxLength}).
 * With {@link Builder#windows()} nothing is truncated: a text of more than {@value #WINDOW} word pieces is cut
 * into windows W_1..W_k of at most {@value #WINDOW} pieces (a window never ends inside a word, i.e. before a
 * {@code ##} piece), each embedded on its own as {@code [CLS]} W_j {@code [SEP]}, and e = M / ‖M‖₂ with
 * M = Σ_j |W_j| m_j / Σ_j |W_j| — the algorithm of langchain4j's {@code OnnxBertBiEncoder}, which that model never
 * reaches because its tokenizer truncates first. In {@code fp32} the result matches ONNX Runtime to cosine
 * ≥ 0.99999; the low-bit precisions ({@link Precision#parse}) quantize every GEMM and execute its integer
 * product exactly.
 *
 * <p>A text's embedding does not depend on the other texts of its batch, the batch size or the thread count.
 * Calls are serialized (one forward pass at a time, itself parallel over {@link Builder#threads} workers),
 * so one instance can be shared between threads. The workers are lowbit's shared daemon pool
 * ({@link dev.lowbit.Parallel}); {@link #close()} releases the model, the pool stays for the next one.
 *
 * <p>The JVM needs {@code --add-modules jdk.incubator.vector} for the default ({@code simd}) GEMM backend.
 */
public final class LowbitEmbeddingModel implements EmbeddingModel, AutoCloseable {
    /** The name {@link #modelName()} reports: the one langchain4j's own model has in its metadata. */
    public static final String MODEL_NAME = "all-minilm-l6-v2";
    /**
     * Default tokens per text ([CLS] and [SEP] included): the truncation of the tokenizer.json shipped with the
     * model, which langchain4j's model applies (it reports at most 126 input tokens per text).
     */
    public static final int LANGCHAIN4J_MAX_LENGTH = 128;
    /** Word pieces per window for long texts: 512 positions less [CLS] and [SEP] (langchain4j's MAX_SEQUENCE_LENGTH). */
    public static final int WINDOW = 510;

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
        this.embedder = new SentenceEmbedder(tokenizer, weights(), precision, backend, threads, batchSize,
                maxLength > 0 ? maxLength : WINDOW + 2);
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
        GemmBackend be = name == null ? GemmBackends.preferred() : GemmBackends.select(name);
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
     * order. Token usage counts the word pieces embedded (after truncation), without {@code [CLS]} and
     * {@code [SEP]}, as langchain4j's model does.
     *
     * @throws IllegalArgumentException for a text that has no word pieces (empty, blank, only control characters)
     */
    @Override
    public EmbeddingResponse doEmbed(EmbeddingRequest request) {
        List<int[]> pieces = new ArrayList<>(request.inputs().size());
        List<String> texts = new ArrayList<>(request.inputs().size());
        int inputTokens = 0;
        for (EmbeddingInput in : request.inputs()) {
            String text = Objects.requireNonNull(in.text(), "text");
            int[] body = tokenizer.tokenIds(text);
            if (body.length == 0) {
                throw new IllegalArgumentException("Cannot embed empty or whitespace-only text");
            }
            inputTokens += maxLength > 0 ? Math.min(body.length, maxLength - 2) : body.length;
            pieces.add(body);
            texts.add(text);
        }
        float[][] e;
        synchronized (embedder) {
            e = maxLength > 0 ? embedder.embed(texts, null) : embedWindows(pieces);
        }
        List<Embedding> out = new ArrayList<>(e.length);
        for (float[] v : e) {
            out.add(Embedding.from(v));
        }
        return EmbeddingResponse.builder().embeddings(out)
                .metadata(EmbeddingResponseMetadata.builder().modelName(MODEL_NAME).tokenUsage(new TokenUsage(inputTokens)).build())
                .build();
    }

    /**
     * Embeds texts given as word-piece ids (no special tokens), cutting those longer than {@link #WINDOW} into
     * windows: the sequences of all texts run in batches of {@code batchSize}; a one-window text takes the
     * model's pooled embedding, a longer one the normalized, length-weighted mean of its windows' mean states.
     */
    private float[][] embedWindows(List<int[]> texts) {
        List<int[]> seqs = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        int[] windows = new int[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            for (int[] w : windows(texts.get(i))) {
                int[] ids = new int[w.length + 2];
                ids[0] = tokenizer.clsId();
                System.arraycopy(w, 0, ids, 1, w.length);
                ids[ids.length - 1] = tokenizer.sepId();
                seqs.add(ids);
                owner.add(i);
                windows[i]++;
            }
        }
        int d = MiniLm.DIM;
        float[][] out = new float[texts.size()][];
        double[][] sum = new double[texts.size()][];
        long[] weight = new long[texts.size()];
        for (int from = 0; from < seqs.size(); from += batchSize) {
            int to = Math.min(seqs.size(), from + batchSize);
            int len = 0;
            for (int j = from; j < to; j++) {
                len = Math.max(len, seqs.get(j).length);
            }
            int[][] ids = new int[to - from][len];
            int[][] mask = new int[to - from][len];
            for (int j = from; j < to; j++) {
                int[] s = seqs.get(j);
                System.arraycopy(s, 0, ids[j - from], 0, s.length);
                Arrays.fill(mask[j - from], 0, s.length, 1);
            }
            Bert.Output o = embedder.bert().forward(ids, mask, null);
            for (int j = from; j < to; j++) {
                int i = owner.get(j);
                if (windows[i] == 1) {
                    out[i] = o.embeddings()[j - from];
                    continue;
                }
                // m_j = mean of the window's last hidden states, weighted by its word-piece count |W_j|
                int start = o.sequenceStart()[j - from];
                int n = o.sequenceLength()[j - from];
                double[] acc = sum[i] == null ? (sum[i] = new double[d]) : sum[i];
                int pieces = n - 2;
                for (int t = start; t < start + n; t++) {
                    for (int c = 0; c < d; c++) {
                        acc[c] += (double) o.lastHidden().get(t, c) * pieces / n;
                    }
                }
                weight[i] += pieces;
            }
        }
        for (int i = 0; i < out.length; i++) {
            if (out[i] == null) {
                double norm = 0;
                for (int c = 0; c < d; c++) {
                    sum[i][c] /= weight[i];
                    norm += sum[i][c] * sum[i][c];
                }
                norm = Math.max(Math.sqrt(norm), 1e-12);
                out[i] = new float[d];
                for (int c = 0; c < d; c++) {
                    out[i][c] = (float) (sum[i][c] / norm);
                }
            }
        }
        return out;
    }

    /**
     * langchain4j's partition of word pieces into windows of at most {@link #WINDOW}: a window that would end
     * before a continuation piece ({@code ##…}) ends at the start of that word instead, unless the word alone is
     * longer than a window.
     */
    List<int[]> windows(int[] body) {
        List<int[]> out = new ArrayList<>();
        int from = 0;
        while (from < body.length) {
            int to = from + WINDOW;
            if (to >= body.length) {
                to = body.length;
            } else {
                while (to > from && tokenizer.token(body[to]).startsWith("##")) {
                    to--;
                }
                if (to == from) {
                    to = from + WINDOW;
                }
            }
            out.add(Arrays.copyOfRange(body, from, to));
            from = to;
        }
        return out;
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

    /** Tokens per text before truncation, or 0 when long texts are cut into windows ({@link Builder#windows()}). */
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

    /** Bytes of the linear weights in their packed form (float32, or b-bit digits / format codes plus scales). */
    public long linearWeightBytes() {
        return embedder.bert().linearWeightBytes();
    }

    /** Bytes this model really holds for its linear weights (allocated arrays: float32 weights, codes, float copies). */
    public long residentWeightBytes() {
        return embedder.bert().residentLinearWeightBytes();
    }

    /** Texts cut at {@link #maxLength()} so far (0 in windows mode, which never truncates). */
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
        return "LowbitEmbeddingModel[" + MODEL_NAME + ", " + precision.label() + (precision.quantized() ? " b=" + precision.bitsLabel() : "")
                + ", batch " + batchSize + ", threads " + threads + ", backend " + backend.name()
                + (maxLength > 0 ? ", truncate at " + maxLength : ", windows of " + WINDOW) + "]";
    }

    /** Options of {@link LowbitEmbeddingModel}; every one has a default. */
    public static final class Builder {
        private String precisionName = "fp32";
        private Precision precision;
        private Integer bits;
        private int batchSize = 32;
        private Integer threads;
        private int maxLength = LANGCHAIN4J_MAX_LENGTH;
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

        /** Operand width b of the low-bit GEMMs (2..16, or {@code Precision.AUTO_BITS}; default: auto, chosen per GEMM). */
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
         * Truncates every text to {@code n} tokens, {@code [CLS]} and {@code [SEP]} included (2..512; default
         * {@value LowbitEmbeddingModel#LANGCHAIN4J_MAX_LENGTH}, as langchain4j's model; sentence-transformers and
         * {@code ./lowbit embed} use {@value WordPieceTokenizer#DEFAULT_MAX_LENGTH}).
         */
        public Builder maxLength(int n) {
            if (n < 2 || n > 512) {
                throw new IllegalArgumentException("maxLength must be in 2..512, got " + n);
            }
            this.maxLength = n;
            return this;
        }

        /**
         * Truncates nothing: a text of more than {@value LowbitEmbeddingModel#WINDOW} word pieces is embedded
         * in windows whose mean states are averaged, weighted by length (see the class comment).
         */
        public Builder windows() {
            this.maxLength = 0;
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
