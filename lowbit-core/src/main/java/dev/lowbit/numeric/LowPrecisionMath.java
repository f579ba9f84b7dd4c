package dev.lowbit.numeric;

import static dev.lowbit.numeric.ScalarVectorMath.LOG2E;
import static dev.lowbit.numeric.ScalarVectorMath.ROUND_MAGIC;
import static dev.lowbit.numeric.ScalarVectorMath.ROUND_MAGIC_BITS;

/**
 * exp, erf and the erf GELU designed for a target output precision (bf16, fp16, fp8 E4M3) with fewer operations
 * than the float32 versions of {@link ScalarVectorMath} — the idea of AutoNumerics-Zero (arXiv 2312.08472): when
 * only a short format is needed, a much shorter program suffices. The approximations here are classical ones,
 * with degrees chosen per target and coefficients fitted (minimax, relative error, Lawson iterations on Chebyshev
 * nodes: {@code LowPrecisionFit} in lowbit-core's tests, which re-derives them):
 *
 * <ul>
 *   <li><b>exp</b>: v = x·log₂e (one float rounding, no Cody–Waite split), i = rint(v), f = v − i (exact),
 *       2^f ≈ a degree-d polynomial on [−½, ½] (d = 1 fp8, 2 bf16, 3 fp16; float32 uses 7), scaled by 2^i in two
 *       exact steps (subnormal results rounded once);
 *   <li><b>Φ(−a)</b> (a ≥ 0) = ½·erfc(a/√2) ≈ t·g(t)·2^(−a²·log₂e/2) with t = 1/(1 + k·a) and g of degree 1 / 2 / 3
 *       (float32: A&amp;S 7.1.26, degree 4), fitted for <em>relative</em> error up to a = 3.75 / 14.5 / 6 (where
 *       GELU underflows in the target), so the GELU tail keeps its relative accuracy;
 *       GELU(x) = x·Φ(x) with Φ(x) = 1 − Φ(−x) for x ≥ 0;
 *   <li><b>erf</b>: x·P(x²) for |x| &lt; ½ (P of degree 0 / 1 / 2), ±(1 − 2·Φ(−|x|·√2)) above.
 * </ul>
 *
 * Rounded to the target ({@link #round}), every result is within 1 ulp of the float64 value rounded to the
 * target, for every finite input of the target format (checked exhaustively by {@code LowPrecisionMathTest}).
 * These static methods define the bits (float32 operation sequences); the Vector API twin in lowbit-simd
 * reproduces them lane by lane.
 */
public final class LowPrecisionMath {
    private LowPrecisionMath() {}

    /** Clamp range of the base-2 argument: below −150.5 every result rounds to 0, above 128 to +∞. */
    public static final float V_MIN = -151f;
    public static final float V_MAX = 129f;
    /** −log₂e/2: e^(−a²/2) = 2^(a²·NEG_HALF_LOG2E). */
    public static final float NEG_HALF_LOG2E = -0.72134752044448170f;
    public static final float SQRT2 = 1.41421356237309505f;
    /** erf switches from x·P(x²) to 1 − erfc at |x| = ERF_SPLIT. */
    public static final float ERF_SPLIT = 0.5f;

    // 2^f ≈ Σ c_j f^j on [−½, ½] (max relative error: fp8 2^−5.07, bf16 2^−9.18, fp16 2^−13.71)
    public static final float[] EXP2_FP8 = {1.02903f, 0.6860199f};
    public static final float[] EXP2_BF16 = {1.0004431f, 0.703448f, 0.23842892f};
    public static final float[] EXP2_FP16 = {0.99992806f, 0.69326097f, 0.24261113f, 0.05517167f};

    // Φ(−a) ≈ t·g(t)·e^(−a²/2), t = 1/(1 + k·a): k and g (max relative error: fp8 2^−8.41 on a ≤ 3.75,
    // bf16 2^−9.38 on a ≤ 14.5, fp16 2^−13.50 on a ≤ 6)
    public static final float K_FP8 = 0.5f;
    public static final float K_BF16 = 0.38f;
    public static final float K_FP16 = 0.29f;
    public static final float[] G_FP8 = {0.17280425f, 0.32866728f};
    public static final float[] G_BF16 = {0.15390791f, 0.12361431f, 0.22323076f};
    public static final float[] G_FP16 = {0.11032357f, 0.16056864f, -0.030217549f, 0.25936845f};

    // erf(x)/x ≈ P(x²) for |x| < ½ (max relative error: fp8 2^−4.63, bf16 2^−10.39, fp16 2^−16.46)
    public static final float[] ERF_FP8 = {1.0829297f};
    public static final float[] ERF_BF16 = {1.1275389f, -0.34925738f};
    public static final float[] ERF_FP16 = {1.1283667f, -0.37523907f, 0.103267305f};

    /** The coefficients of one target. */
    public record Coefficients(float[] exp2, float k, float[] g, float[] erf) {}

    public static Coefficients coefficients(MathPrecision p) {
        return switch (p) {
            case FP8 -> new Coefficients(EXP2_FP8, K_FP8, G_FP8, ERF_FP8);
            case BF16 -> new Coefficients(EXP2_BF16, K_BF16, G_BF16, ERF_BF16);
            case FP16 -> new Coefficients(EXP2_FP16, K_FP16, G_FP16, ERF_FP16);
            case FP32 -> throw new IllegalArgumentException("fp32 uses ScalarVectorMath");
        };
    }

    /** Horner: c[d] first, {@code p = fma(p, x, c[j])} down to j = 0. */
    public static float horner(float[] c, float x) {
        float p = c[c.length - 1];
        for (int j = c.length - 2; j >= 0; j--) {
            p = Math.fma(p, x, c[j]);
        }
        return p;
    }

    /** 2^v: clamp to [V_MIN, V_MAX], i = rint(v) by the magic number, f = v − i, poly(f)·2^i in two exact steps. */
    public static float exp2(float v, float[] c) {
        float w = Math.min(Math.max(v, V_MIN), V_MAX);
        float s = w + ROUND_MAGIC;
        float nf = s - ROUND_MAGIC;
        int n = Float.floatToRawIntBits(s) - ROUND_MAGIC_BITS;
        float p = horner(c, w - nf);
        int n1 = n >> 1;
        int n2 = n - n1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /** e^x = 2^(x·log₂e) (not rounded to the target). */
    public static float exp(float x, Coefficients c) {
        return exp2(x * LOG2E, c.exp2);
    }

    /** Φ(−a) for a = |x| ≥ 0: {@code (t·g(t))·2^((a·a)·(−log₂e/2))}, t = 1/(1 + k·a). */
    public static float phiNeg(float a, Coefficients c) {
        float t = 1f / Math.fma(c.k, a, 1f);
        float e = exp2((a * a) * NEG_HALF_LOG2E, c.exp2);
        return (t * horner(c.g, t)) * e;
    }

    /** GELU(x) = x·Φ(x) (not rounded to the target); GELU(−∞) is NaN as in float32. */
    public static float gelu(float x, Coefficients c) {
        float q = phiNeg(Math.abs(x), c);
        return x * (x >= 0f ? 1f - q : q);
    }

    /** erf(x): x·P(x²) for |x| &lt; ½, else ±(1 − 2·Φ(−|x|·√2)) (not rounded to the target). */
    public static float erf(float x, Coefficients c) {
        float a = Math.abs(x);
        float small = x * horner(c.erf, x * x);
        float large = Math.copySign(1f - 2f * phiNeg(a * SQRT2, c), x);
        return a < ERF_SPLIT ? small : large;
    }

    // ------------------------------------------------------------------ rounding to the target (nearest even)

    /** x rounded to the target format (nearest even; fp8 E4M3 saturates at ±448); NaN stays NaN. */
    public static float round(float x, MathPrecision p) {
        return switch (p) {
            case FP32 -> x;
            case BF16 -> roundBf16(x);
            case FP16 -> roundFp16(x);
            case FP8 -> roundE4m3(x);
        };
    }

    public static float roundBf16(float x) {
        int b = Float.floatToRawIntBits(x);
        float r = Float.intBitsToFloat((b + 0x7FFF + ((b >>> 16) & 1)) & 0xFFFF0000);
        return x != x ? x : r;
    }

    /**
     * fp16: the normal range by rounding the float32 bits (the sign bit is never reached), the subnormals
     * (|x| &lt; 2^−14) on the 2^−24 grid of 0.75 + x (x's sign bit OR-ed back, for −0); beyond 65504 → ±∞. (Not by
     * multiplying into float32's subnormal range: subnormal results cost a microcode assist per lane on x86.)
     */
    public static float roundFp16(float x) {
        int b = Float.floatToRawIntBits(x);
        float rn = Float.intBitsToFloat((b + 0xFFF + ((b >>> 13) & 1)) & ~0x1FFF);
        float rs = Float.intBitsToFloat(Float.floatToRawIntBits((x + 0.75f) - 0.75f) | (b & 0x80000000));
        float r = Math.abs(x) < 0x1p-14f ? rs : rn;
        r = Math.abs(r) > 65504f ? r * Float.POSITIVE_INFINITY : r;
        return x != x ? x : r;
    }

    /** E4M3 as fp16 (subnormals |x| &lt; 2^−6 on the 2^−9 grid of 1.5·2^14 + x), saturating at ±448. */
    public static float roundE4m3(float x) {
        int b = Float.floatToRawIntBits(x);
        float rn = Float.intBitsToFloat((b + 0x7FFFF + ((b >>> 20) & 1)) & ~0xFFFFF);
        float rs = Float.intBitsToFloat(Float.floatToRawIntBits((x + 24576f) - 24576f) | (b & 0x80000000));
        float r = Math.abs(x) < 0x1p-6f ? rs : rn;
        r = Math.min(Math.max(r, -448f), 448f);
        return x != x ? x : r;
    }
}
