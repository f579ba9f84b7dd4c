package dev.lowbit.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.round.Rounding;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

class MiniFloatTest {
    static final Rounding[] MODES = {Rounding.NEAREST_EVEN, Rounding.NEAREST_AWAY, Rounding.TOWARD_ZERO, Rounding.UP,
        Rounding.DOWN, new Rounding.Stochastic(5)};

    /** Every constructible eXmY of at most 16 bits with every special-value convention and the default bias. */
    static List<MiniFloat> allSmallFormats() {
        List<MiniFloat> out = new ArrayList<>();
        for (int e = 1; e <= 8; e++) {
            for (int m = 0; 1 + e + m <= 16; m++) {
                for (MiniFloat.Special s : MiniFloat.Special.values()) {
                    try {
                        out.add(new MiniFloat(e, m, MiniFloat.defaultBias(e), s));
                    } catch (IllegalArgumentException skip) {
                        // e1 IEEE, m0 IEEE, or beyond float32 (e8 finite): not constructible, checked below
                    }
                }
            }
        }
        return out;
    }

    @Test
    void constructibleFormatsAreTheExpectedOnes() {
        // 8 exponent widths × (16 − e) mantissa widths × 3 specials, minus IEEE with e = 1 or m = 0 and e8 FINITE/NAN_ONLY
        // whose top binade exceeds float32 (e8 NAN_ONLY m=0 still fits: its top code is NaN).
        List<MiniFloat> all = allSmallFormats();
        assertThat(all).contains(Formats.FP16, Formats.BF16, Formats.E5M2, Formats.E4M3, Formats.E3M2, Formats.E2M3, Formats.E2M1);
        assertThat(all.size()).isEqualTo(238);
        assertThatThrownBy(() -> new MiniFloat(8, 7, 127, MiniFloat.Special.FINITE)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MiniFloat(1, 3, 0, MiniFloat.Special.IEEE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyCodeOfEveryFormatUpTo16BitsRoundTrips() {
        long checked = 0;
        for (MiniFloat f : allSmallFormats()) {
            int n = 1 << f.bits();
            for (int c = 0; c < n; c++) {
                int code = c;
                double v = f.decode(code);
                if (Double.isNaN(v)) {
                    assertThat(f.hasNaN()).as("%s code %x", f, code).isTrue();
                    int back = f.codeOf(v);
                    assertThat(f.decode(back)).isNaN();
                    assertThat(back >>> (f.bits() - 1)).isEqualTo(code >>> (f.bits() - 1));
                    for (Rounding r : MODES) {
                        assertThat(f.round(v, r, code)).isNaN();
                    }
                    continue;
                }
                assertEquals(code, f.codeOf(v), () -> f + " code " + Integer.toHexString(code));
                assertThat(Math.abs(v)).isLessThanOrEqualTo(f.maxFinite() * (Double.isInfinite(v) ? Double.POSITIVE_INFINITY : 1));
                float fv = (float) v;
                assertThat((double) fv).isEqualTo(v); // every value is a float32
                for (Rounding r : MODES) {
                    double y = f.round(v, r, code);
                    assertEquals(Double.doubleToRawLongBits(v), Double.doubleToRawLongBits(y), () -> f + " " + r + " " + v);
                    assertEquals(code, f.encode(v, r, code, false));
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(2_500_000);
    }

    @Test
    void nonDefaultBiasesRoundTripToo() {
        int formats = 0;
        for (int e = 1; e <= 8; e++) {
            for (int m = 0; m <= 3; m++) {
                for (int bias : new int[] {MiniFloat.defaultBias(e) - 3, MiniFloat.defaultBias(e) + 3, 130, -2}) {
                    for (MiniFloat.Special sp : MiniFloat.Special.values()) {
                        MiniFloat f;
                        try {
                            f = new MiniFloat(e, m, bias, sp);
                        } catch (IllegalArgumentException notConstructible) {
                            continue;
                        }
                        formats++;
                        assertThat(Formats.parse(f.name())).isEqualTo(f);
                        f.codes().forEach(code -> {
                            double v = f.decode(code);
                            if (!Double.isNaN(v)) {
                                assertEquals(code, f.codeOf(v), () -> f + " code " + code);
                                assertEquals(v, f.round(v, Rounding.NEAREST_EVEN, 0));
                                assertEquals(v, (double) (float) v);
                            }
                        });
                    }
                }
            }
        }
        assertThat(formats).isGreaterThan(100);
    }

    @Test
    void valuesAreSortedByCodeAndTiesGoToEven() {
        // For each format of at most 10 bits: between consecutive positive finite values a < b, the midpoint
        // rounds to the one with the even code under RNE, away from zero under RNA; just below/above rounds down/up.
        for (MiniFloat f : allSmallFormats()) {
            if (f.bits() > 10) {
                continue;
            }
            for (int c = 0; c < f.maxCode(); c++) {
                double a = f.decode(c);
                double b = f.decode(c + 1);
                assertThat(b).as("%s %d", f, c).isGreaterThan(a);
                double mid = (a + b) / 2;
                for (int sign : new int[] {1, -1}) {
                    double evenVal = (c & 1) == 0 ? a : b;
                    assertThat(f.round(sign * mid, Rounding.NEAREST_EVEN, 0)).as("%s tie %s", f, sign * mid).isEqualTo(sign * evenVal);
                    assertThat(f.round(sign * mid, Rounding.NEAREST_AWAY, 0)).isEqualTo(sign * b);
                    assertThat(f.round(sign * Math.nextDown(mid), Rounding.NEAREST_EVEN, 0)).isEqualTo(sign * a);
                    assertThat(f.round(sign * Math.nextUp(mid), Rounding.NEAREST_EVEN, 0)).isEqualTo(sign * b);
                    double inside = a + (b - a) / 4;
                    assertThat(f.round(sign * inside, Rounding.TOWARD_ZERO, 0)).isEqualTo(sign * a);
                    assertThat(f.round(sign * inside, sign > 0 ? Rounding.UP : Rounding.DOWN, 0)).isEqualTo(sign * b);
                    assertThat(f.round(sign * inside, sign > 0 ? Rounding.DOWN : Rounding.UP, 0)).isEqualTo(sign * a);
                }
            }
        }
    }

    @Test
    void powersOfTwoFormatsRoundTiesToTheEvenExponentField() {
        // with m = 0 every normal value has significand 1: a tie between 2^k and 2^(k+1) (at 1.5·2^k) goes to the
        // code with the even exponent field; below the smallest normal the tie goes to 0
        MiniFloat f = new MiniFloat(3, 0, 3, MiniFloat.Special.FINITE);
        assertThat(f.round(3.0, Rounding.NEAREST_EVEN, 0)).isEqualTo(2.0); // 2 = field 4, 4 = field 5
        assertThat(f.round(6.0, Rounding.NEAREST_EVEN, 0)).isEqualTo(8.0); // 8 = field 6
        assertThat(f.round(-6.0, Rounding.NEAREST_EVEN, 0)).isEqualTo(-8.0);
        assertThat(f.round(3.0, Rounding.NEAREST_AWAY, 0)).isEqualTo(4.0);
        assertThat(f.round(0x1p-3, Rounding.NEAREST_EVEN, 0)).isEqualTo(0.0);
        assertThat(f.round(2.9, Rounding.NEAREST_EVEN, 0)).isEqualTo(2.0);
    }

    private static int f16bits(float x) {
        return Float.floatToRawIntBits(x);
    }

    private static void checkFp16(float x) {
        float ref = Float.float16ToFloat(Float.floatToFloat16(x));
        float got = Formats.FP16.round(x);
        if (Float.isNaN(ref)) {
            assertThat(got).isNaN();
        } else if (f16bits(ref) != f16bits(got)) {
            throw new AssertionError("fp16 of " + x + " (0x" + Integer.toHexString(f16bits(x)) + "): JDK " + ref + ", ours " + got);
        }
    }

    @Test
    void fp16AgreesWithTheJdkOnADenseSweepAndEveryTie() {
        // every 251st float32 bit pattern (odd stride: all exponents and low-bit patterns are hit)
        for (long b = 0; b < 1L << 32; b += 251) {
            checkFp16(Float.intBitsToFloat((int) b));
        }
        // every tie between consecutive fp16 values (and its float neighbours), both signs, incl. max + ½ulp
        for (int c = 0; c < 0x7c00; c++) {
            float a = Float.float16ToFloat((short) c);
            float next = c + 1 == 0x7c00 ? 65536f : Float.float16ToFloat((short) (c + 1));
            float mid = (a + next) / 2;
            for (float x : new float[] {mid, Math.nextUp(mid), Math.nextDown(mid), a, -mid, -Math.nextUp(mid), -Math.nextDown(mid), -a}) {
                checkFp16(x);
            }
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "lowbit.slow", matches = "true")
    void fp16AgreesWithTheJdkOnAll2To32Floats() {
        long bad = IntStream.range(0, 1 << 16).parallel().mapToLong(hi -> {
            long n = 0;
            for (int lo = 0; lo < 1 << 16; lo++) {
                float x = Float.intBitsToFloat(hi << 16 | lo);
                float ref = Float.float16ToFloat(Float.floatToFloat16(x));
                float got = Formats.FP16.round(x);
                if (!(Float.isNaN(ref) ? Float.isNaN(got) : f16bits(ref) == f16bits(got))) {
                    n++;
                }
            }
            return n;
        }).sum();
        assertThat(bad).isZero();
    }

    @Test
    void fp16OverflowAndPychopCases() {
        MiniFloat f = Formats.FP16;
        Rounding rne = Rounding.NEAREST_EVEN;
        assertThat(f.round(65504f)).isEqualTo(65504f);
        assertThat(f.round(65519f)).isEqualTo(65504f);
        assertThat(f.round(65519.996f)).isEqualTo(65504f);
        assertThat(f.round(65520f)).isEqualTo(Float.POSITIVE_INFINITY); // max + ½ulp: tie goes to the even 2^16 → ∞
        assertThat(f.round(65535f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f.round(70000f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f.round(131071f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f.round(-200000f)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(f.round(0x1p-25f)).isEqualTo(0f);
        assertThat(f.round(3e-8f)).isEqualTo(0x1p-24f);
        assertThat(Float.floatToRawIntBits(f.round(-0f))).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(Float.floatToRawIntBits(f.round(-0x1p-26f))).isEqualTo(Float.floatToRawIntBits(-0f));
        // negative ties: −(1 + 2^−11) is halfway between −1 and −(1 + 2^−10)
        assertThat(f.round(-(1 + 0x1p-11), rne, 0)).isEqualTo(-1.0);
        assertThat(f.round(-(1 + 0x1p-11), Rounding.NEAREST_AWAY, 0)).isEqualTo(-(1 + 0x1p-10));
        assertThat(f.round(65520, Rounding.NEAREST_AWAY, 0)).isEqualTo(Double.POSITIVE_INFINITY);
        // directed modes at overflow
        assertThat(f.round(1e6, Rounding.TOWARD_ZERO, 0)).isEqualTo(65504);
        assertThat(f.round(-1e6, Rounding.TOWARD_ZERO, 0)).isEqualTo(-65504);
        assertThat(f.round(1e6, Rounding.UP, 0)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(f.round(-1e6, Rounding.UP, 0)).isEqualTo(-65504);
        assertThat(f.round(1e6, Rounding.DOWN, 0)).isEqualTo(65504);
        assertThat(f.round(-1e6, Rounding.DOWN, 0)).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(f.round(65505, Rounding.UP, 0)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(f.round(1e6, new Rounding.Stochastic(1), 0)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(f.round(1e6, rne, 0, true)).isEqualTo(65504); // saturating conversion (MX elements)
        for (Rounding r : MODES) {
            assertThat(f.round(Double.POSITIVE_INFINITY, r, 0)).isEqualTo(Double.POSITIVE_INFINITY);
            assertThat(f.round(Double.NEGATIVE_INFINITY, r, 0)).isEqualTo(Double.NEGATIVE_INFINITY);
            assertThat(f.round(Double.NaN, r, 0)).isNaN();
        }
        assertThat(f.encode(Double.POSITIVE_INFINITY)).isEqualTo(0x7c00);
        assertThat(f.encode(Double.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
        assertThat(f.encode(Double.NaN)).isEqualTo(0x7e00);
    }

    @Test
    void e4m3SaturatesAndHasOneNanPerSign() {
        MiniFloat f = Formats.E4M3;
        assertThat(f.maxFinite()).isEqualTo(448);
        assertThat(f.minNormal()).isEqualTo(0x1p-6);
        assertThat(f.minSubnormal()).isEqualTo(0x1p-9);
        assertThat(f.round(464f)).isEqualTo(448f); // tie between 448 (even mantissa 110) and 480 (the NaN slot)
        assertThat(f.round(465f)).isEqualTo(448f); // would be 480: saturates
        assertThat(f.round(1e9f)).isEqualTo(448f);
        assertThat(f.round(Float.POSITIVE_INFINITY)).isEqualTo(448f);
        assertThat(f.round(Float.NEGATIVE_INFINITY)).isEqualTo(-448f);
        for (Rounding r : MODES) {
            assertThat(f.round(1e9, r, 0)).isEqualTo(448);
            assertThat(f.round(-1e9, r, 0)).isEqualTo(-448);
        }
        assertThat(f.round(Float.NaN)).isNaN();
        assertThat(f.encode(Double.NaN)).isEqualTo(0x7f);
        assertThat(f.encode(-Double.NaN)).isIn(0x7f, 0xff);
        assertThat(f.encode(-448)).isEqualTo(0xfe);
        assertThat(f.decode(0xff)).isNaN();
        assertThat(f.decode(0x7e)).isEqualTo(448);
        assertThat(IntStream.range(0, 256).filter(c -> Double.isNaN(f.decode(c))).toArray()).containsExactly(0x7f, 0xff);
        assertThat(f.round(0x1p-10f)).isEqualTo(0f); // tie below the smallest subnormal → even (0)
        assertThat(f.round(0x1.8p-10f)).isEqualTo(0x1p-9f);
    }

    @Test
    void e5m2AndFiniteFormats() {
        assertThat(Formats.E5M2.maxFinite()).isEqualTo(57344);
        assertThat(Formats.E5M2.round(61440f)).isEqualTo(Float.POSITIVE_INFINITY); // 57344 + ½ulp, tie to even → ∞
        assertThat(Formats.E5M2.round(61439f)).isEqualTo(57344f);
        assertThat(Formats.E3M2.maxFinite()).isEqualTo(28);
        assertThat(Formats.E3M2.minSubnormal()).isEqualTo(0.0625);
        assertThat(Formats.E2M3.maxFinite()).isEqualTo(7.5);
        assertThat(Formats.E2M3.minSubnormal()).isEqualTo(0.125);
        MiniFloat fp4 = Formats.E2M1;
        double[] all = IntStream.range(0, 8).mapToDouble(fp4::decode).toArray();
        assertThat(all).containsExactly(0, 0.5, 1, 1.5, 2, 3, 4, 6);
        double[] in = {0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 7, 1e30};
        double[] want = {0, 1, 1, 2, 2, 4, 4, 6, 6};
        for (int i = 0; i < in.length; i++) {
            assertThat(fp4.round(in[i], Rounding.NEAREST_EVEN, 0)).as("%s", in[i]).isEqualTo(want[i]);
            assertThat(fp4.round(-in[i], Rounding.NEAREST_EVEN, 0)).isEqualTo(-want[i]);
        }
        assertThat(fp4.round(Float.POSITIVE_INFINITY)).isEqualTo(6f);
        assertThat(fp4.round(Float.NaN)).isNaN();
        assertThatThrownBy(() -> fp4.encode(Double.NaN)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThat(fp4.encode(-0.0)).isEqualTo(0x8);
        assertThat(fp4.round(1e30, Rounding.UP, 0)).isEqualTo(6);
    }

    @Test
    void bf16MatchesTheFloatBitTruncationRule() {
        // bf16 RNE = add 0x7FFF + lsb to the float bits and keep the top 16 (for finite, non-overflowing inputs)
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < 2_000_000; i++) {
            int bits = rnd.nextInt();
            float x = Float.intBitsToFloat(bits);
            if (!Float.isFinite(x)) {
                continue;
            }
            int r = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
            float want = Float.intBitsToFloat(r);
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(Formats.BF16.round(x)), () -> "bf16 of " + x);
        }
        assertThat(Formats.BF16.round(Float.MAX_VALUE)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void stochasticRoundingIsUnbiasedAndIndexed() {
        MiniFloat f = Formats.E4M3;
        int n = 100_000;
        for (double x : new double[] {1.0 + 0.3 * 0.125, -3.3, 0.0041, 300.0, 0x1p-9 * 0.4}) {
            double lo = f.round(x, Rounding.DOWN, 0);
            double hi = f.round(x, Rounding.UP, 0);
            double p = (x - lo) / (hi - lo);
            double sum = 0;
            Rounding sr = new Rounding.Stochastic(77);
            for (int i = 0; i < n; i++) {
                double y = f.round(x, sr, i);
                assertThat(y).isIn(lo, hi);
                sum += y;
            }
            double sigma = (hi - lo) * Math.sqrt(p * (1 - p) / n);
            assertThat(Math.abs(sum / n - x)).as("x = %s", x).isLessThan(4 * sigma);
        }
    }

    @Test
    void arraysPackAndUnpack() {
        float[] x = {0.5f, 1f, -6f, 3f, 0f};
        byte[] packed = Formats.E2M1.encodeArray(x, Rounding.NEAREST_EVEN);
        assertThat(packed).containsExactly((byte) 0x21, (byte) 0x5f, (byte) 0x00);
        assertThat(Formats.E2M1.decodeArray(packed, x.length)).containsExactly(x);
        SplittableRandom rnd = new SplittableRandom(4);
        for (int bits = 1; bits <= 32; bits++) {
            int[] codes = new int[37];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = bits == 32 ? rnd.nextInt() : (int) rnd.nextLong(1L << bits);
            }
            assertThat(PackedCodes.unpack(PackedCodes.pack(codes, bits), bits, codes.length)).containsExactly(codes);
        }
    }

    @Test
    void roundArrayCountsSaturationAndOverflow() {
        float[] x = {1f, 500f, Float.POSITIVE_INFINITY, -1e6f, Float.NaN, 448f};
        float[] out = new float[x.length];
        RoundStats s = Formats.E4M3.round(x, out, 1, x.length, Rounding.NEAREST_EVEN);
        assertThat(s).isEqualTo(new RoundStats(6, 3, 0));
        s = Formats.FP16.round(new float[] {1e5f, 65519f, Float.POSITIVE_INFINITY}, out, 1, 3, Rounding.NEAREST_EVEN);
        assertThat(s).isEqualTo(new RoundStats(3, 1, 1));
        s = Formats.FP16.round(new float[] {1e5f}, out, 1, 1, Rounding.TOWARD_ZERO);
        assertThat(s).isEqualTo(new RoundStats(1, 1, 0));
    }

    @Test
    void identicalResultsForOneAndTwoThreads() {
        SplittableRandom rnd = new SplittableRandom(8);
        float[] x = new float[100_003];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 10);
        }
        for (NumberFormat f : List.of(Formats.E4M3, Formats.BF16, Formats.E2M1)) {
            float[] a = new float[x.length];
            float[] b = new float[x.length];
            Rounding sr = new Rounding.Stochastic(99);
            RoundStats sa = f.round(x, a, 1, x.length, sr, 1);
            RoundStats sb = f.round(x, b, 1, x.length, sr, 2);
            assertThat(b).containsExactly(a);
            assertThat(sb).isEqualTo(sa);
        }
    }
}
