package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.OsPlus;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.numeric.LowPrecisionVectorMath;
import dev.lowbit.numeric.MathPrecision;
import dev.lowbit.numeric.VectorMath;
import dev.lowbit.policy.ScaleScope;
import dev.lowbit.numeric.VectorMaths;
import dev.lowbit.tensor.FloatMatrix;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * BERT encoder inference with sentence pooling (all-MiniLM-L6-v2's sentence-transformers head).
 *
 * <p>For a batch of B sequences padded to length L with an attention mask (1 = token, 0 = padding):
 * <pre>
 *   x_t   = LN(word[id_t] + type[type_t] + pos[t])                        t = absolute position in the row
 *   layer: q,k,v = x·Wqᵀ+bq, x·Wkᵀ+bk, x·Wvᵀ+bv
 *          per head h: P = softmax(q_h·k_hᵀ / √d_h + mask),  c_h = P·v_h
 *          a = LN1(x + c·Woᵀ + bo);  x = LN2(a + GELU(a·W1ᵀ + b1)·W2ᵀ + b2)
 *   e     = Σ_{t: mask_t=1} x_t / max(Σ mask, 1e-9);   out = e / max(‖e‖₂, 1e-12)
 * </pre>
 * The additive mask is −∞ in effect (ONNX exports use −3.4e38 or −1e4; either gives exactly zero weight
 * after the softmax in float32), so masked keys are simply left out: only the positions with mask 1 are
 * computed, packed row after row into one T×d matrix, which gives the same pooled result as computing the
 * padding and ignoring it. The linear layers run as one GEMM over all T tokens of the batch; attention
 * runs per (sequence, head), in parallel on {@code threads} threads of lowbit's shared pool ({@link Parallel}).
 * Softmax (of the scores times 1/√d_h), GELU, LayerNorm and the bias/residual adds go through {@link VectorMath} in
 * float32; in FP32 the two attention products are {@link VectorMath#matmul} (each score an fma chain over the head
 * dimension).
 *
 * <p>In the low-bit precisions the GEMMs the precision covers are dispatched to its {@link PrecisionGemms}: the RTN
 * modes ({@code imunpack}, {@code int8}) quantize each GEMM {@code A·Bᵀ} (weights once, at construction;
 * activations per call), unpack the integer codes to b-bit operands, multiply them exactly on the backend
 * ({@link ImUnpackGemm#fold}) and rescale the int64 result; {@code llm-int8}, {@code gptq-w4} and the float
 * formats ({@code fp8}, {@code mxfp8}, {@code mxfp4}, {@code nvfp4}) have their own executors. Per-site
 * statistics (unpack ratio, heavy hitters) are accumulated for {@link #stats()}.
 *
 * <p>Results do not depend on the batch composition or the thread count: quantization scales never span two
 * sequences, integer products are exact, and attention per sequence is independent.
 */
public final class Bert implements AutoCloseable {
    /** What a per-tensor scale covers here: one sequence (one (sequence, head) operand in attention). */
    public static final ScaleScope SCALE_SCOPE = ScaleScope.SEQUENCE;
    private final BertWeights w;
    private final BertConfig c;
    private final Precision precision;
    /** The per-(layer, group) precision of a mixed model, or null. */
    private final MixedPrecision mixed;
    /** A mixed model's executors, [layer][group] (null where the group runs in FP32). */
    private final PrecisionGemms[][] mixedExecutors;
    private final GemmBackend backend;
    /** Threads of the attention heads and the row-wise steps ({@link Parallel}'s shared pool). */
    private final int threads;
    private final PrecisionGemms executor;
    private final SiteStatsTable stats;
    private LinearCapture capture;
    private final boolean verifyExact;
    private final AtomicLong verified = new AtomicLong();
    /** OS+ transforms folded into {@link #w} (null: none): the residual connections restore x from x̃. */
    private final OsPlusFold osPlus;
    /** Softmax, GELU, LayerNorm, bias/residual adds and the FP32 attention products (same bits on every implementation). */
    private volatile VectorMath vm = VectorMaths.preferred();

    /** The pooled, L2-normalized embeddings (B × d) and the packed last hidden state. */
    public record Output(float[][] embeddings, FloatMatrix lastHidden, int[] sequenceStart, int[] sequenceLength) {}

    public Bert(BertWeights weights, Precision precision, GemmBackend backend, int threads) {
        this(weights, precision, backend, threads, false);
    }

    /**
     * @param verifyExact also compute every low-bit GEMM's int64 reference ({@link ScalarGemm#exact}) and
     *     fail if the IM-Unpack fold differs in any bit (slow; for tests)
     */
    public Bert(BertWeights weights, Precision precision, GemmBackend backend, int threads, boolean verifyExact) {
        this(weights, precision, backend, threads, verifyExact, null);
    }

    /**
     * @param calibration token ids of calibration sequences (each with [CLS] … [SEP]) for the precisions that
     *     need them ({@code gptq-w4}); ignored by the others
     */
    public Bert(BertWeights weights, Precision precision, GemmBackend backend, int threads, boolean verifyExact,
                List<int[]> calibration) {
        this(weights, precision, backend, threads, verifyExact, calibration, null);
    }

    /**
     * A model whose Q/K/V and FFN1 inputs carry Outlier Suppression+ transforms ({@link OsPlusFold}): the precision runs
     * on {@code osPlus.weights()} (the folded LayerNorms and linears), and the residual connections see the LayerNorm
     * outputs restored, {@code x = x̃ ⊙ s + z}, so the model computes the same function as the unfolded one.
     *
     * @param osPlus the folded model (from {@link OsPlusFold#calibrate} or {@link OsPlusFold#fold})
     */
    public Bert(OsPlusFold osPlus, Precision precision, GemmBackend backend, int threads, boolean verifyExact,
                List<int[]> calibration) {
        this(osPlus.weights(), precision, backend, threads, verifyExact, calibration, checkOsPlus(osPlus, precision));
    }

    /** GPTQ and LLM-FP4 calibrate on a plain FP32 model of the weights they are given, which for folded weights lacks the restore. */
    private static OsPlusFold checkOsPlus(OsPlusFold f, Precision p) {
        if (p.calibrated()) {
            throw new LowbitException("OS+ folded weights cannot be calibrated for " + p.label());
        }
        return f;
    }

    private Bert(BertWeights weights, Precision precision, GemmBackend backend, int threads, boolean verifyExact,
                 List<int[]> calibration, OsPlusFold osPlus) {
        this.osPlus = osPlus;
        this.verifyExact = verifyExact;
        this.w = weights;
        this.c = weights.config();
        this.precision = precision;
        this.backend = backend;
        if (threads < 1) {
            throw new LowbitException("threads must be >= 1, got " + threads);
        }
        this.stats = new SiteStatsTable(c.layers());
        this.mixed = null;
        this.mixedExecutors = null;
        this.executor = newExecutor(precision, calibration, threads);
        this.threads = threads;
    }

    /**
     * A model whose GEMM groups run the precisions of {@code mixed}, each group through the executor of its preset (the
     * same executor, the same bits, as a model in that precision alone): a mix whose every group is P gives P's
     * embeddings bit for bit.
     *
     * @param shared executors by preset name, reused across models of the same weights and backend (a search builds each
     *     preset's quantized weights once), or null; executors built here are added to it. Per-site statistics of
     *     executors built by another model accumulate in that model's {@link #stats()}.
     */
    public Bert(BertWeights weights, MixedPrecision mixed, GemmBackend backend, int threads, Map<String, PrecisionGemms> shared) {
        this.verifyExact = false;
        this.w = weights;
        this.c = weights.config();
        this.backend = backend;
        if (threads < 1) {
            throw new LowbitException("threads must be >= 1, got " + threads);
        }
        if (mixed.layers() != c.layers()) {
            throw new LowbitException("mixed precision for " + mixed.layers() + " layers, the model has " + c.layers());
        }
        this.stats = new SiteStatsTable(c.layers());
        this.threads = threads;
        this.precision = null;
        this.executor = null;
        this.osPlus = null;
        this.mixed = mixed;
        Map<String, PrecisionGemms> byName = shared != null ? shared : new HashMap<>();
        this.mixedExecutors = new PrecisionGemms[c.layers()][MixedPrecision.Group.values().length];
        for (int l = 0; l < c.layers(); l++) {
            for (MixedPrecision.Group g : MixedPrecision.Group.values()) {
                Precision p = mixed.at(l, g);
                if (p.quantized()) {
                    String name = mixed.name(l, g);
                    PrecisionGemms e = byName.get(name);
                    if (e == null) {
                        e = newExecutor(p, null, threads);
                        byName.put(name, e);
                    }
                    mixedExecutors[l][g.ordinal()] = e;
                }
            }
        }
    }

    private PrecisionGemms newExecutor(Precision p, List<int[]> calibration, int threads) {
        return switch (p.mode()) {
            case FP32 -> null;
            case IMUNPACK, INT8 -> new RtnGemms(w, p, backend, stats, verifyExact, verified, threads);
            case LLM_INT8 -> new LlmInt8Gemms(w, p, backend, stats, verifyExact, verified);
            case GPTQ_W4 -> GptqGemms.calibrate(w, p, backend, calibration, threads);
            case FP8, MXFP8, MXFP4, NVFP4 -> new FormatGemms(w, p, backend, threads);
            case LLM_FP4 -> LlmFp4Gemms.calibrate(w, p, backend, calibration, threads);
            case SWITCH -> new SwitchGemms(w, p, backend);
            case FAKE -> new PolicyGemms(w, p, backend);
        };
    }

    /** The precision of GEMM {@code role} of layer {@code l}. */
    private Precision precisionAt(int l, GemmRole role) {
        return mixed == null ? precision : mixed.at(l, role);
    }

    /** The executor of GEMM {@code role} of layer {@code l} (null in FP32). */
    private PrecisionGemms executorAt(int l, GemmRole role) {
        return mixed == null ? executor : mixedExecutors[l][MixedPrecision.Group.of(role).ordinal()];
    }

    /** Whether GEMM {@code role} of layer {@code l} runs in low bits. */
    private boolean quantizes(int l, GemmRole role) {
        return precisionAt(l, role).quantizes(role);
    }

    /** Receives the input of every linear layer (used to calibrate GPTQ on the FP32 model). */
    interface LinearCapture {
        void accept(int layer, GemmRole role, FloatMatrix input);
    }

    /** Sets the capture hook (null: none); only for the FP32 calibration runs. */
    void capture(LinearCapture c) {
        this.capture = c;
    }

    /** The executor of the low-bit GEMMs (null in FP32 and for a mixed model). */
    public PrecisionGemms executor() {
        return executor;
    }

    /** FP32 on the preferred backend, one thread. */
    public static Bert fp32(BertWeights weights) {
        return new Bert(weights, Precision.fp32(), GemmBackends.preferred(), 1);
    }

    public BertConfig config() {
        return c;
    }

    /**
     * Runs softmax and GELU with the transcendentals designed for {@code p} (exp, erf GELU rounded to bf16, fp16 or
     * fp8 E4M3: {@link VectorMath#withMath}); {@code fp32} restores the float32 math. Call before {@link #forward}.
     */
    public Bert math(MathPrecision p) {
        vm = VectorMaths.preferred().withMath(p);
        return this;
    }

    /** The math precision of softmax and GELU ({@code fp32} unless {@link #math} set another). */
    public MathPrecision math() {
        return vm instanceof LowPrecisionVectorMath l ? l.target() : MathPrecision.FP32;
    }

    /** The precision of every GEMM, or null for a mixed model ({@link #mixed()}). */
    public Precision precision() {
        return precision;
    }

    /** The per-(layer, group) precision of a mixed model, or null. */
    public MixedPrecision mixed() {
        return mixed;
    }

    public GemmBackend backend() {
        return backend;
    }

    /** Embeds unpadded sequences of token ids (each already with [CLS] … [SEP]). */
    public float[][] embed(List<int[]> sequences) {
        int b = sequences.size();
        int len = 0;
        for (int[] s : sequences) {
            len = Math.max(len, s.length);
        }
        int[][] ids = new int[b][len];
        int[][] mask = new int[b][len];
        for (int i = 0; i < b; i++) {
            int[] s = sequences.get(i);
            System.arraycopy(s, 0, ids[i], 0, s.length);
            for (int t = 0; t < s.length; t++) {
                mask[i][t] = 1;
            }
        }
        return forward(ids, mask, null).embeddings();
    }

    /**
     * Runs the encoder on a padded batch.
     *
     * @param ids B × L token ids
     * @param mask B × L attention mask (0 or 1)
     * @param typeIds B × L token type ids, or null for all zeros
     */
    public Output forward(int[][] ids, int[][] mask, int[][] typeIds) {
        int b = ids.length;
        int d = c.hidden();
        int[] start = new int[b];
        int[] length = new int[b];
        int total = 0;
        for (int i = 0; i < b; i++) {
            if (mask[i].length != ids[i].length || (typeIds != null && typeIds[i].length != ids[i].length)) {
                throw new LowbitException("sequence " + i + ": ids, mask and type ids differ in length");
            }
            if (ids[i].length > c.maxPositions()) {
                throw new LowbitException("sequence " + i + " has " + ids[i].length + " positions, the model supports "
                        + c.maxPositions());
            }
            start[i] = total;
            for (int t = 0; t < ids[i].length; t++) {
                if (mask[i][t] != 0 && mask[i][t] != 1) {
                    throw new LowbitException("attention mask must be 0 or 1, got " + mask[i][t] + " at (" + i + ", " + t + ")");
                }
                length[i] += mask[i][t];
            }
            total += length[i];
        }
        // embeddings of the kept positions, packed: x is total × d
        float[] x = new float[total * d];
        float[] word = w.wordEmbeddings().data();
        for (int i = 0; i < b; i++) {
            int row = start[i];
            for (int t = 0; t < ids[i].length; t++) {
                if (mask[i][t] == 0) {
                    continue;
                }
                int id = ids[i][t];
                int type = typeIds == null ? 0 : typeIds[i][t];
                if (id < 0 || id >= c.vocabSize()) {
                    throw new LowbitException("token id " + id + " at (" + i + ", " + t + ") is outside the vocabulary [0, "
                            + c.vocabSize() + ")");
                }
                if (type < 0 || type >= c.typeVocabSize()) {
                    throw new LowbitException("token type " + type + " at (" + i + ", " + t + ") is outside [0, " + c.typeVocabSize() + ")");
                }
                int wo = w.wordEmbeddings().index(id, 0);
                int to = w.tokenTypeEmbeddings().index(type, 0);
                int po = w.positionEmbeddings().index(t, 0);
                float[] typ = w.tokenTypeEmbeddings().data();
                float[] pos = w.positionEmbeddings().data();
                int o = row * d;
                for (int j = 0; j < d; j++) {
                    x[o + j] = (word[wo + j] + typ[to + j]) + pos[po + j];
                }
                row++;
            }
        }
        layerNorm(w.embeddingNorm(), x, total);
        float[] skip = restored(0, false, x, total); // x as the residual sees it (x̃ restored under OS+)
        int[] blocks = new int[b + 1]; // row ranges of the sequences: activation quantization blocks
        for (int i = 0; i < b; i++) {
            blocks[i] = start[i];
        }
        blocks[b] = total;

        for (int l = 0; l < c.layers(); l++) {
            BertLayerWeights lw = w.layers().get(l);
            float[][] qkv = qkv(l, x, total, blocks);
            float[] q = qkv[0];
            float[] k = qkv[1];
            float[] v = qkv[2];
            float[] ctx = attention(l, q, k, v, start, length, total);
            float[] a = linear(l, GemmRole.O, ctx, total, blocks);
            residualNorm(lw.attentionNorm(), a, skip, total);
            float[] aSkip = restored(l, true, a, total);
            float[] h = linear(l, GemmRole.FFN1, a, total, blocks);
            int width = c.intermediate();
            float[] hh = h;
            forRows(total, (r0, r1) -> vm.gelu(hh, r0 * width, hh, r0 * width, (r1 - r0) * width));
            float[] y = linear(l, GemmRole.FFN2, h, total, blocks);
            residualNorm(lw.outputNorm(), y, aSkip, total);
            x = y;
            skip = l + 1 < c.layers() ? restored(l + 1, false, x, total) : x;
        }

        float[][] emb = new float[b][d];
        for (int i = 0; i < b; i++) {
            double[] sum = new double[d];
            for (int t = 0; t < length[i]; t++) {
                int o = (start[i] + t) * d;
                for (int j = 0; j < d; j++) {
                    sum[j] += x[o + j];
                }
            }
            double cnt = Math.max(length[i], 1e-9);
            double norm = 0;
            for (int j = 0; j < d; j++) {
                sum[j] /= cnt;
                norm += sum[j] * sum[j];
            }
            double inv = 1.0 / Math.max(Math.sqrt(norm), 1e-12);
            for (int j = 0; j < d; j++) {
                emb[i][j] = (float) (sum[j] * inv);
            }
        }
        return new Output(emb, FloatMatrix.wrap(x, total, d), start, length);
    }

    /**
     * The LayerNorm output {@code x} as the residual connection needs it: x itself without OS+, else {@code x̃ ⊙ s + z}
     * with the transform of layer l's Q/K/V input ({@code ffn1} false) or FFN1 input ({@code ffn1} true).
     */
    private float[] restored(int l, boolean ffn1, float[] x, int rows) {
        OsPlus.Transform t = osPlus == null ? null : ffn1 ? osPlus.ffn1(l) : osPlus.qkv(l);
        if (t == null) {
            return x;
        }
        float[] out = new float[x.length];
        forRows(rows, (r0, r1) -> OsPlusFold.restore(t, x, out, r0, r1));
        return out;
    }

    /** {@code x = LN(x + skip)} row by row, in parallel over row chunks. */
    private void residualNorm(LayerNormWeights p, float[] x, float[] skip, int rows) {
        int d = c.hidden();
        forRows(rows, (r0, r1) -> {
            vm.add(x, r0 * d, skip, r0 * d, x, r0 * d, (r1 - r0) * d);
            p.applyInPlace(vm, x, r0, r1);
        });
    }

    private void layerNorm(LayerNormWeights p, float[] x, int rows) {
        forRows(rows, (r0, r1) -> p.applyInPlace(vm, x, r0, r1));
    }

    private interface RowRange {
        void run(int r0, int r1);
    }

    /**
     * Runs {@code body} on contiguous row ranges (at least 32 rows each), one per thread, in parallel when there are
     * several threads; rows are independent.
     */
    private void forRows(int rows, RowRange body) {
        int parts = Parallel.parts(threads, rows, 1, 32);
        Parallel.forRanges(parts, rows, (t, r0, r1) -> body.run(r0, r1));
    }

    /** {@code x (rows × in) · Wᵀ + b} for the linear layer {@code role} of layer {@code l}. */
    private float[] linear(int l, GemmRole role, float[] x, int rows, int[] blocks) {
        LinearWeights lw = w.layers().get(l).linear(role);
        int n = lw.out();
        FloatMatrix a = FloatMatrix.wrap(x, rows, lw.in());
        float[] out;
        if (capture != null) {
            capture.accept(l, role, a);
        }
        if (quantizes(l, role)) {
            out = executorAt(l, role).linear(l, role, a, blocks);
        } else {
            out = new float[rows * n];
            if (rows > 0) {
                Gemm.f32(a, lw.weight(), FloatMatrix.wrap(out, rows, n), backend);
            }
        }
        float[] bias = lw.bias();
        float[] res = out;
        forRows(rows, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                vm.add(res, r * n, bias, 0, res, r * n, n);
            }
        });
        return out;
    }

    private static final List<GemmRole> QKV = List.of(GemmRole.Q, GemmRole.K, GemmRole.V);

    /** Q, K and V of layer l: through {@link PrecisionGemms#linears} (x quantized once) when the precision covers all three. */
    private float[][] qkv(int l, float[] x, int rows, int[] blocks) {
        PrecisionGemms e = executorAt(l, GemmRole.Q);
        if (capture != null || !QKV.stream().allMatch(r -> quantizes(l, r) && executorAt(l, r) == e)) {
            return new float[][] {linear(l, GemmRole.Q, x, rows, blocks), linear(l, GemmRole.K, x, rows, blocks),
                linear(l, GemmRole.V, x, rows, blocks)};
        }
        float[][] out = e.linears(l, QKV, FloatMatrix.wrap(x, rows, c.hidden()), blocks);
        for (int i = 0; i < out.length; i++) {
            float[] res = out[i];
            float[] bias = w.layers().get(l).linear(QKV.get(i)).bias();
            int n = bias.length;
            forRows(rows, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    vm.add(res, r * n, bias, 0, res, r * n, n);
                }
            });
        }
        return out;
    }

    /** {@code a·bᵀ} of two activations in the model's precision. */
    private float[] product(int l, GemmRole role, FloatMatrix a, FloatMatrix b) {
        if (quantizes(l, role)) {
            return executorAt(l, role).product(l, role, a, b);
        }
        float[] out = new float[a.rows() * b.rows()];
        Gemm.f32(a, b, FloatMatrix.wrap(out, a.rows(), b.rows()), backend);
        return out;
    }

    /** Multi-head attention of every sequence: returns the concatenated head contexts (total × d). */
    private float[] attention(int l, float[] q, float[] k, float[] v, int[] start, int[] length, int total) {
        int d = c.hidden();
        int hd = c.headDim();
        int heads = c.heads();
        float invScale = (float) (1 / Math.sqrt(hd));
        boolean fp32 = !quantizes(l, GemmRole.QK) && !quantizes(l, GemmRole.PV);
        float[] ctx = new float[total * d];
        int jobs = start.length * heads;
        Parallel.forEach(threads, jobs, job -> {
            int s = job / heads;
            int h = job % heads;
            int len = length[s];
            if (len == 0) {
                return;
            }
            int off = start[s] * d + h * hd;
            if (fp32) {
                attentionHeadFp32(q, k, v, ctx, off, len, invScale);
                return;
            }
            // views: rows = tokens of sequence s, cols = the dims of head h; stride d
            FloatMatrix qh = new FloatMatrix(q, len, hd, off, d);
            FloatMatrix kh = new FloatMatrix(k, len, hd, off, d);
            float[] p = product(l, GemmRole.QK, qh, kh); // len × len
            for (int r = 0; r < len; r++) {
                vm.softmax(p, r * len, invScale, p, r * len, len);
            }
            float[] vt = new float[hd * len]; // v_hᵀ: hd × len, so that P·v_h is the NT product P·(v_hᵀ)ᵀ
            for (int t = 0; t < len; t++) {
                for (int j = 0; j < hd; j++) {
                    vt[j * len + t] = v[off + t * d + j];
                }
            }
            float[] o = product(l, GemmRole.PV, FloatMatrix.wrap(p, len, len), FloatMatrix.wrap(vt, hd, len)); // len × hd
            for (int t = 0; t < len; t++) {
                System.arraycopy(o, t * hd, ctx, off + t * d, hd);
            }
        });
        return ctx;
    }

    /**
     * One FP32 attention head: {@code S = q_h·k_hᵀ}, row softmax of S/√d_h, {@code ctx_h = P·v_h}, the two
     * products as {@link VectorMath#matmul} straight from and into the packed rows (row stride d).
     */
    private void attentionHeadFp32(float[] q, float[] k, float[] v, float[] ctx, int off, int len, float invScale) {
        int d = c.hidden();
        int hd = c.headDim();
        float[] kt = new float[hd * len]; // k_hᵀ: hd × len
        for (int j = 0; j < hd; j++) {
            int src = off + j;
            int dst = j * len;
            for (int t = 0; t < len; t++) {
                kt[dst + t] = k[src + t * d];
            }
        }
        float[] p = new float[len * len];
        vm.matmul(q, off, d, kt, 0, len, p, 0, len, len, len, hd);
        for (int r = 0; r < len; r++) {
            vm.softmax(p, r * len, invScale, p, r * len, len);
        }
        vm.matmul(p, 0, len, v, off, d, ctx, off, d, len, hd, len);
    }

    /** Per-site statistics of the low-bit GEMMs so far (all zeros in FP32), layer-major, roles in order. */
    public List<GemmSiteStats> stats() {
        return stats.all();
    }

    /** Number of low-bit GEMMs checked bit for bit against the int64 reference (with verifyExact). */
    public long verifiedGemms() {
        return verified.get();
    }

    /** Clears the statistics. */
    public void resetStats() {
        stats.reset();
    }

    /**
     * Bytes of the linear weights as stored for this precision: float32 for the GEMMs that stay FP32, otherwise
     * the executor's stored form ({@link PrecisionGemms#weightBytes}: codes, scales and side data).
     */
    public long linearWeightBytes() {
        long bytes = 0;
        for (int l = 0; l < c.layers(); l++) {
            for (GemmRole r : GemmRole.LINEAR) {
                LinearWeights lw = w.layers().get(l).linear(r);
                bytes += quantizes(l, r) ? executorAt(l, r).weightBytes(l, r) : 4L * lw.weight().size();
            }
        }
        return bytes;
    }

    /**
     * Bytes this model actually holds for its linear weights, measured from the allocated arrays: the float32 weights
     * it keeps (all of them: the model retains its {@link BertWeights}) plus, for every quantized layer, what the
     * executor allocated ({@link PrecisionGemms#residentWeightBytes}: int32 codes, decoded float copies, scales).
     * Compare with {@link #linearWeightBytes}, the packed size.
     */
    public long residentLinearWeightBytes() {
        long bytes = 0;
        for (int l = 0; l < c.layers(); l++) {
            for (GemmRole r : GemmRole.LINEAR) {
                bytes += PrecisionGemms.arrayBytes(w.layers().get(l).linear(r).weight().data());
                if (quantizes(l, r)) {
                    bytes += executorAt(l, r).residentWeightBytes(l, r);
                }
            }
        }
        return bytes;
    }

    /**
     * Nothing to release: the work runs on lowbit's shared pool ({@link Parallel}), whose daemon threads outlive any
     * one model. Kept so that existing try-with-resources code goes on compiling.
     */
    @Override
    public void close() {}
}
