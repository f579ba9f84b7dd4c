package dev.lowbit.nn;

import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.GemmSpec;
import dev.lowbit.policy.OperandSpec;
import dev.lowbit.policy.PrecisionPolicy;
import dev.lowbit.policy.ScaleScope;
import dev.lowbit.quant.HadamardQuantizer;
import dev.lowbit.tensor.FloatMatrix;

/**
 * Any preset's FORWARD column on a pretrained model, simulated in float ({@link Precision.Mode#FAKE}): each GEMM
 * {@code a·bᵀ} multiplies {@code lhs.fakeQuantize(a)} by {@code rhs.fakeQuantize(b)} (after the spec's block Hadamard
 * transform along k, when it has one) on the backend's float32 GEMM — what {@code train.GemmExecutor} does with the
 * same specs, with one difference of scope: a per-tensor scale covers one sequence ({@link ScaleScope#SEQUENCE}), so a
 * sentence's embedding never depends on its batch-mates.
 *
 * <p>Weights are quantized once, here; their fake-quantized float32 copy is what this executor holds. Specs that need
 * training state are read as inference can: a learned LSQ step ({@link OperandSpec.LsqLearned}) becomes its
 * initialization rule recomputed per operand ({@link OperandSpec.Lsq4}); a FAST schedule ({@link OperandSpec.Bfp})
 * runs at its last step (its widest mantissa). Stochastic rounding draws from a counter stream fixed per (layer, GEMM),
 * so results are deterministic and the same for a sentence alone or in a batch.
 */
final class PolicyGemms implements PrecisionGemms {
    private final GemmBackend backend;
    private final GemmSpec linear;
    private final GemmSpec score;
    private final GemmSpec value;
    private final FloatMatrix[][] gemmWeights; // fake-quantized, in the Hadamard basis when the spec has one

    PolicyGemms(BertWeights w, Precision p, GemmBackend backend) {
        PrecisionPolicy policy = p.policy();
        this.backend = backend;
        this.linear = policy.spec(GemmSite.LINEAR, GemmPass.FORWARD);
        this.score = policy.spec(GemmSite.ATTN_SCORE, GemmPass.FORWARD);
        this.value = policy.spec(GemmSite.ATTN_VALUE, GemmPass.FORWARD);
        int layers = w.config().layers();
        gemmWeights = new FloatMatrix[layers][GemmRole.LINEAR.size()];
        for (int l = 0; l < layers; l++) {
            for (GemmRole r : GemmRole.LINEAR) {
                if (p.quantizes(r)) {
                    FloatMatrix wt = w.layers().get(l).linear(r).weight();
                    gemmWeights[l][r.ordinal()] = quantize(linear.rhs(), transform(linear, wt), l, r, Side.WEIGHT);
                }
            }
        }
    }

    /** The operand under the spec's Hadamard transform along k (the operand itself without one). */
    private static FloatMatrix transform(GemmSpec spec, FloatMatrix x) {
        return spec.hadamard() ? HadamardQuantizer.transformRows(x, HadamardQuantizer.blockFor(x.cols())) : x;
    }

    /** Which operand of a GEMM is quantized: its label in messages, and whether it is the right one (its random stream). */
    enum Side {
        INPUT("input", false), WEIGHT("weight", true), LEFT("left", false), RIGHT("right", true);

        final String label;
        final boolean right;

        Side(String label, boolean right) {
            this.label = label;
            this.right = right;
        }
    }

    /** {@code o.fakeQuantize(x)} with inference's reading of training-state specs (class comment). */
    static FloatMatrix quantize(OperandSpec o, FloatMatrix x, int layer, GemmRole role, Side side) {
        OperandSpec spec = o instanceof OperandSpec.LsqLearned ? new OperandSpec.Lsq4() : o;
        long stream = role.ordinal() * 2L + (side.right ? 1 : 0);
        return spec.fakeQuantize(x, new OperandSpec.Context("layer " + layer + " " + role.label() + " " + side.label, 0,
                Long.MAX_VALUE, layer, stream));
    }

    @Override
    public float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks) {
        int m = x.rows();
        int k = x.cols();
        float[] a = new float[m * k];
        for (int blk = 0; blk + 1 < blocks.length; blk++) {
            int r0 = blocks[blk];
            int r1 = blocks[blk + 1];
            if (r1 > r0) {
                FloatMatrix q = quantize(linear.lhs(), transform(linear, x.view(r0, 0, r1 - r0, k).copy()), layer, role, Side.INPUT);
                float[] d = q.toArray();
                System.arraycopy(d, 0, a, r0 * k, d.length);
            }
        }
        FloatMatrix wq = gemmWeights[layer][role.ordinal()];
        float[] out = new float[m * wq.rows()];
        if (m > 0) {
            Gemm.f32(FloatMatrix.wrap(a, m, k), wq, FloatMatrix.wrap(out, m, wq.rows()), backend);
        }
        return out;
    }

    @Override
    public float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b) {
        GemmSpec spec = role == GemmRole.QK ? score : value;
        FloatMatrix qa = quantize(spec.lhs(), transform(spec, a), layer, role, Side.LEFT);
        FloatMatrix qb = quantize(spec.rhs(), transform(spec, b), layer, role, Side.RIGHT);
        float[] out = new float[a.rows() * b.rows()];
        if (a.rows() > 0 && b.rows() > 0) {
            Gemm.f32(qa.isContiguous() ? qa : qa.copy(), qb.isContiguous() ? qb : qb.copy(), FloatMatrix.wrap(out, a.rows(), b.rows()), backend);
        }
        return out;
    }

    /** The float32 copy this executor multiplies: a simulation keeps no packed codes. */
    @Override
    public long weightBytes(int layer, GemmRole role) {
        return residentWeightBytes(layer, role);
    }

    @Override
    public long residentWeightBytes(int layer, GemmRole role) {
        FloatMatrix g = gemmWeights[layer][role.ordinal()];
        return g == null ? 0 : PrecisionGemms.arrayBytes(g.data());
    }

    /** The weight as the GEMM sees it (in the Hadamard basis when the spec has one). */
    @Override
    public FloatMatrix effectiveWeight(int layer, GemmRole role) {
        return gemmWeights[layer][role.ordinal()].copy();
    }
}
