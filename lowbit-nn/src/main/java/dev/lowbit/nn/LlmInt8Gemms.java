package dev.lowbit.nn;

import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.concurrent.atomic.AtomicLong;

/**
 * LLM.int8() (Dettmers et al. 2022; {@link dev.lowbit.gemm.LlmInt8Quantizer} is the reference) on the six linear
 * layers, with int8 weights stored once:
 *
 * <pre>
 *   cw[n] = max_k |W[n,k]|,  Wq = rint(127·W/cw)                        stored (int8 + one float64 per row)
 *   per sequence block X of the batch:
 *     O     = { j : some |X[t,j]| ≥ 6 }                                  outlier feature columns
 *     cx[t] = max_{j∉O} |X[t,j]|,  Xq = rint(127·X/cx) with columns O zeroed
 *     Y     = (Xq·Wqᵀ)∘(cx⊗cw)/127²  +  X[:,O]·(Wq[:,O]∘cw/127)ᵀ
 * </pre>
 * The int8 product is an exact integer GEMM on the backend ({@link Gemm#lowBit} with b = 8: every code lies in
 * [−127, 127]); the outlier part is a float32 GEMM on the dequantized int8 weight columns, as in bitsandbytes'
 * inference path (the reference uses the float weight there, the only difference). Outlier columns are chosen
 * per sequence, so a sentence's embedding does not depend on its batch-mates. Attention GEMMs stay FP32.
 */
public final class LlmInt8Gemms implements PrecisionGemms {
    /** The outlier threshold of the paper. */
    public static final double THRESHOLD = dev.lowbit.policy.OperandSpec.LlmInt8.THRESHOLD;
    private final GemmBackend backend;
    private final SiteStatsTable stats;
    private final boolean verifyExact;
    private final AtomicLong verified;
    /** The weights' int8 codes (the storage oneDNN's and simd's byte kernels read). */
    private final ByteMatrix[][] codes;
    private final double[][][] scales;

    LlmInt8Gemms(BertWeights w, Precision p, GemmBackend backend, SiteStatsTable stats, boolean verifyExact, AtomicLong verified) {
        this.backend = backend;
        this.stats = stats;
        this.verifyExact = verifyExact;
        this.verified = verified;
        int layers = w.config().layers();
        codes = new ByteMatrix[layers][GemmRole.LINEAR.size()];
        scales = new double[layers][GemmRole.LINEAR.size()][];
        for (int l = 0; l < layers; l++) {
            for (GemmRole r : GemmRole.LINEAR) {
                if (p.quantizes(r)) {
                    FloatMatrix wt = w.layers().get(l).linear(r).weight();
                    IntMatrix q = IntMatrix.zeros(wt.rows(), wt.cols());
                    scales[l][r.ordinal()] = rowAbsMax(wt, null, q);
                    codes[l][r.ordinal()] = ByteMatrix.narrow(q.data(), q.rows(), q.cols()); // |code| ≤ 127 by construction
                }
            }
        }
    }

    /**
     * Per-row absmax int8 codes of {@code x} with the flagged columns ({@code zeroed}, nullable) set to 0: writes
     * {@code rint(127·x/c)} into {@code out} and returns the row maxima c (0 for an all-zero row, codes 0).
     */
    public static double[] rowAbsMax(FloatMatrix x, boolean[] zeroed, IntMatrix out) {
        double[] c = new double[x.rows()];
        for (int r = 0; r < x.rows(); r++) {
            double max = 0;
            for (int j = 0; j < x.cols(); j++) {
                if (zeroed == null || !zeroed[j]) {
                    max = Math.max(max, Math.abs(x.get(r, j)));
                }
            }
            c[r] = max;
            for (int j = 0; j < x.cols(); j++) {
                out.set(r, j, (zeroed != null && zeroed[j]) || max == 0 ? 0 : (int) Math.rint(127 * x.get(r, j) / max));
            }
        }
        return c;
    }

    /** The columns of {@code x} holding some |value| ≥ threshold, flagged. */
    public static boolean[] outlierColumns(FloatMatrix x, double threshold) {
        boolean[] o = new boolean[x.cols()];
        for (int r = 0; r < x.rows(); r++) {
            for (int j = 0; j < x.cols(); j++) {
                if (Math.abs(x.get(r, j)) >= threshold) {
                    o[j] = true;
                }
            }
        }
        return o;
    }

    @Override
    public float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks) {
        ByteMatrix wq = codes[layer][role.ordinal()];
        double[] cw = scales[layer][role.ordinal()];
        int m = x.rows();
        int n = wq.rows();
        int k = x.cols();
        float[] out = new float[m * n];
        for (int blk = 0; blk + 1 < blocks.length; blk++) {
            int r0 = blocks[blk];
            int rows = blocks[blk + 1] - r0;
            if (rows > 0) {
                block(layer, role, x.view(r0, 0, rows, k), wq, cw, out, r0 * n);
            }
        }
        return out;
    }

    private void block(int layer, GemmRole role, FloatMatrix x, ByteMatrix wq, double[] cw, float[] out, int outOffset) {
        int m = x.rows();
        int n = wq.rows();
        int k = x.cols();
        boolean[] outlier = outlierColumns(x, THRESHOLD);
        IntMatrix xq = IntMatrix.zeros(m, k);
        double[] cx = rowAbsMax(x, outlier, xq);
        LongMatrix acc = LongMatrix.zeros(m, n);
        Gemm.lowBit(xq, wq, 8, acc, backend);
        if (verifyExact) {
            LongMatrix ref = LongMatrix.zeros(m, n);
            ScalarGemm.gemmInt(xq, wq.toIntMatrix(), ref);
            if (!acc.contentEquals(ref)) {
                throw new IllegalStateException("layer " + layer + " " + role.label() + ": int8 GEMM differs from the int64 reference");
            }
            verified.incrementAndGet();
        }
        int no = 0;
        for (boolean b : outlier) {
            no += b ? 1 : 0;
        }
        float[] extra = null;
        if (no > 0) {
            float[] xo = new float[m * no];
            float[] wo = new float[n * no];
            for (int j = 0, c = 0; j < k; j++) {
                if (!outlier[j]) {
                    continue;
                }
                for (int r = 0; r < m; r++) {
                    xo[r * no + c] = x.get(r, j);
                }
                for (int r = 0; r < n; r++) {
                    wo[r * no + c] = (float) (wq.get(r, j) * cw[r] / 127.0);
                }
                c++;
            }
            extra = new float[m * n];
            Gemm.f32(FloatMatrix.wrap(xo, m, no), FloatMatrix.wrap(wo, n, no), FloatMatrix.wrap(extra, m, n), backend);
        }
        long[] a = acc.data();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double v = a[i * n + j] * (cx[i] * cw[j] / (127.0 * 127.0));
                if (extra != null) {
                    v += extra[i * n + j];
                }
                out[outOffset + i * n + j] = (float) v;
            }
        }
        stats.add(layer, role, (double) m * n * k, (double) m * n * k, (long) m * no, (long) m * k, 0, (long) n * k);
    }

    @Override
    public float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b) {
        throw new IllegalStateException("llm-int8 keeps the attention GEMMs in FP32");
    }

    /** int8 codes plus one float64 scale per output channel. */
    @Override
    public long weightBytes(int layer, GemmRole role) {
        ByteMatrix q = codes[layer][role.ordinal()];
        return (long) q.rows() * q.cols() + 8L * q.rows();
    }

    /** The codes are held as int8 ({@link ByteMatrix}) plus one float64 scale per row. */
    @Override
    public long residentWeightBytes(int layer, GemmRole role) {
        return codes[layer][role.ordinal()].residentBytes() + PrecisionGemms.arrayBytes(scales[layer][role.ordinal()]);
    }

    @Override
    public FloatMatrix effectiveWeight(int layer, GemmRole role) {
        ByteMatrix q = codes[layer][role.ordinal()];
        double[] cw = scales[layer][role.ordinal()];
        FloatMatrix out = FloatMatrix.zeros(q.rows(), q.cols());
        for (int r = 0; r < q.rows(); r++) {
            for (int c = 0; c < q.cols(); c++) {
                out.set(r, c, (float) (q.get(r, c) * cw[r] / 127.0));
            }
        }
        return out;
    }

    /** The stored int8 weight codes (for tests). */
    public IntMatrix weightCodes(int layer, GemmRole role) {
        return codes[layer][role.ordinal()].toIntMatrix();
    }

    /** The stored per-channel maxima cw (for tests). */
    public double[] weightScales(int layer, GemmRole role) {
        return scales[layer][role.ordinal()].clone();
    }
}
