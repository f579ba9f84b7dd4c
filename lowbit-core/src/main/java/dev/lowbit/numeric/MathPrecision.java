package dev.lowbit.numeric;

import dev.lowbit.LowbitException;
import java.util.Locale;

/**
 * The output precision that the transcendentals of a {@link VectorMath} are designed for ({@code embed --math}):
 * {@code fp32} is the float32 math of {@link ScalarVectorMath}; the others use the shorter approximations of
 * {@link LowPrecisionMath} (range reduction 2^i·2^f with a minimax polynomial for 2^f, erfc as t·g(t)·e^(−a²/2)
 * with t = 1/(1 + k·a)), whose degrees are chosen so that the result, rounded to the target format, is within
 * 1 ulp of the correctly rounded value for every input of that format; results are rounded to the target.
 */
public enum MathPrecision {
    FP32("fp32", 23),
    BF16("bf16", 7),
    FP16("fp16", 10),
    /** OCP FP8 E4M3 (no ∞; results saturate at ±448). */
    FP8("fp8", 3);

    private final String label;
    private final int mantissaBits;

    MathPrecision(String label, int mantissaBits) {
        this.label = label;
        this.mantissaBits = mantissaBits;
    }

    public String label() {
        return label;
    }

    /** Explicit mantissa bits of the target format. */
    public int mantissaBits() {
        return mantissaBits;
    }

    /** {@code fp32}, {@code bf16}, {@code fp16}, {@code fp8} (also {@code fp8-e4m3}, {@code e4m3}); case-insensitive. */
    public static MathPrecision parse(String s) {
        String v = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "fp32", "float32", "f32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            case "fp16", "float16", "f16" -> FP16;
            case "fp8", "fp8-e4m3", "e4m3" -> FP8;
            default -> throw new LowbitException("unknown --math '" + s + "' (use fp32, bf16, fp16 or fp8)");
        };
    }
}
