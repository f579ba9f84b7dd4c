package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.format.Granularity;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.OsPlus;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.GemmSpec;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Outlier Suppression+ ({@link OsPlus}) on a BERT encoder: every linear input that is a LayerNorm output — the
 * Q/K/V input of each layer (the embedding LayerNorm, or the previous layer's output LayerNorm) and the FFN1 input
 * (the layer's attention LayerNorm) — is shifted and scaled per channel, {@code x̃ = (x − z)/s}. Both are folded:
 * <pre>
 *   LayerNorm:   γ' = γ / s,   β' = (β − z) / s              (so the LayerNorm outputs x̃ directly)
 *   linears:     W' = W · diag(s),   b' = b + W·z             (Q, K and V share one (z, s); FFN1 has its own)
 * </pre>
 * In post-LayerNorm BERT the LayerNorm output also feeds the residual connection, which must see x: {@link Bert}
 * restores it there, {@code x = x̃ ⊙ s + z} (one fma per element, in float32, like the bias adds). The model is
 * therefore unchanged in real arithmetic; in float32 its embeddings move by rounding only (tested: 1e-5 relative).
 *
 * <p>{@link #calibrate} computes (z, s) on the inputs each linear receives in the FP32 model on calibration text (the
 * same capture as GPTQ), choosing the outlier threshold t of each input by the quantized output error of the linears
 * it feeds under the precision's own quantizers (RTN: {@link RtnQuantizer} with the precision's weight and activation
 * settings; the other presets: their forward operand specs' fake quantization).
 */
public final class OsPlusFold {
    private final BertWeights weights;
    private final OsPlus.Transform[] qkv;
    private final OsPlus.Transform[] ffn1;

    private OsPlusFold(BertWeights weights, OsPlus.Transform[] qkv, OsPlus.Transform[] ffn1) {
        this.weights = weights;
        this.qkv = qkv;
        this.ffn1 = ffn1;
    }

    /** The folded weights (LayerNorms and linears rewritten as in the class comment). */
    public BertWeights weights() {
        return weights;
    }

    /** The transform of layer l's Q/K/V input, or null where none is applied. */
    public OsPlus.Transform qkv(int layer) {
        return qkv[layer];
    }

    /** The transform of layer l's FFN1 input, or null where none is applied. */
    public OsPlus.Transform ffn1(int layer) {
        return ffn1[layer];
    }

    /**
     * Folds given transforms into {@code w}: {@code qkv[l]} / {@code ffn1[l]} (each null or of width d) for the Q/K/V
     * and FFN1 inputs of layer l.
     */
    public static OsPlusFold fold(BertWeights w, OsPlus.Transform[] qkv, OsPlus.Transform[] ffn1) {
        int layers = w.config().layers();
        int d = w.config().hidden();
        if (qkv.length != layers || ffn1.length != layers) {
            throw new LowbitException("OS+: " + qkv.length + "/" + ffn1.length + " transforms for " + layers + " layers");
        }
        for (int l = 0; l < layers; l++) {
            for (OsPlus.Transform t : new OsPlus.Transform[] {qkv[l], ffn1[l]}) {
                if (t != null && t.width() != d) {
                    throw new LowbitException("OS+: layer " + l + " transform has width " + t.width() + ", the model " + d);
                }
            }
        }
        LayerNormWeights embNorm = qkv.length > 0 && qkv[0] != null ? foldNorm(w.embeddingNorm(), qkv[0]) : w.embeddingNorm();
        List<BertLayerWeights> out = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            BertLayerWeights lw = w.layers().get(l);
            OsPlus.Transform tq = qkv[l];
            OsPlus.Transform tf = ffn1[l];
            OsPlus.Transform next = l + 1 < layers ? qkv[l + 1] : null;
            out.add(new BertLayerWeights(foldLinear(lw.query(), tq), foldLinear(lw.key(), tq), foldLinear(lw.value(), tq),
                    lw.attentionOutput(), tf == null ? lw.attentionNorm() : foldNorm(lw.attentionNorm(), tf),
                    foldLinear(lw.intermediate(), tf), lw.output(), next == null ? lw.outputNorm() : foldNorm(lw.outputNorm(), next)));
        }
        return new OsPlusFold(new BertWeights(w.config(), w.wordEmbeddings(), w.positionEmbeddings(), w.tokenTypeEmbeddings(),
                embNorm, out), qkv.clone(), ffn1.clone());
    }

    private static LayerNormWeights foldNorm(LayerNormWeights n, OsPlus.Transform t) {
        float[] g = new float[n.gamma().length];
        float[] b = new float[g.length];
        for (int j = 0; j < g.length; j++) {
            g[j] = (float) ((double) n.gamma()[j] / t.scale()[j]);
            b[j] = (float) (((double) n.beta()[j] - t.shift()[j]) / t.scale()[j]);
        }
        return new LayerNormWeights(g, b, n.eps());
    }

    private static LinearWeights foldLinear(LinearWeights lw, OsPlus.Transform t) {
        if (t == null) {
            return lw;
        }
        return new LinearWeights(OsPlus.foldWeight(lw.weight(), t.scale()), OsPlus.foldBias(lw.weight(), lw.bias(), t.shift()));
    }

    /**
     * Calibrates and folds: captures every linear's input in the FP32 model on {@code calibration} (token ids with
     * [CLS] … [SEP]), then searches (z, s) of each Q/K/V and FFN1 input with {@code candidates} thresholds under
     * {@code p}'s quantizers. A site whose linears {@code p} leaves in FP32 gets no transform.
     */
    public static OsPlusFold calibrate(BertWeights w, Precision p, GemmBackend backend, List<int[]> calibration, int threads,
                                       int candidates) {
        checkSupported(p);
        if (calibration == null || calibration.isEmpty()) {
            throw new LowbitException("OS+ needs calibration text (token ids of the built-in sentences)");
        }
        FloatMatrix[][] inputs = GptqGemms.capture(w, backend, calibration, threads);
        int[] blocks = new int[calibration.size() + 1];
        for (int i = 0; i < calibration.size(); i++) {
            blocks[i + 1] = blocks[i] + calibration.get(i).length;
        }
        UnaryOperator<FloatMatrix> qIn = inputQuantizer(p, blocks);
        UnaryOperator<FloatMatrix> qW = weightQuantizer(p);
        int layers = w.config().layers();
        OsPlus.Transform[] qkv = new OsPlus.Transform[layers];
        OsPlus.Transform[] ffn1 = new OsPlus.Transform[layers];
        // 2 sites per layer, searched independently (in parallel on `threads`; each result is the same on any count)
        Parallel.forEach(Math.max(1, threads), 2 * layers, job -> {
            int l = job / 2;
            BertLayerWeights lw = w.layers().get(l);
            if (job % 2 == 0) {
                List<FloatMatrix> ws = new ArrayList<>();
                for (GemmRole r : List.of(GemmRole.Q, GemmRole.K, GemmRole.V)) {
                    if (p.quantizes(r)) {
                        ws.add(lw.linear(r).weight());
                    }
                }
                if (!ws.isEmpty()) {
                    qkv[l] = OsPlus.search(inputs[l][GemmRole.Q.ordinal()], ws, qIn, qW, candidates, backend);
                }
            } else if (p.quantizes(GemmRole.FFN1)) {
                ffn1[l] = OsPlus.search(inputs[l][GemmRole.FFN1.ordinal()], List.of(lw.intermediate().weight()), qIn, qW,
                        candidates, backend);
            }
        });
        return fold(w, qkv, ffn1);
    }

    /** Throws unless {@code p} quantizes linear inputs in a way the search can simulate. */
    public static void checkSupported(Precision p) {
        boolean ok = switch (p.mode()) {
            case IMUNPACK, INT8 -> true;
            case FP8, MXFP8, MXFP4, NVFP4, FAKE -> p.policy() != null && !p.policy().spec(GemmSite.LINEAR, GemmPass.FORWARD).hadamard();
            case FP32, LLM_INT8, GPTQ_W4, LLM_FP4, SWITCH -> false; // calibrated or weight-only executors
        };
        if (!ok) {
            throw new LowbitException("--os-plus needs a precision that quantizes the linear inputs without a Hadamard "
                    + "transform (int8, imunpack, imunpack:L, rtn-15, fp8, mxfp4 ...), not " + p.label());
        }
    }

    /** The search's fake quantization of a linear input (rows = calibration tokens, sequences at {@code blocks}). */
    static UnaryOperator<FloatMatrix> inputQuantizer(Precision p, int[] blocks) {
        if (p.rtn()) {
            int[] cells = p.scope().perRow(GemmRole.Q) ? null : blocks;
            return x -> rtnRows(x, p.activations(), cells, "OS+ calibration input");
        }
        GemmSpec spec = p.policy().spec(GemmSite.LINEAR, GemmPass.FORWARD);
        return x -> perBlock(x, blocks, b -> PolicyGemms.quantize(spec.lhs(), b, 0, GemmRole.Q, PolicyGemms.Side.INPUT));
    }

    /** The search's fake quantization of a (folded) weight. */
    static UnaryOperator<FloatMatrix> weightQuantizer(Precision p) {
        if (p.rtn()) {
            Granularity.Kind g = p.weights().granularity().kind();
            if (g == Granularity.Kind.ROW || g == Granularity.Kind.TENSOR) {
                return wt -> rtnRows(wt, p.weights(), g == Granularity.Kind.ROW ? null : new int[] {0, wt.rows()}, "OS+ folded weight");
            }
            return wt -> RtnQuantizer.quantize(wt, p.weights(), "OS+ folded weight").dequantize();
        }
        GemmSpec spec = p.policy().spec(GemmSite.LINEAR, GemmPass.FORWARD);
        return wt -> PolicyGemms.quantize(spec.rhs(), wt, 0, GemmRole.Q, PolicyGemms.Side.WEIGHT);
    }

    /**
     * RTN codes / scale as float32 with one scale per row ({@code cells} null) or per row block: the values of
     * {@code RtnQuantizer.quantize(...).dequantize()} through the int32 fast path the executor uses (the general path
     * when codes exceed it).
     */
    private static FloatMatrix rtnRows(FloatMatrix x, dev.lowbit.quant.QuantParams q, int[] cells, String what) {
        RtnQuantizer.RowIntCodes c = RtnQuantizer.quantizeIntRows(x, q, cells, Long.MAX_VALUE, what);
        if (c == null) {
            return cells == null ? RtnQuantizer.quantize(x, q.withGranularity(Granularity.ROW), what).dequantize()
                    : perBlock(x, cells, b -> RtnQuantizer.quantize(b, q.withGranularity(Granularity.TENSOR), what).dequantize());
        }
        int k = x.cols();
        float[] out = new float[x.rows() * k];
        int[] codes = c.codes();
        for (int r = 0; r < x.rows(); r++) {
            double s = c.scales()[r];
            for (int j = 0; j < k; j++) {
                out[r * k + j] = (float) (codes[r * k + j] / s);
            }
        }
        return FloatMatrix.wrap(out, x.rows(), k);
    }

    private static FloatMatrix perBlock(FloatMatrix x, int[] blocks, UnaryOperator<FloatMatrix> q) {
        int k = x.cols();
        float[] out = new float[x.rows() * k];
        for (int b = 0; b + 1 < blocks.length; b++) {
            int r0 = blocks[b];
            int r1 = blocks[b + 1];
            if (r1 > r0) {
                float[] d = q.apply(x.view(r0, 0, r1 - r0, k).copy()).toArray();
                System.arraycopy(d, 0, out, r0 * k, d.length);
            }
        }
        return FloatMatrix.wrap(out, x.rows(), k);
    }

    /** {@code out[r][j] = x̃[r][j]·s_j + z_j} for rows [r0, r1) of a row-major array of width d (the residual's x). */
    static void restore(OsPlus.Transform t, float[] x, float[] out, int r0, int r1) {
        float[] s = t.scale();
        float[] z = t.shift();
        int d = s.length;
        for (int r = r0; r < r1; r++) {
            int o = r * d;
            for (int j = 0; j < d; j++) {
                out[o + j] = Math.fma(x[o + j], s[j], z[j]);
            }
        }
    }
}
