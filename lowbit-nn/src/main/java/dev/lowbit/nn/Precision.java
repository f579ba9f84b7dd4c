package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.gemm.FastImUnpack;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackStrategy;
import dev.lowbit.format.Formats;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.GemmSpec;
import dev.lowbit.policy.OperandSpec;
import dev.lowbit.policy.Presets;
import dev.lowbit.policy.PrecisionPolicy;
import dev.lowbit.policy.ScaleScope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How every GEMM of a model is computed.
 *
 * <ul>
 *   <li>{@code fp32}: float32 GEMMs on the backend.
 *   <li>{@code imunpack}: round-to-nearest with percentile beta = 0.95 and 15 levels on the weights (one scale
 *       per output channel, i.e. per row of the n×k weight), on the linear inputs and on both operands of both
 *       attention GEMMs; heavy hitters are kept as large integers and the integer GEMM of the codes is executed
 *       <i>exactly</i> with b-bit operands through IM-Unpack (b = 4 by default). Activation scales follow
 *       {@link #scope()}: by default ({@link Scope#MIXED}) one per token for the linear inputs and one per
 *       (sequence, head) operand in attention; percentiles that fall on zeros are taken over the non-zero entries.
 *   <li>{@code int8}: the same exact path with absmax scales (beta = 1, 254 levels: codes in [−127, 127]; b per GEMM: 8, nothing to unpack),
 *       one scale per row of every operand ({@link Scope#ROW}: per token, per query row of P, per channel of V).
 *   <li>{@code llm-int8}: LLM.int8() on the six linears (outlier columns |x| ≥ 6 in float, the rest int8 per
 *       token × int8 per output channel, exact integer GEMM); attention GEMMs in FP32 as in bitsandbytes.
 *   <li>{@code gptq-w4}: GPTQ 4-bit weights (asymmetric, groups of 128 along k), calibrated on built-in text;
 *       activations and attention in FP32 (weight-only quantization, W4A32).
 *   <li>{@code fp8}: E4M3 with one scale per tensor (448/amax) for weights and activations (one activation
 *       "tensor" = one sequence, or one (sequence, head) operand in attention); products accumulate in FP32.
 *   <li>{@code mxfp8}, {@code mxfp4}, {@code nvfp4}: OCP MX (E4M3 / E2M1 elements, E8M0 scales per 32) and NVFP4
 *       (E2M1, E4M3 scale per 16, FP32 tensor scale) on weights and activations, blocks along each GEMM's
 *       reduction axis k; products accumulate in FP32.
 * </ul>
 * Every name is a {@link Presets preset} — the same {@link PrecisionPolicy} that {@code ./lowbit train --policy NAME}
 * runs — resolved by {@link #fromPolicy} from its FORWARD column to the executor that runs it best: exact integer
 * GEMMs for RTN specs executed through IM-Unpack, {@link FormatGemms} for the four float formats above,
 * {@link LlmInt8Gemms} / {@link GptqGemms} for their operand specs, and {@link Mode#FAKE} (the specs' float
 * simulation, {@link PolicyGemms}) for every other preset, so any training recipe runs on a pretrained model. A
 * per-tensor scale covers one sequence ({@link ScaleScope#SEQUENCE}); {@link #parse} then applies the refinement
 * this engine uses on pretrained weights, {@link #pretrained()}.
 *
 * <p>Integer-mode scales never vary along the contraction axis k, so each GEMM is one exact integer GEMM plus a
 * rescale; every mode keeps a sentence's embedding independent of its batch-mates.
 *
 * @param mode the kind of arithmetic
 * @param weights quantization of weight matrices (RTN modes)
 * @param activations quantization of activations (linear inputs, Q, K, V) in the RTN modes
 * @param bits operand width b of the low-bit integer GEMMs (2..16), or {@link #AUTO_BITS}: chosen per GEMM
 * @param strategy how out-of-range codes are unpacked
 * @param roles the GEMMs that run in low bits (the others stay FP32)
 * @param probabilities quantization of the attention probabilities P (left operand of P·V) in the RTN modes
 * @param scope which activation entries share a scale in the RTN modes
 * @param policy the preset this precision was resolved from ({@link #fromPolicy}; its FORWARD column), or null for a
 *     precision built by hand
 */
public record Precision(Mode mode, QuantParams weights, QuantParams activations, int bits, UnpackStrategy strategy,
                        Set<GemmRole> roles, QuantParams probabilities, Scope scope, PrecisionPolicy policy) {
    public enum Mode {
        FP32("fp32", "float32 GEMMs (the reference)"),
        IMUNPACK("imunpack", "RTN p95/15 levels on weights and activations, exact b-bit GEMMs via IM-Unpack (b per GEMM)"),
        INT8("int8", "absmax int8 weights per channel and activations per token, exact int GEMMs"),
        LLM_INT8("llm-int8", "LLM.int8(): outlier columns (|x| >= 6) in float, the rest int8, on the linears"),
        GPTQ_W4("gptq-w4", "GPTQ 4-bit weights (groups of 128) calibrated on built-in text, fp32 activations"),
        FP8("fp8", "E4M3 weights and activations with per-tensor scales, fp32 accumulation"),
        MXFP8("mxfp8", "OCP MXFP8 (E4M3, E8M0 scale per 32 along k) on weights and activations"),
        MXFP4("mxfp4", "OCP MXFP4 (E2M1, E8M0 scale per 32 along k) on weights and activations"),
        NVFP4("nvfp4", "NVFP4 (E2M1, E4M3 scale per 16 along k, fp32 tensor scale) on weights and activations"),
        LLM_FP4("llm-fp4", "LLM-FP4: searched FP4 formats, weights per channel, inputs with pre-shifted exponent bias (linears; also -w4a8)"),
        SWITCH("switch", "switch:B / rtn-w:B: B-bit weights derived from one stored 8-bit model (or quantized directly), fp32 activations"),
        FAKE("fake", "any other preset: its forward operand specs simulated in float (fake quantization), float32 GEMMs");

        private final String label;
        private final String description;

        Mode(String label, String description) {
            this.label = label;
            this.description = description;
        }

        public String label() {
            return label;
        }

        public String description() {
            return description;
        }
    }

    /** Which activation entries share one RTN scale. */
    public enum Scope {
        /** one scale per row of each operand: per token for linear inputs and Q, K, P; per channel of V */
        ROW,
        /** one scale per sequence for linear inputs, per (sequence, head) operand in attention */
        SEQUENCE,
        /** per token row for the linear inputs, per (sequence, head) operand in attention */
        MIXED;

        /** Whether the operands of {@code role} get one scale per row. */
        public boolean perRow(GemmRole role) {
            return this == ROW || (this == MIXED && role.hasWeight());
        }
    }

    /**
     * Levels the CLI's {@code imunpack} uses on a pretrained model when {@code --levels} is not given: p95 / 255 levels on
     * weights, activations and P meets min cosine ≥ 0.999 to fp32 on real text for all-MiniLM-L6-v2 (docs/minilm.md), still
     * exact, and with 8-bit digits the codes unpack with a ratio near 1. {@link #imunpack(int)} itself stays the paper's
     * 15-level setting ({@code --levels 15}).
     */
    public static final int EMBED_IMUNPACK_LEVELS = 255;

    /** The precision with {@code n} levels on the weights, the activations and P (each keeps its beta and granularity). */
    public Precision withLevels(int n) {
        return withWeights(new QuantParams(weights.beta(), n, weights.granularity(), false, weights.nonZeroAlpha()))
                .withActivations(new QuantParams(activations.beta(), n, activations.granularity(), false, activations.nonZeroAlpha()))
                .withProbabilities(new QuantParams(probabilities.beta(), n, probabilities.granularity(), false,
                        probabilities.nonZeroAlpha()));
    }

    /** The presets with an executor of their own (the ones measured on MiniLM, docs/minilm.md). */
    public static final List<String> EXECUTED = List.of("fp32", "imunpack", "int8", "llm-int8", "gptq-w4", "fp8", "mxfp8", "mxfp4", "nvfp4");

    /** Every precision name the CLI accepts: all {@link Presets}. */
    public static final String NAMES = String.join(", ", Presets.describe().keySet());

    /** Presets built for inference run a bfp-fast schedule at its last step (the widest mantissa). */
    private static final long INFERENCE_STEPS = 1_000_000L;

    /** One line per precision, for help texts. */
    public static String descriptions() {
        StringBuilder sb = new StringBuilder();
        for (Mode m : Mode.values()) {
            if (m != Mode.FAKE) {
                sb.append(String.format(Locale.ROOT, "  %-9s %s%n", m.label(), m.description()));
            }
        }
        return sb.toString();
    }

    /** {@code bits} value that lets the RTN executor choose b per GEMM (by estimated cost; the result does not depend on b). */
    public static final int AUTO_BITS = FastImUnpack.AUTO_BITS;

    /**
     * AUTO: the cheapest of no unpacking, ROW and COLUMN per GEMM by estimated cost (FastImUnpack; explicit ROW or
     * COLUMN force that unpacking, BOTH runs the general IM-Unpack planner).
     */
    public static final UnpackStrategy DEFAULT_STRATEGY = UnpackStrategy.AUTO;

    public Precision {
        if (bits != AUTO_BITS) {
            Digits.checkBits(bits);
        }
        roles = roles.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(roles));
        if (probabilities == null) {
            probabilities = activations;
        }
        if (scope == null) {
            scope = Scope.ROW;
        }
        if ((mode == Mode.LLM_INT8 || mode == Mode.GPTQ_W4 || mode == Mode.LLM_FP4 || mode == Mode.SWITCH) && (roles.contains(GemmRole.QK) || roles.contains(GemmRole.PV))) {
            throw new LowbitException(mode.label() + " quantizes the linear layers only, not the attention GEMMs qk and pv");
        }
        if (mode == Mode.FAKE && policy == null) {
            throw new LowbitException("a fake-quantized precision needs the preset whose specs it simulates");
        }
    }

    /** The first form (P shares the activations' settings, per-row scales). */
    public Precision(Mode mode, QuantParams weights, QuantParams activations, int bits, UnpackStrategy strategy,
                     Set<GemmRole> roles) {
        this(mode, weights, activations, bits, strategy, roles, activations, Scope.ROW, null);
    }

    /** A precision built by hand (no preset). */
    public Precision(Mode mode, QuantParams weights, QuantParams activations, int bits, UnpackStrategy strategy,
                     Set<GemmRole> roles, QuantParams probabilities, Scope scope) {
        this(mode, weights, activations, bits, strategy, roles, probabilities, scope, null);
    }

    private static final Set<GemmRole> ALL = EnumSet.allOf(GemmRole.class);
    private static final Set<GemmRole> LINEARS = EnumSet.copyOf(GemmRole.LINEAR);

    public static Precision fp32() {
        return new Precision(Mode.FP32, QuantParams.P95_N15, QuantParams.P95_N15, 4, DEFAULT_STRATEGY, ALL);
    }

    /**
     * IM-Unpack with RTN p95 / 15 levels and b-bit GEMMs: weights one scale per output channel, linear inputs one
     * per token, attention operands one per (sequence, head) ({@link Scope#MIXED}, the most accurate of the scopes
     * measured on MiniLM, docs/minilm.md); activation percentiles are taken over the non-zero magnitudes when they
     * fall on zeros.
     */
    public static Precision imunpack(int bits) {
        QuantParams act = QuantParams.P95_N15.withNonZeroAlpha(true);
        return new Precision(Mode.IMUNPACK, QuantParams.P95_N15.withGranularity(Granularity.ROW), act, bits,
                DEFAULT_STRATEGY, ALL, act, Scope.MIXED);
    }

    /**
     * Absmax int8: beta 1 and 254 levels, so that s = 127/max|x| and every code lies in [−127, 127] (with
     * 255 levels, s = 127.5/max|x| and the maximum rounds to ±128, which is not an int8); executed exactly
     * with 8-bit GEMMs, where nothing needs unpacking.
     */
    public static Precision int8() {
        QuantParams absmax = QuantParams.of(1.0, 254);
        return new Precision(Mode.INT8, absmax.withGranularity(Granularity.ROW), absmax, AUTO_BITS, DEFAULT_STRATEGY, ALL, absmax,
                Scope.ROW);
    }

    /** A mode with its default roles (LLM.int8 and GPTQ: the six linears; the formats: all eight GEMMs): {@code parse(label)}. */
    public static Precision of(Mode mode) {
        return switch (mode) {
            case FP32 -> fp32();
            case IMUNPACK -> imunpack(AUTO_BITS);
            case INT8 -> int8();
            case FAKE -> throw new IllegalArgumentException("fake quantization runs a preset: use parse(name) or fromPolicy");
            default -> parse(mode.label(), null);
        };
    }

    /** Parses a b: {@code auto} ({@link #AUTO_BITS}) or an integer in 2..16. */
    public static int parseBits(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        if (t.equals("auto")) {
            return AUTO_BITS;
        }
        try {
            return Digits.checkBits(Integer.parseInt(t));
        } catch (NumberFormatException e) {
            throw new LowbitException("bits must be auto or an integer in " + Digits.MIN_BITS + ".." + Digits.MAX_BITS + ", got '" + s + "'");
        }
    }

    /**
     * Parses a precision name — any {@link Presets preset}, with {@code :L} forward levels where the preset takes them —
     * into {@link #fromPolicy its executor} with {@link #pretrained() this engine's refinement}; {@code bits} (nullable;
     * {@link #AUTO_BITS}: per GEMM) overrides the b of the integer modes.
     */
    public static Precision parse(String name, Integer bits) {
        String key = name.strip().toLowerCase(Locale.ROOT);
        if (!Presets.known(key)) {
            throw new LowbitException("unknown precision '" + name + "' (available: " + NAMES + ")");
        }
        Precision p = fromPolicy(Presets.byName(key, bits == null ? AUTO_BITS : bits, INFERENCE_STEPS, 1)).pretrained();
        if (bits != null && p.rtn()) {
            p = p.withBits(bits);
        }
        return p;
    }

    /**
     * What {@code ./lowbit embed --precision NAME} runs without further options: {@link #parse} with the per-GEMM
     * unpacking choice and, for {@code imunpack} without {@code :L}, {@link #EMBED_IMUNPACK_LEVELS} levels.
     */
    public static Precision forEmbed(String name) {
        Precision p = parse(name, null).withStrategy(DEFAULT_STRATEGY);
        Integer levels = embedDefaultLevels(name, p);
        return levels != null ? p.withLevels(levels) : p;
    }

    /**
     * The levels {@code embed} gives precision {@code p} (parsed from {@code name}) when {@code --levels} is not set:
     * {@link #EMBED_IMUNPACK_LEVELS} for {@code imunpack} without its own {@code :L}, else null (the preset's own).
     */
    public static Integer embedDefaultLevels(String name, Precision p) {
        return p.mode() == Mode.IMUNPACK && !name.contains(":") ? Integer.valueOf(EMBED_IMUNPACK_LEVELS) : null;
    }

    /** The precision of {@code policy}'s FORWARD column: the executor that runs its specs (see the class comment). */
    public static Precision fromPolicy(PrecisionPolicy policy) {
        GemmSpec lin = policy.spec(GemmSite.LINEAR, GemmPass.FORWARD);
        GemmSpec qk = policy.spec(GemmSite.ATTN_SCORE, GemmPass.FORWARD);
        GemmSpec pv = policy.spec(GemmSite.ATTN_VALUE, GemmPass.FORWARD);
        Set<GemmRole> roles = EnumSet.noneOf(GemmRole.class);
        List<GemmSpec> active = new ArrayList<>();
        if (!plain(lin)) {
            roles.addAll(GemmRole.LINEAR);
            active.add(lin);
        }
        if (!plain(qk)) {
            roles.add(GemmRole.QK);
            active.add(qk);
        }
        if (!plain(pv)) {
            roles.add(GemmRole.PV);
            active.add(pv);
        }
        QuantParams none = QuantParams.P95_N15;
        if (active.isEmpty()) {
            return new Precision(Mode.FP32, none, none, 4, DEFAULT_STRATEGY, ALL, none, Scope.ROW, policy);
        }
        boolean linearsOnly = roles.equals(LINEARS);
        if (lin.lhs() instanceof OperandSpec.LlmInt8 l && lin.rhs() instanceof OperandSpec.LlmInt8 && linearsOnly
                && l.threshold() == LlmInt8Gemms.THRESHOLD && !lin.hadamard()) {
            return new Precision(Mode.LLM_INT8, none, none, 8, DEFAULT_STRATEGY, roles, none, Scope.ROW, policy);
        }
        if (lin.lhs() instanceof OperandSpec.Fp32 && lin.rhs() instanceof OperandSpec.Gptq g && linearsOnly && !lin.hadamard()
                && g.bits() == GptqGemms.BITS && g.group() == GptqGemms.GROUP) {
            return new Precision(Mode.GPTQ_W4, none, none, 4, DEFAULT_STRATEGY, roles, none, Scope.ROW, policy);
        }
        if (lin.lhs() instanceof OperandSpec.LlmFp4 l && lin.rhs() instanceof OperandSpec.LlmFp4 r && l.equals(r) && linearsOnly
                && !lin.hadamard()) {
            return new Precision(Mode.LLM_FP4, none, none, l.weightBits(), DEFAULT_STRATEGY, roles, none, Scope.ROW, policy);
        }
        if (lin.lhs() instanceof OperandSpec.Fp32 && lin.rhs() instanceof OperandSpec.BitSwitch b && linearsOnly && !lin.hadamard()) {
            return new Precision(Mode.SWITCH, none, none, b.bits(), DEFAULT_STRATEGY, roles, none, Scope.ROW, policy);
        }
        for (GemmSpec s : active) {
            for (OperandSpec o : List.of(s.lhs(), s.rhs())) {
                if (o instanceof OperandSpec.LlmInt8 || o instanceof OperandSpec.Gptq || o instanceof OperandSpec.LlmFp4) {
                    throw new LowbitException("precision " + policy.name() + ": " + o.label()
                            + " runs on the forward pass of the linear layers only, with its own executor's settings");
                }
            }
        }
        Precision exact = exactRtn(policy, lin, qk, pv, roles, active);
        if (exact != null) {
            return exact;
        }
        Mode format = formatMode(active);
        if (format != null) {
            return new Precision(format, none, none, 8, DEFAULT_STRATEGY, roles, none, Scope.ROW, policy);
        }
        return new Precision(Mode.FAKE, none, none, 8, DEFAULT_STRATEGY, roles, none, Scope.SEQUENCE, policy);
    }

    /** A GEMM left in float32. */
    private static boolean plain(GemmSpec s) {
        return s.exec() == GemmSpec.Exec.FLOAT && !s.hadamard() && s.lhs() instanceof OperandSpec.Fp32 && s.rhs() instanceof OperandSpec.Fp32;
    }

    /**
     * The RTN executor when every active GEMM is an exact IM-Unpack GEMM on RTN codes without a Hadamard transform and
     * the attention operands share the linear inputs' settings (P may have its own); null otherwise. The activation
     * granularities give the {@link Scope}: TENSOR is one sequence (or (sequence, head) operand), ROW one token.
     */
    private static Precision exactRtn(PrecisionPolicy policy, GemmSpec lin, GemmSpec qk, GemmSpec pv, Set<GemmRole> roles,
                                      List<GemmSpec> active) {
        for (GemmSpec s : active) {
            if (s.exec() != GemmSpec.Exec.IMUNPACK || s.hadamard()) {
                return null;
            }
        }
        if (!roles.containsAll(GemmRole.LINEAR)) {
            return null;
        }
        QuantParams w = ((OperandSpec.Rtn) lin.rhs()).params();
        QuantParams a = ((OperandSpec.Rtn) lin.lhs()).params();
        QuantParams pr = roles.contains(GemmRole.PV) ? ((OperandSpec.Rtn) pv.lhs()).params() : a;
        boolean attnRow = false;
        for (GemmSpec s : List.of(qk, pv)) {
            if (!active.contains(s)) {
                continue;
            }
            QuantParams l = ((OperandSpec.Rtn) s.lhs()).params();
            QuantParams r = ((OperandSpec.Rtn) s.rhs()).params();
            if (!sameButGranularity(r, a) || (s == qk && !sameButGranularity(l, a)) || (s == pv && !sameButGranularity(l, pr))
                    || l.granularity().kind() != r.granularity().kind()) {
                return null;
            }
            attnRow = l.granularity().kind() == Granularity.Kind.ROW;
        }
        boolean linRow = a.granularity().kind() == Granularity.Kind.ROW;
        Scope scope = linRow && attnRow ? Scope.ROW : linRow ? Scope.MIXED : attnRow ? null : Scope.SEQUENCE;
        if (scope == null) {
            return null;
        }
        Mode mode = w.beta() == 1 && a.beta() == 1 ? Mode.INT8 : Mode.IMUNPACK;
        return new Precision(mode, w, a.withGranularity(Granularity.TENSOR), lin.bits(), lin.strategy(), roles,
                pr.withGranularity(Granularity.TENSOR), scope, policy);
    }

    private static boolean sameButGranularity(QuantParams x, QuantParams y) {
        return x.withGranularity(Granularity.TENSOR).equals(y.withGranularity(Granularity.TENSOR));
    }

    /** FP8 / MXFP8 / MXFP4 / NVFP4 when every active operand is that format (nearest-even, no Hadamard); null otherwise. */
    private static Mode formatMode(List<GemmSpec> active) {
        Mode mode = null;
        for (GemmSpec s : active) {
            if (s.exec() != GemmSpec.Exec.FLOAT || s.hadamard()) {
                return null;
            }
            for (OperandSpec o : List.of(s.lhs(), s.rhs())) {
                if (!(o instanceof OperandSpec.Format f) || f.stochastic()) {
                    return null;
                }
                Mode m = f.format() == Formats.E4M3 && f.tensorScale() ? Mode.FP8
                        : f.tensorScale() ? null
                        : f.format() == Formats.MXFP8_E4M3 ? Mode.MXFP8
                        : f.format() == Formats.MXFP4 ? Mode.MXFP4
                        : f.format() == Formats.NVFP4 ? Mode.NVFP4 : null;
                if (m == null || (mode != null && m != mode)) {
                    return null;
                }
                mode = m;
            }
        }
        return mode;
    }

    /**
     * This engine's refinement of a preset on pretrained weights (what {@link #parse} returns): RTN weights get one
     * scale per output channel, and the activations one per token on the linear inputs — int8 also per row in attention
     * ({@link Scope#ROW}), imunpack per (sequence, head) there ({@link Scope#MIXED}), the most accurate scopes measured on
     * MiniLM (docs/minilm.md). The other modes are returned as they are. {@code embed --weight-granularity/--scope}
     * override it; with {@code --weight-granularity tensor --scope sequence} a precision is exactly its preset's FORWARD
     * column.
     */
    public Precision pretrained() {
        if (!rtn()) {
            return this;
        }
        return withWeights(weights.withGranularity(Granularity.ROW)).withScope(mode == Mode.INT8 ? Scope.ROW : Scope.MIXED);
    }

    public Precision withStrategy(UnpackStrategy s) {
        return new Precision(mode, weights, activations, bits, s, roles, probabilities, scope, policy);
    }

    public Precision withWeights(QuantParams q) {
        return new Precision(mode, q, activations, bits, strategy, roles, probabilities, scope, policy);
    }

    /** Sets the activation settings and, with them, the attention probabilities'. */
    public Precision withActivations(QuantParams q) {
        return new Precision(mode, weights, q, bits, strategy, roles, q, scope, policy);
    }

    public Precision withProbabilities(QuantParams q) {
        return new Precision(mode, weights, activations, bits, strategy, roles, q, scope, policy);
    }

    public Precision withScope(Scope s) {
        return new Precision(mode, weights, activations, bits, strategy, roles, probabilities, s, policy);
    }

    public Precision withBits(int b) {
        return new Precision(mode, weights, activations, b, strategy, roles, probabilities, scope, policy);
    }

    public Precision withRoles(Set<GemmRole> r) {
        return new Precision(mode, weights, activations, bits, strategy, r, probabilities, scope, policy);
    }

    /** Whether the GEMM {@code role} runs in low bits. */
    public boolean quantizes(GemmRole role) {
        return mode != Mode.FP32 && roles.contains(role);
    }

    public boolean quantized() {
        return mode != Mode.FP32;
    }

    /** Whether the executor calibrates on built-in text (the FP32 model's linear inputs): gptq-w4, llm-fp4. */
    public boolean calibrated() {
        return mode == Mode.GPTQ_W4 || mode == Mode.LLM_FP4;
    }

    /** Whether the GEMMs are integer GEMMs of RTN codes executed exactly through IM-Unpack. */
    public boolean rtn() {
        return mode == Mode.IMUNPACK || mode == Mode.INT8;
    }

    /** The preset's name ({@code imunpack:31}, {@code rtn-clip} …), or the mode's label for a precision built by hand. */
    public String label() {
        return policy != null ? policy.name() : mode.label();
    }

    /** Whether b is chosen per GEMM ({@link #AUTO_BITS}). */
    public boolean autoBits() {
        return bits == AUTO_BITS;
    }

    /** b as text: {@code auto} or the number. */
    public String bitsLabel() {
        return autoBits() ? "auto" : Integer.toString(bits);
    }

    /**
     * The b at which heavy hitters are counted ({@code |code| ≥ 2^(b−1)}) and at which the general planner runs when b
     * is auto: {@link #bits} when fixed, else the smallest b whose digit range holds the quantization grid of every
     * operand, i.e. 2^(b−1) &gt; levels/2 (b = 4 for 15 levels, b = 8 for 254 or 255 levels), so a heavy hitter is a
     * code beyond the grid.
     */
    public int statBits() {
        if (!autoBits()) {
            return bits;
        }
        int levels = Math.max(weights.levels(), Math.max(activations.levels(), probabilities.levels()));
        int b = Digits.MIN_BITS;
        while (b < Digits.MAX_BITS && Digits.base(b) <= levels / 2.0) {
            b++;
        }
        return b;
    }
}
