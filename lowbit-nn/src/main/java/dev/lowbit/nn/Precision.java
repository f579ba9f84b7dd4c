package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackStrategy;
import java.util.Locale;

/**
 * How every GEMM of a model is computed.
 *
 * <ul>
 *   <li>{@code fp32}: float32 GEMMs on the backend.
 *   <li>{@code imunpack}: round-to-nearest with percentile beta = 0.95 and 15 levels on the weights (one scale
 *       per output channel, i.e. per row of the n×k weight), on the linear inputs (one scale per sequence of the
 *       batch) and on both operands of both attention GEMMs (one scale per sequence and head), so that a
 *       sentence's embedding never depends on the other sentences of its batch; heavy hitters are kept as
 *       large integers and the integer GEMM of the codes is executed <i>exactly</i> with b-bit operands
 *       through IM-Unpack (b = 4 by default).
 *   <li>{@code int8}: the same exact path with absmax scales (beta = 1, 254 levels: codes in [−127, 127]) and b = 8.
 * </ul>
 * Scales never vary along the contraction axis k, so each GEMM is one exact integer GEMM plus a rescale.
 *
 * @param mode the kind of arithmetic
 * @param weights quantization of weight matrices (unused for FP32)
 * @param activations quantization of activations (linear inputs, Q, K, P, V)
 * @param bits operand width b of the low-bit GEMMs (2..16)
 * @param strategy how out-of-range codes are unpacked
 * @param roles the GEMMs that run in low bits (the others stay FP32); all eight by default
 */
public record Precision(Mode mode, QuantParams weights, QuantParams activations, int bits, UnpackStrategy strategy,
                        java.util.Set<GemmRole> roles) {
    public enum Mode { FP32, IMUNPACK, INT8 }

    /** The precision names the CLI accepts. */
    public static final String NAMES = "fp32, imunpack, int8";

    /** COLUMN: on MiniLM it gave the smallest unpack ratio of ROW/COLUMN/BOTH and costs no search (docs/minilm.md). */
    public static final UnpackStrategy DEFAULT_STRATEGY = UnpackStrategy.COLUMN;

    public Precision {
        Digits.checkBits(bits);
        roles = roles.isEmpty() ? java.util.Set.of() : java.util.Collections.unmodifiableSet(java.util.EnumSet.copyOf(roles));
    }

    private static final java.util.Set<GemmRole> ALL = java.util.EnumSet.allOf(GemmRole.class);

    public static Precision fp32() {
        return new Precision(Mode.FP32, QuantParams.P95_N15, QuantParams.P95_N15, 4, DEFAULT_STRATEGY, ALL);
    }

    /** IM-Unpack with RTN p95 / 15 levels and b-bit GEMMs. */
    public static Precision imunpack(int bits) {
        return new Precision(Mode.IMUNPACK, QuantParams.P95_N15.withGranularity(Granularity.ROW), QuantParams.P95_N15, bits,
                DEFAULT_STRATEGY, ALL);
    }

    /**
     * Absmax int8: beta 1 and 254 levels, so that s = 127/max|x| and every code lies in [−127, 127] (with
     * 255 levels, s = 127.5/max|x| and the maximum rounds to ±128, which is not an int8); executed exactly
     * with 8-bit GEMMs, where nothing needs unpacking.
     */
    public static Precision int8() {
        QuantParams absmax = QuantParams.of(1.0, 254);
        return new Precision(Mode.INT8, absmax.withGranularity(Granularity.ROW), absmax, 8, DEFAULT_STRATEGY, ALL);
    }

    /** Parses a precision name; {@code bits} (nullable) overrides the default b of the low-bit modes. */
    public static Precision parse(String name, Integer bits) {
        Precision p = switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "fp32" -> fp32();
            case "imunpack" -> imunpack(bits == null ? 4 : bits);
            case "int8" -> int8();
            default -> throw new LowbitException("unknown precision '" + name + "' (available: " + NAMES
                    + "; llm-int8, gptq-w4, fp8, mxfp8, mxfp4 and nvfp4 are not implemented yet)");
        };
        if (bits != null && p.mode == Mode.INT8 && bits != 8) {
            p = new Precision(p.mode, p.weights, p.activations, bits, p.strategy, p.roles);
        }
        return p;
    }

    public Precision withStrategy(UnpackStrategy s) {
        return new Precision(mode, weights, activations, bits, s, roles);
    }

    public Precision withWeights(QuantParams q) {
        return new Precision(mode, q, activations, bits, strategy, roles);
    }

    public Precision withRoles(java.util.Set<GemmRole> r) {
        return new Precision(mode, weights, activations, bits, strategy, r);
    }

    /** Whether the GEMM {@code role} runs in low bits. */
    public boolean quantizes(GemmRole role) {
        return mode != Mode.FP32 && roles.contains(role);
    }

    public boolean quantized() {
        return mode != Mode.FP32;
    }

    public String label() {
        return mode.name().toLowerCase(Locale.ROOT);
    }
}
