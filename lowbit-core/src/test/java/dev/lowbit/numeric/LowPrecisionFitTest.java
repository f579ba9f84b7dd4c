package dev.lowbit.numeric;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Re-derives {@link LowPrecisionMath}'s coefficients with {@link LowPrecisionFit} and checks that the checked-in
 * sets are (near-)minimax: their max relative error over the fit's nodes is within 2 % of the refit's, and below
 * the error budget of the target (half an ulp at the top of a binade: 2^−(m+1)).
 */
class LowPrecisionFitTest {
    static void near(LowPrecisionFit.Fit refit, float[] checkedIn, double budget) {
        assertThat(checkedIn).hasSameSizeAs(refit.c());
        double e = LowPrecisionFit.maxRelative(checkedIn, refit.xs(), refit.ys());
        assertThat(e).isLessThanOrEqualTo(refit.maxRel() * 1.02 + 1e-7).isLessThan(budget);
    }

    @Test
    void checkedInCoefficientsAreTheMinimaxFits() {
        near(LowPrecisionFit.exp2(1), LowPrecisionMath.EXP2_FP8, 0x1p-4);
        near(LowPrecisionFit.exp2(2), LowPrecisionMath.EXP2_BF16, 0x1p-8);
        near(LowPrecisionFit.exp2(3), LowPrecisionMath.EXP2_FP16, 0x1p-11);
        near(LowPrecisionFit.erfcG(LowPrecisionMath.K_FP8, 3.75, 1), LowPrecisionMath.G_FP8, 0x1p-4);
        near(LowPrecisionFit.erfcG(LowPrecisionMath.K_BF16, 14.5, 2), LowPrecisionMath.G_BF16, 0x1p-8);
        near(LowPrecisionFit.erfcG(LowPrecisionMath.K_FP16, 6, 3), LowPrecisionMath.G_FP16, 0x1p-11);
        near(LowPrecisionFit.erfSmall(0), LowPrecisionMath.ERF_FP8, 0x1p-4);
        near(LowPrecisionFit.erfSmall(1), LowPrecisionMath.ERF_BF16, 0x1p-8);
        near(LowPrecisionFit.erfSmall(2), LowPrecisionMath.ERF_FP16, 0x1p-11);
    }

    /** One degree less would not meet the target's budget (so the chosen degrees are the smallest that do). */
    @Test
    void oneDegreeLessIsNotEnough() {
        assertThat(LowPrecisionFit.exp2(1).maxRel()).isGreaterThan(0x1p-8);
        assertThat(LowPrecisionFit.exp2(2).maxRel()).isGreaterThan(0x1p-11);
        assertThat(LowPrecisionFit.erfcG(LowPrecisionMath.K_FP8, 3.75, 0).maxRel()).isGreaterThan(0x1p-5);
        assertThat(LowPrecisionFit.erfcG(LowPrecisionMath.K_BF16, 14.5, 1).maxRel()).isGreaterThan(0x1p-8);
        assertThat(LowPrecisionFit.erfcG(LowPrecisionMath.K_FP16, 6, 2).maxRel()).isGreaterThan(0x1p-11);
    }
}
