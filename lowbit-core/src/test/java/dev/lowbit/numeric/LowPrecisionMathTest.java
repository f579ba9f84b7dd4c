package dev.lowbit.numeric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.format.Formats;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.round.Rounding;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The low-precision exp / erf / GELU of {@link LowPrecisionMath}, exhaustively: for every input of the target
 * format (all 65536 bf16 and fp16 values, all 256 E4M3 values; NaN inputs skipped), the result rounded to the target
 * vs the float64 value rounded to the target (E4M3 saturating), in ulp of the target (distance of the codes in value
 * order). Prints one line per (function, format) — the table of docs/reading-list.md §6 — including the float32
 * functions of {@link ScalarVectorMath} measured the same way.
 */
class LowPrecisionMathTest {
    record Stats(int count, int exact, int maxUlp, double worstInput) {
        String line(String what) {
            return String.format(Locale.ROOT, "%-22s inputs %6d  correctly rounded %6.2f %%  max ulp %d (at x = %s)",
                    what, count, 100.0 * exact / count, maxUlp, worstInput);
        }
    }

    interface FloatFn {
        float apply(float x);
    }

    static MiniFloat format(MathPrecision p) {
        return switch (p) {
            case BF16 -> Formats.BF16;
            case FP16 -> Formats.FP16;
            case FP8 -> Formats.E4M3;
            case FP32 -> throw new IllegalArgumentException();
        };
    }

    /** Signed position of a value of the format in value order (±0 → 0; ±∞ next to ±max). */
    static int ordinal(MiniFloat f, double v) {
        int code = f.codeOf(v);
        int sign = 1 << (f.bits() - 1);
        return (code & sign) != 0 ? -(code & ~sign) : code;
    }

    static Stats measure(MathPrecision p, FloatFn approx, DoubleUnaryOperator exact, boolean skipNegInf) {
        MiniFloat f = format(p);
        boolean saturate = p == MathPrecision.FP8;
        int count = 0;
        int ok = 0;
        int max = 0;
        double worst = Double.NaN;
        for (int code = 0; code < 1 << f.bits(); code++) {
            double xv = f.decode(code);
            if (Double.isNaN(xv) || (skipNegInf && xv == Double.NEGATIVE_INFINITY)) {
                continue;
            }
            float x = (float) xv;
            float got = LowPrecisionMath.round(approx.apply(x), p);
            double want = f.round(exact.applyAsDouble(xv), Rounding.NEAREST_EVEN, 0, saturate);
            assertThat(Float.isNaN(got)).as("%s at x = %s", p, x).isFalse();
            int d = Math.abs(ordinal(f, got) - ordinal(f, want));
            count++;
            ok += d == 0 ? 1 : 0;
            if (d > max) {
                max = d;
                worst = x;
            }
        }
        return new Stats(count, ok, max, worst);
    }

    static double gelu(double x) {
        double phi = x < 0 ? 0.5 * Erf.erfc(-x / Math.sqrt(2)) : 1 - 0.5 * Erf.erfc(x / Math.sqrt(2));
        return x * phi;
    }

    @Test
    void everyInputOfEveryTargetIsWithinOneUlp() {
        for (MathPrecision p : new MathPrecision[] {MathPrecision.FP8, MathPrecision.BF16, MathPrecision.FP16}) {
            LowPrecisionMath.Coefficients c = LowPrecisionMath.coefficients(p);
            Stats exp = measure(p, x -> LowPrecisionMath.exp(x, c), Math::exp, false);
            Stats erf = measure(p, x -> LowPrecisionMath.erf(x, c), Erf::erf, false);
            Stats gelu = measure(p, x -> LowPrecisionMath.gelu(x, c), LowPrecisionMathTest::gelu, true);
            System.out.println(exp.line("exp " + p.label()));
            System.out.println(erf.line("erf " + p.label()));
            System.out.println(gelu.line("gelu " + p.label()));
            assertThat(exp.maxUlp()).as("exp %s", p).isLessThanOrEqualTo(1);
            assertThat(erf.maxUlp()).as("erf %s", p).isLessThanOrEqualTo(1);
            assertThat(gelu.maxUlp()).as("gelu %s", p).isLessThanOrEqualTo(1);
            // the fit is not sloppy: most results are correctly rounded
            assertThat(exp.exact()).isGreaterThan(exp.count() * 3 / 4);
            assertThat(gelu.exact()).isGreaterThan(gelu.count() * 3 / 4);
            // the float32 functions, rounded to the target, for comparison (exp is within 1 ulp; the float32 GELU's
            // A&S 7.1.26 has absolute, not relative, error, so its far negative tail is off by many ulp in bf16)
            System.out.println(measure(p, ScalarVectorMath::exp, Math::exp, false).line("  float32 exp " + p.label()));
            System.out.println(measure(p, ScalarVectorMath::gelu, LowPrecisionMathTest::gelu, true).line("  float32 gelu " + p.label()));
        }
    }

    @Test
    void specialValues() {
        for (MathPrecision p : new MathPrecision[] {MathPrecision.FP8, MathPrecision.BF16, MathPrecision.FP16}) {
            LowPrecisionMath.Coefficients c = LowPrecisionMath.coefficients(p);
            assertThat(LowPrecisionMath.round(LowPrecisionMath.exp(0f, c), p)).isEqualTo(1f);
            assertThat(LowPrecisionMath.exp(Float.NEGATIVE_INFINITY, c)).isEqualTo(0f);
            assertThat(LowPrecisionMath.exp(Float.POSITIVE_INFINITY, c)).isEqualTo(Float.POSITIVE_INFINITY);
            assertThat(LowPrecisionMath.exp(Float.NaN, c)).isNaN();
            assertThat(LowPrecisionMath.gelu(0f, c)).isEqualTo(0f);
            assertThat(LowPrecisionMath.gelu(Float.POSITIVE_INFINITY, c)).isEqualTo(Float.POSITIVE_INFINITY);
            assertThat(LowPrecisionMath.gelu(Float.NaN, c)).isNaN();
            assertThat(LowPrecisionMath.erf(Float.POSITIVE_INFINITY, c)).isEqualTo(1f);
            assertThat(LowPrecisionMath.erf(Float.NEGATIVE_INFINITY, c)).isEqualTo(-1f);
            assertThat(LowPrecisionMath.erf(-0f, c)).isEqualTo(-0f);
        }
    }

    /** The rounding helpers equal MiniFloat's nearest-even rounding on 750k float32 values of every magnitude and sign. */
    @Test
    void roundingMatchesMiniFloat() {
        SplittableRandom r = new SplittableRandom(20);
        float[] special = {0f, -0f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, 65504f, 65519.99f, 65520f, 448f, 464f, 463.99f, 480f, 0x1p-14f, 0x1p-15f, 0x1p-24f,
            0x1.8p-25f, 0x1p-25f, 0x1p-6f, 0x1p-9f, 0x1p-10f, 0x1.8p-10f, 0x1.fffp-7f, 1.0078125f, 1.00390625f};
        for (MathPrecision p : new MathPrecision[] {MathPrecision.FP8, MathPrecision.BF16, MathPrecision.FP16}) {
            MiniFloat f = format(p);
            boolean sat = p == MathPrecision.FP8;
            for (int i = 0; i < 250_000; i++) {
                float x = i < special.length * 2 ? (i % 2 == 0 ? special[i / 2] : -special[i / 2])
                        : Float.intBitsToFloat(r.nextInt());
                if (Float.isNaN(x)) {
                    assertThat(LowPrecisionMath.round(x, p)).isNaN();
                    continue;
                }
                float want = (float) f.round(x, Rounding.NEAREST_EVEN, 0, sat);
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(LowPrecisionMath.round(x, p)), p + " at " + x);
            }
        }
    }

    @Test
    void parseNamesAndRejectsOthers() {
        assertThat(MathPrecision.parse("BF16")).isEqualTo(MathPrecision.BF16);
        assertThat(MathPrecision.parse("fp8-e4m3")).isEqualTo(MathPrecision.FP8);
        assertThat(MathPrecision.parse(" fp32 ")).isEqualTo(MathPrecision.FP32);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MathPrecision.parse("fp7"))
                .isInstanceOf(dev.lowbit.LowbitException.class).hasMessageContaining("--math 'fp7'");
    }

    /** The array functions of the scalar variant: exp/gelu/softmax use the target's math, the rest is float32. */
    @Test
    void vectorMathVariantUsesTheTargetMath() {
        VectorMath base = new ScalarVectorMath();
        assertThat(base.withMath(MathPrecision.FP32)).isSameAs(base);
        LowPrecisionVectorMath vm = (LowPrecisionVectorMath) base.withMath(MathPrecision.BF16);
        assertThat(vm.name()).isEqualTo("scalar+bf16");
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[100];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
        }
        float[] y = new float[x.length];
        vm.gelu(x, 0, y, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            assertThat(y[i]).isEqualTo(LowPrecisionMath.roundBf16(LowPrecisionMath.gelu(x[i], vm.c)));
            assertThat(y[i]).isCloseTo((float) gelu(x[i]), org.assertj.core.api.Assertions.within(0.01f * Math.max(1, Math.abs(x[i]))));
        }
        double lse = vm.softmax(x, 0, 0.5f, y, 0, x.length);
        double ref = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, 0.5 * v);
        }
        for (float v : x) {
            ref += Math.exp(0.5 * v - max);
        }
        assertThat(lse).isCloseTo(max + Math.log(ref), org.assertj.core.api.Assertions.within(0.01));
        for (int i = 0; i < x.length; i++) {
            double p = Math.exp(0.5 * x[i] - max) / ref;
            assertThat((double) y[i]).isCloseTo(p, org.assertj.core.api.Assertions.within(p * 0.01 + 1e-30));
            assertThat(LowPrecisionMath.roundBf16(y[i])).isEqualTo(y[i]);
        }
        assertThat(vm.sum(x, 0, x.length)).isEqualTo(base.sum(x, 0, x.length));
    }
}
