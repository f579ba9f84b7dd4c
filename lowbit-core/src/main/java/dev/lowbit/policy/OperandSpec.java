package dev.lowbit.policy;

import dev.lowbit.LowbitException;
import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.Formats;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.quant.BitSplitSampler;
import dev.lowbit.quant.DfpQuantizer;
import dev.lowbit.quant.FastSchedule;
import dev.lowbit.quant.HadamardQuantizer;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.Sqnr;
import dev.lowbit.round.Rng;
import dev.lowbit.round.Rounding;
import dev.lowbit.tensor.FloatMatrix;

/** How one GEMM operand is quantized. */
public sealed interface OperandSpec {
    /** Left in float32. */
    record Fp32() implements OperandSpec {}

    /** RTN percentile quantization (IM-Unpack's quantizer; heavy hitters kept unless clipping). */
    record Rtn(QuantParams params) implements OperandSpec {}

    /**
     * Symmetric INT4 on [−8, 7] with the LSQ step rule {@code s = 2·mean|x|/√7}, re-estimated per GEMM
     * (the INT4 paper learns s from this initialization; we keep the initialization rule dynamic).
     */
    record Lsq4() implements OperandSpec {}

    /**
     * The INT4 paper's LSQ quantizer with a <em>learned</em> step: symmetric INT4 on [−8, 7],
     * {@code q = clamp(rint(x/s), −8, 7)} (half-even rounding, as {@link Lsq4} and the paper's python
     * {@code fake_quantize}), dequantized {@code q·s}, with one trainable s per (layer, role, operand) held
     * by the executor's {@code QuantizerParams}, initialized on its first forward to
     * {@code 2·mean|x|/√7 + 1e-10} of what is quantized. Backward (through {@code GemmExecutor.Forward}):
     * straight-through inside the range, zero outside, and the LSQ step gradient. Forward roles only; their
     * backward roles must take the right operand as {@link Saved}.
     */
    record LsqLearned() implements OperandSpec {}

    /**
     * In a backward role: the forward GEMM's operand exactly as the forward quantized it (dequantized, in
     * the forward's Hadamard basis when it had one), reused instead of quantizing the float operand again.
     * The gradient then comes out in that basis and the executor maps it back through the forward operand's
     * quantizer (STE, or LSQ's masked gradient and step gradient) and the inverse transform.
     */
    record Saved() implements OperandSpec {}

    /**
     * The INT4 paper's gradient quantizer: bit splitting into two INT4 halves plus leverage-score
     * sampling of N of the 2N rows (unbiased). With {@code transposed} the samples are the columns
     * (the gradient arrives as dYᵀ in the grad-weight GEMM).
     */
    record BitSplitLss(boolean transposed) implements OperandSpec {}

    /**
     * FAST's block floating point: the {@link Formats#fastBfp} preset of {@link BlockFormat} (one unclamped shared
     * exponent per 16 values along k, a short last group allowed) with the schedule's mantissa bits for this step and
     * layer, rounded with FAST's stochastic rounding {@link Formats#fastRounding} (floor(t + u)).
     */
    record Bfp(FastSchedule schedule) implements OperandSpec {}

    /**
     * A number format from {@code dev.lowbit.format} (blocks along k, the GEMM's reduction axis). With
     * {@code tensorScale}, x is first scaled so that max|x| maps to the format's largest finite value
     * (per-tensor FP8 scaling). Block formats that need whole blocks (MX, NVFP4) get k padded with zeros
     * internally (zeros change neither the block scales nor the product); BFP takes a short last block as it is.
     * {@code stochastic} rounds with counter-based stochastic rounding instead of nearest-even.
     */
    record Format(NumberFormat format, boolean tensorScale, boolean stochastic) implements OperandSpec {}

    /**
     * LLM.int8() (Dettmers et al. 2022) on a linear layer: the input columns holding any |x| ≥ {@code threshold} (and
     * the matching weight columns) stay in float, the rest is int8 — absmax per token on the input, per output channel
     * on the weight — and runs as an exact integer GEMM. Both operands of the GEMM carry this spec (the outlier
     * columns of the input decide the weight's float columns). Inference only: {@code nn.LlmInt8Gemms} executes it.
     */
    record LlmInt8(double threshold) implements OperandSpec {
        /** The paper's outlier threshold. */
        public static final double THRESHOLD = 6.0;
    }

    /**
     * GPTQ (Frantar et al. 2023) weight quantization: {@code bits}-bit asymmetric codes in groups of {@code group} along
     * k, rounded column by column with the inverse-Hessian error feedback of calibration inputs. The right operand of a
     * linear layer only (weight-only quantization); inference only: {@code nn.GptqGemms} calibrates and executes it.
     */
    record Gptq(int bits, int group) implements OperandSpec {
        /** Group size of the {@code gptq-w4} preset. */
        public static final int GROUP = 128;
    }

    /**
     * LLM-FP4 (Liu et al. 2023) on a linear layer: {@code weightBits}-bit FP weights per output channel and
     * {@code activationBits}-bit FP inputs per tensor, each with its exponent/mantissa split and maximum value searched to
     * minimise the quantization error ({@link dev.lowbit.quant.FpFormatSearch}), the inputs with per-channel pre-shifted
     * exponent biases reparameterized into the weight. Both operands carry this spec; inference only (the activation
     * search needs calibration inputs): {@code nn.LlmFp4Gemms} calibrates and executes it. Without {@code preShift} every
     * channel shift is 0 (the paper's FP-PTQ baseline: searched formats and maxvals, one activation bias per tensor).
     */
    record LlmFp4(int weightBits, int activationBits, boolean preShift) implements OperandSpec {}

    /**
     * Adaptive bit switching ({@link dev.lowbit.quant.BitSwitch}): the weight (right operand of a linear layer) stored
     * once as {@code storedBits}-bit absmax codes per output channel, served at {@code bits} by taking the most
     * significant bits; {@code storedBits == bits} is plain per-channel absmax RTN at that width.
     */
    record BitSwitch(int bits, int storedBits) implements OperandSpec {}

    /**
     * Dynamic fixed point (Das et al., ICLR 2018; {@link DfpQuantizer}): {@code bits}-bit integer codes with one shared
     * exponent per tensor ({@code E = E_fmax − (bits − 2)}), rounded to nearest even. With {@link GemmSpec.Exec#DFP} on
     * both operands the GEMM runs on the codes (int16 × int16 → int32 in bounded chunks, {@code gemm.DfpGemm}).
     */
    record Dfp(int bits) implements OperandSpec {
        public Dfp {
            DfpQuantizer.checkBits(bits);
        }
    }

    OperandSpec FP32 = new Fp32();

    /** Where and when a GEMM runs: for messages and for counter-based randomness. */
    record Context(String what, long seed, long step, int layer, long call) {
        public long stream() {
            return Rng.mix(Rng.mix(seed, step), call);
        }
    }

    /** The operand as the GEMM sees it, in float32 (fake quantization: decode(encode(x))). */
    default FloatMatrix fakeQuantize(FloatMatrix x, Context ctx) {
        return switch (this) {
            case Fp32 f -> x;
            case Rtn r -> RtnQuantizer.quantize(x, r.params(), ctx.what()).dequantize();
            case Lsq4 l -> {
                double[] d = Sqnr.toDouble(x);
                HadamardQuantizer.lsqRoundInPlace(d, HadamardQuantizer.lsqInitStep(d));
                yield FloatMatrix.ofDoubles(d, x.rows(), x.cols());
            }
            case LsqLearned l -> throw new LowbitException(ctx.what() + ": a learned LSQ step is quantized by the executor (GemmExecutor.forward)");
            case LlmInt8 l -> throw new LowbitException(ctx.what() + ": llm-int8 decomposes a pretrained model's linear GEMMs (inference only)");
            case Gptq g -> throw new LowbitException(ctx.what() + ": gptq quantizes a pretrained model's weights with calibration data (inference only)");
            case LlmFp4 l -> throw new LowbitException(ctx.what() + ": llm-fp4 calibrates a pretrained model's activations (inference only)");
            case BitSwitch b -> {
                dev.lowbit.quant.BitSwitch.Codes stored = dev.lowbit.quant.BitSwitch.rtn(x.toArray(), x.rows(), x.cols(), b.storedBits());
                yield FloatMatrix.wrap(dev.lowbit.quant.BitSwitch.derive(stored, b.bits()).dequantize(), x.rows(), x.cols());
            }
            case Saved sv -> x;
            case BitSplitLss b -> {
                FloatMatrix g = b.transposed() ? x.transpose() : x;
                double[] d = Sqnr.toDouble(g);
                double[] split = BitSplitSampler.split(d, g.rows(), g.cols(), ctx.stream());
                FloatMatrix est = FloatMatrix.ofDoubles(BitSplitSampler.sample(split, g.rows(), g.cols(), null, ctx.stream() + 1), g.rows(), g.cols());
                yield b.transposed() ? est.transpose() : est;
            }
            case Dfp d -> DfpQuantizer.fakeQuantize(x, d.bits(), ctx.what());
            case Format f -> formatRound(f.format(), f.tensorScale(),
                    f.stochastic() ? new Rounding.Stochastic(ctx.stream()) : Rounding.NEAREST_EVEN, x);
            case Bfp b -> {
                int bits = b.schedule().mantissaBits(ctx.step(), Math.max(0, ctx.layer()));
                yield formatRound(Formats.fastBfp(bits, Formats.FAST_BLOCK), false, Formats.fastRounding(ctx.stream()), x);
            }
        };
    }

    default String label() {
        return switch (this) {
            case Fp32 f -> "fp32";
            case Rtn r -> r.params().label();
            case Lsq4 l -> "lsq-int4";
            case LsqLearned l -> "lsq-int4-learned";
            case Saved sv -> "forward-quantized";
            case BitSplitLss b -> "bitsplit-lss";
            case Bfp b -> "bfp-fast";
            case Dfp d -> "dfp" + d.bits() + " (shared exponent)";
            case LlmInt8 l -> "llm-int8 (outliers >= " + l.threshold() + " in float)";
            case Gptq g -> "gptq-w" + g.bits() + "/g" + g.group();
            case LlmFp4 l -> "llm-fp4 (w" + l.weightBits() + "a" + l.activationBits() + ", searched formats"
                    + (l.preShift() ? ", pre-shifted exponent bias)" : ", no pre-shift)");
            case BitSwitch b -> b.bits() == b.storedBits() ? "rtn-w" + b.bits() : "switch-w" + b.bits() + " (from " + b.storedBits() + "-bit codes)";
            case Format f -> f.format().name() + (f.tensorScale() ? "/tensor-scaled" : "") + (f.stochastic() ? "/sr" : "");
        };
    }

    private static FloatMatrix formatRound(NumberFormat format, boolean tensorScale, Rounding rounding, FloatMatrix x) {
        int rows = x.rows();
        int cols = x.cols();
        int block = format instanceof BlockFormat bf && bf.wholeBlocks() ? bf.blockSize() : 1;
        int padded = (cols + block - 1) / block * block;
        if (!tensorScale && padded == cols) { // nothing to pad or scale: round the operand as it is
            float[] in = x.isContiguous() && x.offset() == 0 && x.data().length == rows * cols ? x.data() : x.toArray();
            float[] out = new float[rows * cols];
            format.round(in, out, rows, cols, rounding, 1);
            return FloatMatrix.wrap(out, rows, cols);
        }
        float[] in = new float[rows * padded];
        double amax = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = x.get(r, c);
                in[r * padded + c] = v;
                amax = Math.max(amax, Math.abs(v));
            }
        }
        double scale = tensorScale && amax > 0 ? format.info().maxFinite() / amax : 1;
        if (scale != 1) {
            for (int i = 0; i < in.length; i++) {
                in[i] = (float) (in[i] * scale);
            }
        }
        float[] out = new float[in.length];
        format.round(in, out, rows, padded, rounding, 1);
        FloatMatrix res = FloatMatrix.zeros(rows, cols);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                res.set(r, c, (float) (out[r * padded + c] / scale));
            }
        }
        return res;
    }
}
