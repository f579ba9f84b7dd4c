package dev.lowbit.nn;

import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.Formats;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.round.Rounding;
import dev.lowbit.tensor.FloatMatrix;
import java.util.Arrays;

/**
 * The floating-point formats {@code fp8}, {@code mxfp8}, {@code mxfp4} and {@code nvfp4} on every GEMM
 * {@code a·bᵀ} (both operands quantized, products accumulated in float32 by the backend's FP32 GEMM).
 *
 * <ul>
 *   <li>{@code fp8}: E4M3 with one scale per tensor, {@code s = 448/amax}: {@code u = e4m3_sat(x·s)} (round to
 *       nearest even); the GEMM runs on the unscaled E4M3 values, whose products are exact in float32, and
 *       {@code out = (u_a·u_bᵀ)/(s_a·s_b)}, as FP8 tensor cores do. Weights: one scale per matrix.
 *   <li>{@code mxfp8} (E4M3) / {@code mxfp4} (E2M1): OCP MX, blocks of 32 consecutive values along k with an
 *       E8M0 (power-of-two) scale ({@link BlockFormat}, {@link Formats#MXFP8_E4M3}, {@link Formats#MXFP4});
 *       dequantized values X·P are exact in float32.
 *   <li>{@code nvfp4}: E2M1, blocks of 16 along k with an E4M3 scale, and an FP32 tensor scale ({@link Formats#NVFP4}).
 * </ul>
 * The attention operands are quantized along their own k: Q_h and K_h along the head dimension (32), P along
 * the keys and V_hᵀ along the tokens; an operand whose k is not a whole number of blocks (P and V_hᵀ; any k of a
 * small test model) is padded with zero columns to whole blocks (zeros change neither the block scales nor the
 * product). An activation "tensor" (FP8 scale, NVFP4 tensor scale) is one
 * sequence of the batch for linear inputs and one (sequence, head) operand in attention, so a sentence's
 * embedding does not depend on its batch-mates. Weights are encoded once ({@link BlockFormat#encode} /
 * {@link MiniFloat#encodeArray}); their packed size is {@link #weightBytes}; a decoded float32 copy feeds the GEMM.
 */
final class FormatGemms implements PrecisionGemms {
    private static final MiniFloat E4M3 = Formats.E4M3;
    private final Precision.Mode mode;
    private final int threads;
    private final BlockFormat block;
    private final GemmBackend backend;
    private final FloatMatrix[][] gemmWeights; // what the GEMM multiplies: unscaled E4M3 (fp8) or dequantized values
    private final double[][] weightScale; // fp8: s_w; 1 otherwise
    private final long[][] bytes;
    private final int[][] inputs; // unpadded k of each weight

    FormatGemms(BertWeights w, Precision p, GemmBackend backend) {
        this(w, p, backend, 1);
    }

    /** @param threads threads for rounding the linear inputs to a block format (attention runs per head already in parallel) */
    FormatGemms(BertWeights w, Precision p, GemmBackend backend, int threads) {
        this.threads = threads;
        this.mode = p.mode();
        this.backend = backend;
        this.block = switch (mode) {
            case MXFP8 -> Formats.MXFP8_E4M3;
            case MXFP4 -> Formats.MXFP4;
            case NVFP4 -> Formats.NVFP4;
            default -> null;
        };
        int layers = w.config().layers();
        gemmWeights = new FloatMatrix[layers][GemmRole.LINEAR.size()];
        weightScale = new double[layers][GemmRole.LINEAR.size()];
        bytes = new long[layers][GemmRole.LINEAR.size()];
        inputs = new int[layers][GemmRole.LINEAR.size()];
        for (int l = 0; l < layers; l++) {
            for (GemmRole r : GemmRole.LINEAR) {
                if (!p.quantizes(r)) {
                    continue;
                }
                FloatMatrix wt = w.layers().get(l).linear(r).weight();
                int n = wt.rows();
                int k = paddedK(wt.cols());
                float[] x = padded(wt, k);
                inputs[l][r.ordinal()] = wt.cols();
                float[] values;
                if (block == null) {
                    double s = fp8Scale(x, 0, x.length);
                    byte[] codes = encodeFp8(x, s);
                    values = E4M3.decodeArray(codes, x.length);
                    weightScale[l][r.ordinal()] = s;
                    bytes[l][r.ordinal()] = codes.length + 4L; // codes + one float32 scale
                } else {
                    BlockFormat.Encoded e = block.encode(x, n, k, Rounding.NEAREST_EVEN);
                    values = block.decode(e);
                    weightScale[l][r.ordinal()] = 1;
                    bytes[l][r.ordinal()] = e.elements().length + e.scales().length + (mode == Precision.Mode.NVFP4 ? 4L : 0L);
                }
                gemmWeights[l][r.ordinal()] = FloatMatrix.wrap(values, n, k);
            }
        }
    }

    /** {@code 448/amax} over {@code x[from..to)} (1 when all are zero). */
    static double fp8Scale(float[] x, int from, int to) {
        float amax = 0;
        for (int i = from; i < to; i++) {
            amax = Math.max(amax, Math.abs(x[i]));
        }
        return amax == 0 ? 1.0 : E4M3.maxFinite() / amax;
    }

    private static byte[] encodeFp8(float[] x, double s) {
        float[] scaled = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            scaled[i] = (float) E4M3.round(x[i] * s, Rounding.NEAREST_EVEN, i, true);
        }
        return E4M3.encodeArray(scaled, Rounding.NEAREST_EVEN);
    }

    /** Rounds {@code x[from..to)} in place to E4M3 after scaling by s (saturating). */
    private static void fp8InPlace(float[] x, int from, int to, double s) {
        for (int i = from; i < to; i++) {
            x[i] = (float) E4M3.round(x[i] * s, Rounding.NEAREST_EVEN, i, true);
        }
    }

    /**
     * Quantizes the rows [r0, r1) of the compact rows × cols array {@code x} in place as one activation tensor;
     * returns the FP8 scale (1 for the block formats).
     */
    private double quantizeTensor(float[] x, int r0, int r1, int cols, int threads) {
        int from = r0 * cols;
        int to = r1 * cols;
        if (block == null) {
            double s = fp8Scale(x, from, to);
            fp8InPlace(x, from, to, s);
            return s;
        }
        float[] part = from == 0 && to == x.length ? x : Arrays.copyOfRange(x, from, to);
        float[] out = new float[part.length];
        block.round(part, out, r1 - r0, cols, Rounding.NEAREST_EVEN, threads);
        System.arraycopy(out, 0, x, from, out.length);
        return 1.0;
    }

    /** k rounded up to whole blocks (block formats); k itself for FP8. */
    private int paddedK(int k) {
        return block == null ? k : (k + block.blockSize() - 1) / block.blockSize() * block.blockSize();
    }

    @Override
    public float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks) {
        int m = x.rows();
        int k = paddedK(x.cols());
        float[] a = padded(x, k);
        double[] rowScale = new double[m];
        for (int blk = 0; blk + 1 < blocks.length; blk++) {
            int r0 = blocks[blk];
            int r1 = blocks[blk + 1];
            if (r1 > r0) {
                Arrays.fill(rowScale, r0, r1, quantizeTensor(a, r0, r1, k, threads));
            }
        }
        FloatMatrix wq = gemmWeights[layer][role.ordinal()];
        int n = wq.rows();
        float[] out = new float[m * n];
        if (m == 0) {
            return out;
        }
        Gemm.f32(FloatMatrix.wrap(a, m, k), wq, FloatMatrix.wrap(out, m, n), backend);
        if (block == null) {
            double sw = weightScale[layer][role.ordinal()];
            for (int i = 0; i < m; i++) {
                double inv = 1.0 / (rowScale[i] * sw);
                for (int j = 0; j < n; j++) {
                    out[i * n + j] = (float) (out[i * n + j] * inv);
                }
            }
        }
        return out;
    }

    @Override
    public float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b) {
        int kp = paddedK(a.cols());
        float[] qa = padded(a, kp);
        float[] qb = padded(b, kp);
        double sa = quantizeTensor(qa, 0, a.rows(), kp, 1);
        double sb = quantizeTensor(qb, 0, b.rows(), kp, 1);
        int m = a.rows();
        int n = b.rows();
        float[] out = new float[m * n];
        if (m == 0 || n == 0) {
            return out;
        }
        Gemm.f32(FloatMatrix.wrap(qa, m, kp), FloatMatrix.wrap(qb, n, kp), FloatMatrix.wrap(out, m, n), backend);
        if (block == null) {
            double inv = 1.0 / (sa * sb);
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (out[i] * inv);
            }
        }
        return out;
    }

    /** A compact copy of x with its columns zero-padded to {@code cols}. */
    private static float[] padded(FloatMatrix x, int cols) {
        float[] out = new float[x.rows() * cols];
        float[] d = x.data();
        for (int r = 0; r < x.rows(); r++) {
            System.arraycopy(d, x.index(r, 0), out, r * cols, x.cols());
        }
        return out;
    }

    /** The decoded float32 weight the GEMM multiplies (columns padded to whole blocks); the packed codes are not kept. */
    @Override
    public long residentWeightBytes(int layer, GemmRole role) {
        return PrecisionGemms.arrayBytes(gemmWeights[layer][role.ordinal()].data());
    }

    @Override
    public long weightBytes(int layer, GemmRole role) {
        return bytes[layer][role.ordinal()];
    }

    /** The weight as the GEMM sees it, without the padding columns. */
    @Override
    public FloatMatrix effectiveWeight(int layer, GemmRole role) {
        FloatMatrix g = gemmWeights[layer][role.ordinal()];
        if (block != null) {
            return g.view(0, 0, g.rows(), inputs[layer][role.ordinal()]).copy();
        }
        float[] v = g.toArray();
        double inv = 1.0 / weightScale[layer][role.ordinal()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] * inv);
        }
        return FloatMatrix.wrap(v, g.rows(), g.cols());
    }

    /** The FP8 weight scale s_w (for tests; 1 for the block formats). */
    double weightScale(int layer, GemmRole role) {
        return weightScale[layer][role.ordinal()];
    }
}
