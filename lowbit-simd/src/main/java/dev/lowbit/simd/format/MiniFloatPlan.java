package dev.lowbit.simd.format;

import dev.lowbit.format.MiniFloat;

/**
 * The constants of round-to-nearest-even into a {@link MiniFloat}, for a float32 input x:
 *
 * <pre>
 *   |x| ≥ 2^emin (target normal):   bits' = (bits(|x|) + (2^(s−1) − 1) + ((bits(|x|) &gt;&gt; s) &amp; 1)) &amp; ~(2^s − 1),  s = 23 − m
 *                                    (adding half an ulp minus one plus the kept lsb rounds ties to even; a carry
 *                                    into the exponent field is the correct next binade)
 *   |x| &lt; 2^emin (target subnormal): (|x| + C) − C with C = 2^(emin − m + 23): float addition rounds |x| to
 *                                    the grid 2^(emin − m) (ulp of C), ties to even, exactly
 *                                    (m = 23: nothing to round, the lsb term is masked off)
 *   (valid when emin ≥ −126, so that every float32 subnormal input takes the second branch)
 *   range:  |r| &gt; max finite → ±∞ (formats with ∞, unless saturating) or ±max;  NaN → x;  sign ORed back (−0 kept).
 * </pre>
 */
record MiniFloatPlan(int shift, int roundBias, int lsbMask, int keepMask, float magic, float minNormal, float maxFinite, boolean overflowToInf) {

    /** True when the bit algorithm applies: the format's normals are float32 normals (emin ≥ −126). */
    static boolean applies(MiniFloat f) {
        return f.emin() >= -126;
    }

    static MiniFloatPlan of(MiniFloat f, boolean saturate) {
        if (!applies(f)) {
            throw new IllegalArgumentException(f.name() + " has normals below float32's (emin " + f.emin()
                    + " < -126): use MiniFloat.round");
        }
        int shift = 23 - f.mantissaBits();
        int roundBias = shift == 0 ? 0 : (1 << (shift - 1)) - 1;
        return new MiniFloatPlan(shift, roundBias, shift == 0 ? 0 : 1, ~((1 << shift) - 1), Math.scalb(1f, f.emin() - f.mantissaBits() + 23),
                (float) f.minNormal(), (float) f.maxFinite(), f.hasInf() && !saturate);
    }
}
