package dev.lowbit.nn;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.tensor.FloatMatrix;
import java.util.List;

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
    default float[][] linears(int layer, List<GemmRole> roles, FloatMatrix x, int[] blocks) {
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

    /**
     * Bytes of the weight of a linear layer in its packed form (b-bit digits or format codes, scales and side data
     * included): what a packed store would hold. Not necessarily allocated — see {@link #residentWeightBytes}.
     */
    long weightBytes(int layer, GemmRole role);

    /**
     * Bytes this executor actually holds for the weight of a linear layer (the arrays it allocated: int32 codes, float
     * copies, scales …), measured from the arrays themselves; the model's own float32 weight is not included.
     */
    long residentWeightBytes(int layer, GemmRole role);

    /** Bytes of the payload of the given arrays (primitive arrays; null counts 0). */
    static long arrayBytes(Object... arrays) {
        long bytes = 0;
        for (Object a : arrays) {
            bytes += switch (a) {
                case null -> 0L;
                case byte[] v -> v.length;
                case short[] v -> 2L * v.length;
                case int[] v -> 4L * v.length;
                case float[] v -> 4L * v.length;
                case long[] v -> 8L * v.length;
                case double[] v -> 8L * v.length;
                default -> throw new IllegalArgumentException("not a primitive array: " + a.getClass().getName());
            };
        }
        return bytes;
    }

    /** The weight as the GEMM sees it (dequantized, out × in), to compare with a reference quantizer. */
    FloatMatrix effectiveWeight(int layer, GemmRole role);
}
