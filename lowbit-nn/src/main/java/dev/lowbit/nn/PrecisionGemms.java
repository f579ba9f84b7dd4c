package dev.lowbit.nn;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.tensor.FloatMatrix;

/**
 * Executes the low-bit GEMMs of one {@link Precision} for {@link Bert}: the weights are quantized once, at
 * construction, and kept in their quantized form; activations are quantized per call.
 *
 * <p>Both entry points compute an NT product {@code a·bᵀ} whose contraction axis k is the columns of both
 * operands. Row blocks ({@code blocks}: row offsets of the sequences of the batch, then the end) let an
 * executor keep every scale inside one sequence, so a sentence's result never depends on its batch-mates.
 */
public interface PrecisionGemms {
    /** {@code x·Wᵀ} (no bias) for the linear layer {@code role} of layer {@code layer}; x is rows × in. */
    float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks);

    /**
     * The linear layers {@code roles} of layer {@code layer} on the same input (Q, K and V): equal to calling
     * {@link #linear} for each role, which the default does; an executor may quantize x once for all of them.
     */
    default float[][] linears(int layer, java.util.List<GemmRole> roles, FloatMatrix x, int[] blocks) {
        float[][] out = new float[roles.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = linear(layer, roles.get(i), x, blocks);
        }
        return out;
    }

    /**
     * {@code a·bᵀ} of two activations of one sequence and head: QK with a = Q_h (len × d_h), b = K_h; PV with
     * a = P (len × len), b = V_hᵀ (d_h × len).
     */
    float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b);

    /** Bytes of the stored (quantized) weight of a linear layer, scales and side data included. */
    long weightBytes(int layer, GemmRole role);

    /** The weight as the GEMM sees it (dequantized, out × in), to compare with a reference quantizer. */
    FloatMatrix effectiveWeight(int layer, GemmRole role);
}
