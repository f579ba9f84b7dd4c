package dev.lowbit.onnx;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GptqGemms;
import dev.lowbit.nn.MixedPrecision;
import dev.lowbit.nn.OsPlusFold;
import dev.lowbit.nn.Precision;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Text → sentence embeddings: WordPiece (truncated at {@code maxLength} tokens including [CLS]/[SEP]),
 * then {@link Bert} in batches of {@code batch} sentences; rows of the result follow the input order.
 */
public final class SentenceEmbedder implements AutoCloseable {
    private final WordPieceTokenizer tokenizer;
    private final Bert bert;
    private final OsPlusFold osPlus;
    private final int batch;
    private final int maxLength;
    private long tokens;
    private int truncated;

    public SentenceEmbedder(WordPieceTokenizer tokenizer, BertWeights weights, Precision precision, GemmBackend backend,
                            int threads, int batch, int maxLength) {
        this(tokenizer, weights, precision, backend, threads, batch, maxLength, 0);
    }

    /**
     * @param osPlusCandidates 0: no OS+; otherwise Outlier Suppression+ ({@link OsPlusFold#calibrate}) on the built-in
     *     calibration sentences with this many outlier thresholds tried per linear input, folded before the precision
     *     quantizes the weights
     */
    public SentenceEmbedder(WordPieceTokenizer tokenizer, BertWeights weights, Precision precision, GemmBackend backend,
                            int threads, int batch, int maxLength, int osPlusCandidates) {
        if (batch < 1) {
            throw new LowbitException("batch must be >= 1, got " + batch);
        }
        this.tokenizer = tokenizer;
        List<int[]> calib = precision.calibrated() || osPlusCandidates > 0 ? calibration(tokenizer) : null;
        if (osPlusCandidates > 0) {
            OsPlusFold.checkSupported(precision);
            this.osPlus = OsPlusFold.calibrate(weights, precision, backend, calib, threads, osPlusCandidates);
            this.bert = new Bert(osPlus, precision, backend, threads, false, precision.calibrated() ? calib : null);
        } else {
            this.osPlus = null;
            this.bert = new Bert(weights, precision, backend, threads, false, precision.calibrated() ? calib : null);
        }
        this.batch = batch;
        this.maxLength = Math.min(maxLength, weights.config().maxPositions());
    }

    /** The same with a per-(layer, GEMM group) precision ({@link Bert}'s mixed constructor). */
    public SentenceEmbedder(WordPieceTokenizer tokenizer, BertWeights weights, MixedPrecision mixed, GemmBackend backend,
                            int threads, int batch, int maxLength) {
        if (batch < 1) {
            throw new LowbitException("batch must be >= 1, got " + batch);
        }
        this.tokenizer = tokenizer;
        this.osPlus = null;
        this.bert = new Bert(weights, mixed, backend, threads, null);
        this.batch = batch;
        this.maxLength = Math.min(maxLength, weights.config().maxPositions());
    }

    /** Embeds all sentences; {@code onBatch} (nullable) is called after each batch with the number done. */
    public float[][] embed(List<String> sentences, IntConsumer onBatch) {
        float[][] out = new float[sentences.size()][];
        for (int from = 0; from < sentences.size(); from += batch) {
            int to = Math.min(sentences.size(), from + batch);
            List<int[]> ids = new ArrayList<>(to - from);
            for (String s : sentences.subList(from, to)) {
                WordPieceTokenizer.Encoding e = tokenizer.encode(s, maxLength);
                tokens += e.length();
                truncated += e.truncated() ? 1 : 0;
                ids.add(e.ids());
            }
            float[][] e = bert.embed(ids);
            System.arraycopy(e, 0, out, from, e.length);
            if (onBatch != null) {
                onBatch.accept(to);
            }
        }
        return out;
    }

    /** The built-in calibration sentences ({@link GptqGemms#calibrationSentences()}) as token ids. */
    public static List<int[]> calibration(WordPieceTokenizer tokenizer) {
        return GptqGemms.calibrationSentences().stream().map(s -> tokenizer.encode(s).ids()).toList();
    }

    public Bert bert() {
        return bert;
    }

    /** The OS+ fold the model runs on, or null without OS+. */
    public OsPlusFold osPlus() {
        return osPlus;
    }

    /** Tokens encoded so far ([CLS]/[SEP] included). */
    public long tokens() {
        return tokens;
    }

    /** Sentences cut at maxLength so far. */
    public int truncated() {
        return truncated;
    }

    @Override
    public void close() {
        bert.close();
    }
}
