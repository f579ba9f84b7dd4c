package dev.lowbit.nn;

import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.OperandSpec;
import dev.lowbit.quant.BitSwitch;
import dev.lowbit.tensor.FloatMatrix;

/**
 * {@code switch:B} and its baseline {@code rtn-w:B} ({@link OperandSpec.BitSwitch}): weight-only quantization of the six
 * linears (W<i>B</i>A32: activations and attention stay float32).
 *
 * <ul>
 *   <li>{@code switch:B}: the model is stored once as 8-bit absmax codes per output channel plus a float32 step per
 *       channel ({@link #storedBytes}); the B-bit weight is derived from those codes alone at construction (serve
 *       time) by {@link BitSwitch#derive} — the most significant bits with round half to even, step ·2^(8−B).
 *   <li>{@code rtn-w:B}: the float32 weights quantized directly to B-bit absmax codes per output channel
 *       ({@link BitSwitch#rtn}), a separately stored model per width.
 * </ul>
 * The GEMM multiplies the float32 input by the dequantized B-bit weight on the backend's float32 GEMM.
 */
final class SwitchGemms implements PrecisionGemms {
    private final GemmBackend backend;
    private final OperandSpec.BitSwitch spec;
    private final FloatMatrix[][] dequantized;
    private final BitSwitch.Codes[][] served;
    private final long[][] storedBytes;

    SwitchGemms(BertWeights w, Precision p, GemmBackend backend) {
        this.backend = backend;
        this.spec = (OperandSpec.BitSwitch) p.policy().spec(GemmSite.LINEAR, GemmPass.FORWARD).rhs();
        int layers = w.config().layers();
        dequantized = new FloatMatrix[layers][GemmRole.LINEAR.size()];
        served = new BitSwitch.Codes[layers][GemmRole.LINEAR.size()];
        storedBytes = new long[layers][GemmRole.LINEAR.size()];
        for (int l = 0; l < layers; l++) {
            for (GemmRole r : GemmRole.LINEAR) {
                if (!p.quantizes(r)) {
                    continue;
                }
                FloatMatrix wt = w.layers().get(l).linear(r).weight();
                BitSwitch.Codes stored = BitSwitch.rtn(wt.toArray(), wt.rows(), wt.cols(), spec.storedBits());
                BitSwitch.Codes codes = BitSwitch.derive(stored, spec.bits());
                served[l][r.ordinal()] = codes;
                storedBytes[l][r.ordinal()] = stored.packedBytes();
                dequantized[l][r.ordinal()] = FloatMatrix.wrap(codes.dequantize(), wt.rows(), wt.cols());
            }
        }
    }

    @Override
    public float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks) {
        FloatMatrix wq = dequantized[layer][role.ordinal()];
        float[] out = new float[x.rows() * wq.rows()];
        if (x.rows() > 0) {
            Gemm.f32(x, wq, FloatMatrix.wrap(out, x.rows(), wq.rows()), backend);
        }
        return out;
    }

    @Override
    public float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b) {
        throw new IllegalStateException(spec.bits() + "-bit weight switching keeps the attention GEMMs in FP32");
    }

    /** The stored model: 8-bit codes plus a float32 step per output channel (switch), or the B-bit codes (rtn-w). */
    @Override
    public long weightBytes(int layer, GemmRole role) {
        return storedBytes[layer][role.ordinal()];
    }

    /** B bits per weight plus a float32 step per output channel: what a B-bit kernel would read. */
    long servedBytes(int layer, GemmRole role) {
        return served[layer][role.ordinal()].packedBytes();
    }

    /** The dequantized float32 weight the GEMM multiplies and the int32 codes it came from. */
    @Override
    public long residentWeightBytes(int layer, GemmRole role) {
        BitSwitch.Codes c = served[layer][role.ordinal()];
        return PrecisionGemms.arrayBytes(dequantized[layer][role.ordinal()].data(), c.codes(), c.steps());
    }

    @Override
    public FloatMatrix effectiveWeight(int layer, GemmRole role) {
        return dequantized[layer][role.ordinal()];
    }

    /** The served B-bit codes (for tests). */
    BitSwitch.Codes codes(int layer, GemmRole role) {
        return served[layer][role.ordinal()];
    }
}
