package dev.lowbit.spark;

import dev.lowbit.Flags;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.onnx.SentenceEmbedder;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models of one JVM (an executor, or the driver in {@code local[*]}): MiniLM's weights and tokenizer are loaded
 * once, on first use, and each (precision, threads, batch) gets one {@link SentenceEmbedder} — its weights quantized
 * once — shared by every task the JVM runs, concurrently ({@code Bert} keeps no per-call state; its statistics are
 * synchronized). Held until the JVM exits.
 */
final class ExecutorModels {
    private static volatile BertWeights weights;
    private static volatile WordPieceTokenizer tokenizer;
    private static final Map<String, SentenceEmbedder> EMBEDDERS = new ConcurrentHashMap<>();
    /** Nanoseconds this JVM spent loading and quantizing models (reported by the CLI's summary). */
    private static volatile long loadNanos;

    private ExecutorModels() {}

    static SentenceEmbedder embedder(EmbedOptions o, int threads) {
        String key = o.precision().strip().toLowerCase(java.util.Locale.ROOT) + "|" + threads + "|" + o.batch();
        SentenceEmbedder e = EMBEDDERS.get(key);
        if (e != null) {
            return e;
        }
        synchronized (ExecutorModels.class) {
            // the GEMM backends size their thread teams from lowbit.threads once, when first used: threads per task, so
            // that the tasks an executor runs at once use its cores and no more (-Dlowbit.threads in the executor's
            // Java options wins)
            if (System.getProperty("lowbit.threads") == null) {
                System.setProperty("lowbit.threads", Integer.toString(threads));
            }
            return EMBEDDERS.computeIfAbsent(key, k -> {
                long t0 = System.nanoTime();
                if (weights == null) {
                    tokenizer = MiniLm.tokenizer();
                    weights = MiniLm.weights();
                }
                SentenceEmbedder s = new SentenceEmbedder(tokenizer, weights, EmbedOptions.resolve(o.precision()),
                        GemmBackends.select(Flags.backend()), threads, o.batch(), WordPieceTokenizer.DEFAULT_MAX_LENGTH);
                loadNanos += System.nanoTime() - t0;
                return s;
            });
        }
    }

    static double loadSeconds() {
        return loadNanos / 1e9;
    }
}
