package dev.lowbit.policy;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Formats;
import dev.lowbit.format.Granularity;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.policy.GemmKey;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.GemmSpec;
import dev.lowbit.policy.PrecisionPolicy;
import dev.lowbit.policy.OperandSpec;
import dev.lowbit.quant.FastSchedule;
import dev.lowbit.quant.QuantParams;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The named precision presets: one {@link PrecisionPolicy} per name, shared by {@code ./lowbit train --policy NAME}
 * (every column: forward and gradient passes) and {@code ./lowbit embed --precision NAME} (the FORWARD column, see
 * {@code nn.Precision}), so a name means the same quantization in both. Two presets are inference-only
 * ({@code llm-int8}, {@code gptq-w4}: their operand specs need a pretrained model — outlier columns of real activations,
 * GPTQ's calibration Hessians); training rejects them with a one-line error. Gradient passes quantize the gradient (left operand) with their own settings
 * and the saved forward operand (right) with the forward settings, as in the IM-Unpack training code.
 *
 * <p>Training tensors can be mostly zero (the gradient below a CLS-token readout reaches one row in
 * fifty), so the percentile is taken over non-zero magnitudes when it would otherwise fall on zeros, as
 * in the reference code's ViT training variant.
 *
 * <p>Defaults follow IM-Unpack (Zeng, Sankaralingam, Singh, ICML 2024, arXiv 2403.07339) and docs/training.md: forward p95 / 15 levels keeps 4-bit-like
 * GEMMs lossless when heavy hitters are kept, but gradients need many more levels — p95 / 16383 reaches
 * FP32 parity, 15 levels diverges.
 */
public final class Presets {
    /** Forward RTN setting of the IM-Unpack recipes. */
    public static final QuantParams FWD = QuantParams.P95_N15.withNonZeroAlpha(true);
    /** Backward (gradient) RTN setting: 16383 levels, heavy hitters kept. */
    public static final QuantParams BWD = new QuantParams(0.95, 16383, Granularity.TENSOR, false, true);

    /** Absmax INT8 of the {@code int8} preset: beta 1, 254 levels (codes in [−127, 127]), percentile over non-zeros. */
    public static final QuantParams INT8 = QuantParams.of(1.0, 254).withNonZeroAlpha(true);

    /** Presets that only a pretrained model can run (their forward operand specs need real activations or calibration). */
    public static final Set<String> INFERENCE_ONLY = Set.of("llm-int8", "gptq-w4", "llm-fp4", "llm-fp4-w4a8", "switch", "rtn-w");

    /** Bits of the stored codes of {@code switch:B} (every width B is derived from them). */
    public static final int SWITCH_STORED_BITS = 8;

    private Presets() {}

    /** {@code spec} on the forward pass of the linear layers; every other GEMM (attention, all gradients) in float32. */
    private static PrecisionPolicy linearsOnly(String name, GemmSpec spec) {
        return new PrecisionPolicy(name, Map.of(GemmKey.of(GemmSite.LINEAR, GemmPass.FORWARD), spec));
    }

    /** Whether {@code name}'s family is a preset: a {@link #describe()} name, {@code NAME:L}, or {@code fp:eXmY}. */
    public static boolean known(String name) {
        int colon = name.indexOf(':');
        String base = colon < 0 ? name : name.substring(0, colon);
        return describe().containsKey(base) || describe().containsKey(name) || (colon >= 0 && base.equals("fp"));
    }

    /** Whether {@code name} (with or without {@code :L}) is an inference-only preset. */
    public static boolean inferenceOnly(String name) {
        int colon = name.indexOf(':');
        return INFERENCE_ONLY.contains(colon < 0 ? name : name.substring(0, colon));
    }

    private static OperandSpec fmt(NumberFormat f, boolean tensorScale, boolean stochastic) {
        return new OperandSpec.Format(f, tensorScale, stochastic);
    }

    /** Recipe names with a one-line description. */
    public static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("fp32", "every GEMM in float32");
        m.put("imunpack", "RTN p95/15 forward, p95/16383 gradients, heavy hitters kept; every GEMM executed exactly on the integer codes (b-bit IM-Unpack with --bits B; auto: the cheapest exact kernel per GEMM)");
        m.put("imunpack-sim", "the same quantization simulated in float (fake-quant), for speed comparisons");
        m.put("imunpack-fwd", "imunpack's forward GEMMs only; gradients in float32 against the quantized forward operands (ablation)");
        m.put("rtn-clip", "RTN p95/15 forward with heavy hitters clipped (the ablation), gradients as imunpack");
        m.put("int8", "absmax INT8 (beta 1, 254 levels: codes in [-127, 127]) forward and backward, executed as exact int GEMMs");
        m.put("rtn-15", "RTN p95/15 forward and backward, heavy hitters kept (gradients with too few levels)");
        m.put("int4-hq", "INT4 training paper: Hadamard + INT4 forward with learned LSQ steps, bit splitting + leverage-score sampling for gradients");
        m.put("int4-hq-linear", "int4-hq on the linear layers only, attention GEMMs in float32 (as the INT4 paper's code)");
        m.put("fp8", "E4M3 forward, E5M2 gradients, per-tensor scaling (amax to the format's max)");
        m.put("mxfp8", "OCP MXFP8: E4M3 forward, E5M2 gradients, blocks of 32 along each GEMM's reduction axis");
        m.put("mxfp4", "OCP MXFP4 (E2M1) forward, MXFP8 E5M2 gradients");
        m.put("nvfp4", "NVFP4 (E2M1, 16-blocks, E4M3 block scale, FP32 tensor scale) everywhere; gradients stochastically rounded, Hadamard on grad-weight GEMMs");
        m.put("bfp-fast", "FAST-style block floating point (16-blocks, stochastic rounding), mantissa 2 -> 4 -> 6 bits over training");
        m.put("dfp16", "INT16 dynamic fixed point (Das et al. 2018): one shared exponent per tensor, int16 codes, every GEMM forward and backward executed as int16 x int16 -> int32 in bounded chunks flushed to FP32");
        m.put(FP_EXAMPLE, "any minifloat fp:eXmY (e.g. fp:e2m1, fp:e3m0, fp:e1m2, fp:e4m3, fp:e5m2, fp:e3m4): per-tensor scale (amax to the format's max), nearest-even, every GEMM forward and backward (the FP-quantization scaling-law sweep)");
        m.put("llm-int8", "LLM.int8(): outlier columns (|x| >= 6) in float, the rest int8, on the linears (inference only)");
        m.put("gptq-w4", "GPTQ 4-bit weights (groups of 128) calibrated on built-in text, fp32 activations (inference only)");
        m.put("llm-fp4", "LLM-FP4 W4A4 on the linears: FP4 format (E1M2/E2M1/E3M0) and max value searched per tensor, weights per channel, inputs with pre-shifted per-channel exponent bias, calibrated on built-in text; llm-fp4:no-shift without the pre-shift (inference only)");
        m.put("llm-fp4-w4a8", "llm-fp4 with 8-bit FP inputs (E2M5/E3M4/E4M3/E5M2 searched) (inference only)");
        m.put("switch", "switch:B (B = 2..8, default 4): weights stored once as 8-bit absmax codes per channel, served at B bits from their most significant bits; fp32 activations (inference only)");
        m.put("rtn-w", "rtn-w:B (B = 2..8, default 4): weights quantized directly to B-bit absmax codes per channel (switch's baseline); fp32 activations (inference only)");
        return m;
    }

    /** The {@code fp:eXmY} family's entry in {@link #describe()}. */
    public static final String FP_EXAMPLE = "fp:e2m1";

    /** Presets whose forward RTN levels {@code NAME:L} may set (15 by default). */
    public static final Set<String> LEVELS_RECIPES = Set.of("imunpack", "imunpack-sim", "imunpack-fwd", "rtn-clip");

    /**
     * The forward RTN setting of {@code NAME:L} (e.g. {@code imunpack:31}: p95, heavy hitters kept, L levels, odd,
     * 3..65535), or {@link #FWD} for a plain name.
     */
    private static QuantParams forwardParams(String name, String base) {
        if (base.equals(name)) {
            return FWD;
        }
        if (!LEVELS_RECIPES.contains(base)) {
            throw new LowbitException("policy '" + name + "': only " + String.join(", ", new TreeSet<>(LEVELS_RECIPES))
                    + " take forward levels after ':'");
        }
        String levels = name.substring(base.length() + 1);
        int n;
        try {
            n = Integer.parseInt(levels);
        } catch (NumberFormatException e) {
            throw new LowbitException("policy '" + name + "': levels must be an odd integer 3..65535, got '" + levels + "'");
        }
        if (n < 3 || n > 65535 || n % 2 == 0) {
            throw new LowbitException("policy '" + name + "': levels must be an odd integer 3..65535, got " + n);
        }
        return FWD.withLevels(n);
    }

    /** The weight width B of {@code switch:B} / {@code rtn-w:B} (4 without {@code :B}), 2..8. */
    private static int widthOf(String name, int colon) {
        if (colon < 0) {
            return 4;
        }
        String w = name.substring(colon + 1);
        int b;
        try {
            b = Integer.parseInt(w);
        } catch (NumberFormatException e) {
            throw new LowbitException("policy '" + name + "': the weight width must be an integer 2.." + SWITCH_STORED_BITS + ", got '" + w + "'");
        }
        if (b < 2 || b > SWITCH_STORED_BITS) {
            throw new LowbitException("policy '" + name + "': the weight width must be an integer 2.." + SWITCH_STORED_BITS + ", got " + b);
        }
        return b;
    }

    /**
     * {@code fp:eXmY}: every GEMM, forward and gradient passes, with both operands in the minifloat {@code eXmY} (any
     * {@code ./lowbit formats} minifloat name, suffixes included) after a per-tensor scale that maps max|x| to the
     * format's largest finite value, rounded to nearest even.
     */
    private static PrecisionPolicy minifloat(String name, String format) {
        NumberFormat f;
        try {
            f = Formats.parse(format);
        } catch (LowbitException e) {
            throw new LowbitException("policy '" + name + "': " + e.getMessage());
        }
        if (!(f instanceof dev.lowbit.format.MiniFloat)) {
            throw new LowbitException("policy '" + name + "': fp: takes a minifloat eXmY (e.g. fp:e2m1), got " + f.name());
        }
        OperandSpec o = fmt(f, true, false);
        return PrecisionPolicy.uniform(name, GemmSpec.fake(o, o), GemmSpec.fake(o, o));
    }

    /** The policy for a recipe name; {@code bits} is the IM-Unpack bit-width. */
    public static PrecisionPolicy byName(String name, int bits) {
        return byName(name, bits, 1, 1);
    }

    /** As {@link #byName(String, int)}; {@code steps} and {@code layers} shape schedule-based recipes (bfp-fast). */
    public static PrecisionPolicy byName(String name, int bits, long steps, int layers) {
        int colon = name.indexOf(':');
        String base = colon < 0 ? name : name.substring(0, colon);
        if (base.equals("switch") || base.equals("rtn-w")) {
            int b = widthOf(name, colon);
            return linearsOnly(name, GemmSpec.fake(OperandSpec.FP32,
                    new OperandSpec.BitSwitch(b, base.equals("switch") ? SWITCH_STORED_BITS : b)));
        }
        if (base.equals("llm-fp4") || base.equals("llm-fp4-w4a8")) {
            if (colon >= 0 && !name.substring(colon + 1).equals("no-shift")) {
                throw new LowbitException("policy '" + name + "': " + base + " takes only ':no-shift' (the ablation without "
                        + "pre-shifted exponent biases)");
            }
            OperandSpec fp4 = new OperandSpec.LlmFp4(4, base.equals("llm-fp4") ? 4 : 8, colon < 0);
            return linearsOnly(name, GemmSpec.fake(fp4, fp4));
        }
        if (base.equals("fp") && colon >= 0) {
            return minifloat(name, name.substring(colon + 1));
        }
        QuantParams fwdParams = forwardParams(name, base);
        OperandSpec fwd = new OperandSpec.Rtn(fwdParams);
        OperandSpec bwd = new OperandSpec.Rtn(BWD);
        return switch (base) {
            case "fp32" -> PrecisionPolicy.uniform(name, GemmSpec.FP32, GemmSpec.FP32);
            case "imunpack" -> PrecisionPolicy.uniform(name,
                    GemmSpec.imunpack(fwd, fwd, bits), GemmSpec.imunpack(bwd, fwd, bits));
            case "imunpack-sim" -> PrecisionPolicy.uniform(name, GemmSpec.fake(fwd, fwd), GemmSpec.fake(bwd, fwd));
            // the ablation of measurements.md's second row: forward as imunpack, gradients in float32 against the
            // forward's quantized partner operand (straight-through), as fake quantization with FP32 backward does
            case "imunpack-fwd" -> PrecisionPolicy.uniform(name, GemmSpec.imunpack(fwd, fwd, bits), GemmSpec.fake(OperandSpec.FP32, fwd));
            case "rtn-clip" -> {
                OperandSpec clip = new OperandSpec.Rtn(fwdParams.withClip(true));
                yield PrecisionPolicy.uniform(name, GemmSpec.fake(clip, clip), GemmSpec.fake(bwd, clip));
            }
            case "int8" -> {
                // beta 1 and 254 levels: s = 127/max|x|, every code in [-127, 127] (255 levels would round the maximum to
                // ±128, not an int8); executed exactly on the integer codes (b = 8: nothing to unpack)
                OperandSpec i8 = new OperandSpec.Rtn(INT8);
                yield PrecisionPolicy.uniform(name, GemmSpec.imunpack(i8, i8, bits), GemmSpec.imunpack(i8, i8, bits));
            }
            case "rtn-15" -> PrecisionPolicy.uniform(name, GemmSpec.fake(fwd, fwd), GemmSpec.fake(fwd, fwd));
            case "int4-hq" -> {
                // forward: Hadamard, then INT4 with a learned LSQ step per (layer, role, operand); backward: the
                // gradient bit-split + leverage-score sampled against the forward's saved INT4 operand.
                // P·V reduces over sequence positions: a Hadamard there would mix later positions into the
                // quantization error of earlier ones and break the causal mask (a GPT learns to read the
                // future through it), so P·V is quantized without the transform.
                OperandSpec lsq = new OperandSpec.LsqLearned();
                // (the gradient arrives transposed, as dYᵀ, only in the linear layers' grad-weight GEMM)
                Map<GemmKey, GemmSpec> m = new HashMap<>();
                for (GemmKey r : GemmKey.ALL) {
                    GemmSpec f = GemmSpec.fake(lsq, lsq);
                    boolean gradWeight = r.site() == GemmSite.LINEAR && r.pass() == GemmPass.GRAD_WEIGHT;
                    m.put(r, r.isBackward()
                            ? GemmSpec.fake(new OperandSpec.BitSplitLss(gradWeight), new OperandSpec.Saved())
                            : r.site() == GemmSite.ATTN_VALUE ? f : f.withHadamard());
                }
                yield new PrecisionPolicy(name, m);
            }
            case "int4-hq-linear" -> {
                // int4-hq on the linear layers only; QKᵀ and P·V (and their gradients) in float32, as in the
                // INT4 paper's code (its BERT quantizes nn.Linear layers; the attention matmuls stay torch.matmul)
                Map<GemmKey, GemmSpec> m = new HashMap<>(byName("int4-hq", bits, steps, layers).specs());
                for (GemmKey r : GemmKey.ALL) {
                    if (r.site() != GemmSite.LINEAR) {
                        m.put(r, GemmSpec.FP32);
                    }
                }
                yield new PrecisionPolicy(name, m);
            }
            case "fp8" -> PrecisionPolicy.uniform(name, GemmSpec.fake(fmt(Formats.E4M3, true, false), fmt(Formats.E4M3, true, false)),
                    GemmSpec.fake(fmt(Formats.E5M2, true, false), fmt(Formats.E4M3, true, false)));
            case "mxfp8" -> PrecisionPolicy.uniform(name, GemmSpec.fake(fmt(Formats.MXFP8_E4M3, false, false), fmt(Formats.MXFP8_E4M3, false, false)),
                    GemmSpec.fake(fmt(Formats.MXFP8_E5M2, false, false), fmt(Formats.MXFP8_E4M3, false, false)));
            case "mxfp4" -> PrecisionPolicy.uniform(name, GemmSpec.fake(fmt(Formats.MXFP4, false, false), fmt(Formats.MXFP4, false, false)),
                    GemmSpec.fake(fmt(Formats.MXFP8_E5M2, false, false), fmt(Formats.MXFP8_E5M2, false, false)));
            case "nvfp4" -> {
                OperandSpec nv = fmt(Formats.NVFP4, false, false);
                OperandSpec nvSr = fmt(Formats.NVFP4, false, true);
                Map<GemmKey, GemmSpec> m = new HashMap<>();
                for (GemmKey r : GemmKey.ALL) {
                    GemmSpec s = r.isBackward() ? GemmSpec.fake(nvSr, nv) : GemmSpec.fake(nv, nv);
                    m.put(r, r.site() == GemmSite.LINEAR && r.pass() == GemmPass.GRAD_WEIGHT ? s.withHadamard() : s);
                }
                yield new PrecisionPolicy(name, m);
            }
            case "bfp-fast" -> {
                OperandSpec bfp = new OperandSpec.Bfp(new FastSchedule(2, 6, 2, Math.max(1, steps), Math.max(1, layers), 1));
                yield PrecisionPolicy.uniform(name, GemmSpec.fake(bfp, bfp), GemmSpec.fake(bfp, bfp));
            }
            case "dfp16" -> PrecisionPolicy.uniform(name, GemmSpec.dfp(16), GemmSpec.dfp(16));
            case "llm-int8" -> linearsOnly(name, GemmSpec.fake(new OperandSpec.LlmInt8(OperandSpec.LlmInt8.THRESHOLD),
                    new OperandSpec.LlmInt8(OperandSpec.LlmInt8.THRESHOLD)));
            case "gptq-w4" -> linearsOnly(name, GemmSpec.fake(OperandSpec.FP32, new OperandSpec.Gptq(4, OperandSpec.Gptq.GROUP)));
            default -> throw new LowbitException("unknown policy '" + name + "' (available: "
                    + String.join(", ", describe().keySet()).replace(FP_EXAMPLE, "fp:eXmY") + ")");
        };
    }
}
