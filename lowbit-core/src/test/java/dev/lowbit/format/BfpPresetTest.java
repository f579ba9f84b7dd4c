package dev.lowbit.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import dev.lowbit.round.CounterRandom;
import dev.lowbit.round.Rounding;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * FAST's block floating point as a preset of {@link BlockFormat} ({@link Formats#fastBfp}, issue 17 item 4):
 * bit for bit against a scalar reference of the rule the deleted {@code BfpQuantizer} implemented, written
 * here with integer arithmetic on the float bits (exponent, significand, round-half-even by shifting) and
 * double only where FAST's stochastic rounding itself is defined in double ({@code floor(t + u)}).
 */
class BfpPresetTest {

    static final int[] WIDTHS = {1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15};

    // ------------------------------------------------------------------ the scalar reference

    /** floor(log2 |x|) of a finite non-zero float from its bits (subnormals included). */
    static int exponentOf(float x) {
        int bits = Float.floatToRawIntBits(x) & 0x7fffffff;
        int field = bits >>> 23;
        if (field != 0) {
            return field - 127;
        }
        return -149 + (31 - Integer.numberOfLeadingZeros(bits)); // subnormal: value = bits · 2^−149
    }

    /** |x| = sig · 2^exp with an integer significand (exact). */
    static long significand(float x) {
        int bits = Float.floatToRawIntBits(x) & 0x7fffffff;
        int field = bits >>> 23;
        return field == 0 ? bits : (bits & 0x7fffff) | 0x800000;
    }

    static int sigExponent(float x) {
        int field = (Float.floatToRawIntBits(x) & 0x7fffffff) >>> 23;
        return field == 0 ? -149 : field - 150;
    }

    /** round-half-even of sig · 2^shift (shift may be negative) as a long; exact integer arithmetic. */
    static long rneScaled(long sig, int shift) {
        if (shift >= 0) {
            return sig << shift;
        }
        int s = -shift;
        if (s >= 62) {
            return 0; // sig < 2^24 ≪ half of 2^62
        }
        long q = sig >> s;
        long rem = sig - (q << s);
        long half = 1L << (s - 1);
        if (rem > half || rem == half && (q & 1) == 1) {
            q++;
        }
        return q;
    }

    /**
     * The FAST BFP reference: per group of {@code group} values along a row, {@code e = floor(log2 max|x|)},
     * {@code step = 2^(e − p + 1)}, {@code q = clamp(round(x/step), ±(2^p − 1))}, value {@code q·step} rounded once
     * to float; a group with a NaN or ±∞ is all NaN; an all-zero group is +0. Round-to-nearest-even gives −0 for a
     * negative value that rounds to zero here, as the old double code did ({@code rint(−0.3)·step}).
     */
    static float[] reference(float[] x, int rows, int cols, int p, int group, Long srSeed) {
        float[] out = new float[x.length];
        long qmax = (1L << p) - 1;
        for (int r = 0; r < rows; r++) {
            for (int g0 = 0; g0 < cols; g0 += group) {
                int g1 = Math.min(cols, g0 + group);
                boolean special = false;
                int e = Integer.MIN_VALUE;
                for (int c = g0; c < g1; c++) {
                    float v = x[r * cols + c];
                    if (Float.isNaN(v) || Float.isInfinite(v)) {
                        special = true;
                    } else if (v != 0) {
                        e = Math.max(e, exponentOf(v));
                    }
                }
                for (int c = g0; c < g1; c++) {
                    int i = r * cols + c;
                    float v = x[i];
                    if (special) {
                        out[i] = Float.NaN;
                        continue;
                    }
                    if (e == Integer.MIN_VALUE) {
                        out[i] = 0f;
                        continue;
                    }
                    int stepExp = e - p + 1;
                    boolean neg = Float.floatToRawIntBits(v) < 0;
                    long q;
                    if (srSeed == null) {
                        long m = v == 0 ? 0 : rneScaled(significand(v), sigExponent(v) - stepExp);
                        q = neg ? -m : m;
                        if (q == 0) {
                            out[i] = neg ? -0f : 0f;
                            continue;
                        }
                    } else {
                        // t = x/step exactly (an integer significand times a power of two), then FAST's floor(t + u) in double
                        double t = v == 0 ? 0 : Math.scalb((double) (neg ? -significand(v) : significand(v)), sigExponent(v) - stepExp);
                        double u = (CounterRandom.bits(srSeed, i) >>> 11) * 0x1.0p-53;
                        q = (long) Math.floor(t + u);
                    }
                    q = Math.max(-qmax, Math.min(qmax, q));
                    out[i] = q == 0 ? 0f : (float) Math.scalb((double) q, stepExp); // exact in double, one rounding to float
                }
            }
        }
        return out;
    }

    static float[] preset(float[] x, int rows, int cols, int p, int group, Long srSeed) {
        float[] out = new float[x.length];
        Rounding r = srSeed == null ? Rounding.NEAREST_EVEN : Formats.fastRounding(srSeed);
        Formats.fastBfp(p, group).round(x, out, rows, cols, r, 1);
        return out;
    }

    /**
     * Bit for bit (NaNs compared as NaN), except the sign of a zero from round-to-nearest-even: BlockFormat's
     * integer elements have no −0 (two's complement codes), the old double code returned −0 for a negative
     * value that rounded to zero. Stochastic rounding (FAST's mode) never makes −0: floor(t + u) ≥ +0 there.
     */
    static void assertSame(float[] want, float[] got, float[] x, String what, boolean rne) {
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) {
            int a = Float.floatToIntBits(want[i]);
            int b = Float.floatToIntBits(got[i]);
            if (a != b && rne && want[i] == 0 && got[i] == 0) {
                continue;
            }
            if (a != b) {
                throw new AssertionError(what + ": element " + i + " of x = " + x[i] + " (" + Integer.toHexString(Float.floatToRawIntBits(x[i]))
                        + "): reference " + want[i] + ", preset " + got[i]);
            }
        }
    }

    /** Seeded test matrices: Gaussian, heavy-tailed, zeros, all-equal groups, huge, tiny, subnormal, NaN and ±∞. */
    static List<float[]> inputs(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<float[]> out = new ArrayList<>();
        int n = rows * cols;
        float[] gauss = new float[n];
        float[] heavy = new float[n];
        float[] mixed = new float[n];
        float[] bitsRandom = new float[n];
        for (int i = 0; i < n; i++) {
            gauss[i] = (float) gaussian(rnd);
            heavy[i] = (float) (gaussian(rnd) * Math.exp(3 * gaussian(rnd)));
            bitsRandom[i] = Float.intBitsToFloat(rnd.nextInt());
            mixed[i] = switch (rnd.nextInt(12)) {
                case 0 -> 0f;
                case 1 -> -0f;
                case 2 -> Float.MAX_VALUE * (rnd.nextBoolean() ? 1 : -1);
                case 3 -> Float.MIN_VALUE * rnd.nextInt(1, 1 << 12);
                case 4 -> Math.scalb(1f, rnd.nextInt(-149, 128));
                case 5 -> Math.scalb((float) gaussian(rnd), rnd.nextInt(-140, 120));
                case 6 -> Float.MIN_NORMAL * (float) (1 + rnd.nextDouble());
                default -> (float) gaussian(rnd);
            };
        }
        out.add(gauss);
        out.add(heavy);
        out.add(mixed);
        out.add(bitsRandom); // NaN, ±∞, subnormal and huge all mixed in one group
        float[] equal = new float[n]; // all-equal groups, including values on and just off a power of two
        for (int i = 0; i < n; i++) {
            int g = i / 16;
            equal[i] = switch (g % 4) {
                case 0 -> 1f;
                case 1 -> -Math.nextDown(2f);
                case 2 -> Math.scalb(1.5f, (g % 50) - 25);
                default -> Float.MIN_VALUE * 3;
            };
        }
        out.add(equal);
        float[] specials = gauss.clone(); // a NaN, a +∞ and a −∞ in otherwise ordinary rows; a zero row
        specials[Math.min(n - 1, 3)] = Float.NaN;
        specials[Math.min(n - 1, cols + 20)] = Float.POSITIVE_INFINITY;
        specials[Math.min(n - 1, 2 * cols + 5)] = Float.NEGATIVE_INFINITY;
        if (rows > 3) {
            java.util.Arrays.fill(specials, 3 * cols, 4 * cols, 0f);
        }
        out.add(specials);
        float[] tiny = new float[n]; // groups whose max is a float32 subnormal: where E8M0's −127 clamp would differ
        for (int i = 0; i < n; i++) {
            tiny[i] = Float.intBitsToFloat(rnd.nextInt(0, 1 << 23)) * (rnd.nextBoolean() ? 1 : -1);
        }
        out.add(tiny);
        float[] saturating = new float[n]; // max just below 2^(e+1): round(max/step) = 2^p clamps to 2^p − 1
        for (int i = 0; i < n; i++) {
            saturating[i] = (i % 16 == 0) ? Math.nextDown(Math.scalb(1f, rnd.nextInt(-20, 20))) : (float) gaussian(rnd) * 1e-3f;
        }
        out.add(saturating);
        return out;
    }

    static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    // ------------------------------------------------------------------ tests

    @Test
    void presetMatchesTheScalarReferenceBitForBit() {
        int[][] shapes = {{7, 64}, {5, 37}, {4, 16}, {3, 1}, {9, 130}};
        long seed = 17;
        for (int p : WIDTHS) {
            for (int[] s : shapes) {
                for (float[] x : inputs(s[0], s[1], seed++)) {
                    for (int group : new int[] {16, 32, 5}) {
                        String what = "p=" + p + " shape=" + s[0] + "x" + s[1] + " group=" + group;
                        assertSame(reference(x, s[0], s[1], p, group, null), preset(x, s[0], s[1], p, group, null), x, what + " rne", true);
                        assertSame(reference(x, s[0], s[1], p, group, seed), preset(x, s[0], s[1], p, group, seed), x, what + " sr", false);
                    }
                }
            }
        }
    }

    /** Every 2^k-th float bit pattern plus both neighbours of each power of two, in groups with a fixed max. */
    @Test
    void exhaustiveIshOverFloatBitPatterns() {
        List<Float> vals = new ArrayList<>();
        for (long b = 0; b <= 0xffffffffL; b += 4099) { // all signs, exponents (subnormals, NaN, ∞ included)
            vals.add(Float.intBitsToFloat((int) b));
        }
        for (int e = -149; e <= 127; e++) {
            float two = Math.scalb(1f, e);
            vals.add(two);
            vals.add(Math.nextDown(two));
            vals.add(-Math.nextUp(two));
            vals.add(1.5f * two);
        }
        int cols = 16;
        int rows = (vals.size() + 14) / 15;
        float[] maxes = {1f, Math.nextDown(2f), 3e38f, 1e-30f, Float.MIN_NORMAL, 1e-40f, Float.MIN_VALUE};
        for (float max : maxes) {
            float[] x = new float[rows * cols]; // each group: max first, then 15 patterns (those above max set their own)
            for (int r = 0; r < rows; r++) {
                x[r * cols] = r % 2 == 0 ? max : -max;
                for (int c = 1; c < cols; c++) {
                    int k = r * 15 + c - 1;
                    x[r * cols + c] = k < vals.size() ? vals.get(k) : 0f;
                }
            }
            for (int p : WIDTHS) {
                String what = "max=" + max + " p=" + p;
                assertSame(reference(x, rows, cols, p, 16, null), preset(x, rows, cols, p, 16, null), x, what + " rne", true);
                assertSame(reference(x, rows, cols, p, 16, 5L + p), preset(x, rows, cols, p, 16, 5L + p), x, what + " sr", false);
            }
        }
    }

    @Test
    void saturatedCountsTheClippedGroupMaxima() {
        int rows = 6;
        int cols = 64;
        for (float[] x : inputs(rows, cols, 31)) {
            for (int p : new int[] {1, 3, 6}) {
                long want = 0;
                for (int g = 0; g < x.length / 16; g++) {
                    float amax = 0;
                    for (int i = g * 16; i < g * 16 + 16; i++) {
                        amax = Math.max(amax, Math.abs(x[i]));
                    }
                    if (!(amax <= Float.MAX_VALUE) || amax == 0) {
                        continue;
                    }
                    double step = Math.scalb(1.0, Math.getExponent((double) amax) - p + 1);
                    for (int i = g * 16; i < g * 16 + 16; i++) {
                        want += Math.abs(x[i]) / step > (1L << p) - 1 ? 1 : 0;
                    }
                }
                for (Rounding r : List.of(Rounding.NEAREST_EVEN, Rounding.NEAREST_AWAY, Rounding.TOWARD_ZERO, Rounding.UP, Rounding.DOWN,
                        new Rounding.Stochastic(2), Formats.fastRounding(2))) {
                    float[] out = new float[x.length];
                    assertThat(Formats.fastBfp(p, 16).round(x, out, rows, cols, r, 1).saturated()).as("p=%d %s", p, r).isEqualTo(want);
                }
            }
        }
    }

    @Test
    void theResultDoesNotDependOnTheThreadCount() {
        float[] x = inputs(40, 96, 3).get(1);
        float[] a = new float[x.length];
        float[] b = new float[x.length];
        Formats.fastBfp(4, 16).round(x, a, 40, 96, Formats.fastRounding(9), 1);
        Formats.fastBfp(4, 16).round(x, b, 40, 96, Formats.fastRounding(9), 3);
        assertThat(b).isEqualTo(a);
    }

    @Test
    void workedExampleSharesAnExponentPerGroup() {
        float[] x = {1.0f, 0.3f, -0.9f, 0.01f, 100, 3, -2, 0};
        float[] q = new float[8];
        Formats.fastBfp(3, 4).round(x, q, 2, 4, Rounding.NEAREST_EVEN, 1);
        // group 1: max 1.0 → e = 0, step = 2^(0−3+1) = 0.25 → 1.0, 0.25, −1.0, 0
        // group 2: max 100 → e = 6, step = 16 → 96 (rint(6.25) = 6), 0, 0 (−2/16 rounds to zero: +0), 0
        assertThat(q).containsExactly(1.0f, 0.25f, -1.0f, 0f, 96f, 0f, 0f, 0f);
    }

    @Test
    void fastStochasticRoundingIsUnbiased() {
        float[] x = inputs(1, 4096, 2).get(0);
        double[] mean = new double[x.length];
        float[] r = new float[x.length];
        for (int s = 0; s < 400; s++) {
            Formats.fastBfp(3, 16).round(x, r, 1, x.length, Formats.fastRounding(s), 1);
            for (int i = 0; i < x.length; i++) {
                mean[i] += r[i] / 400.0;
            }
        }
        double bias = 0;
        for (int i = 0; i < x.length; i++) {
            bias += mean[i] - x[i];
        }
        assertThat(Math.abs(bias / x.length)).as("stochastic rounding is unbiased").isLessThan(2e-3);
    }

    @Test
    void stochasticAddDrawsDifferFromStochasticButTheProbabilityIsTheSame() {
        Rounding add = new Rounding.StochasticAdd(42);
        Rounding cmp = new Rounding.Stochastic(42);
        int n = 200_000;
        int upAdd = 0;
        int upCmp = 0;
        int disagree = 0;
        for (int i = 0; i < n; i++) {
            double a = add.round(0.25, i);
            double b = cmp.round(0.25, i);
            upAdd += (int) a;
            upCmp += (int) b;
            disagree += a != b ? 1 : 0;
            // the same u: floor(t + u) rounds up iff u ≥ 1 − frac, Stochastic iff u < frac
            double u = CounterRandom.uniform(42, i);
            assertThat(a).isEqualTo(u >= 0.75 ? 1.0 : 0.0);
            assertThat(b).isEqualTo(u < 0.25 ? 1.0 : 0.0);
        }
        assertThat(upAdd / (double) n).isCloseTo(0.25, org.assertj.core.api.Assertions.within(0.005));
        assertThat(upCmp / (double) n).isCloseTo(0.25, org.assertj.core.api.Assertions.within(0.005));
        assertThat(disagree).as("different draws for the same seed").isGreaterThan(n / 4);
        assertThat(Rounding.parse("stochastic-add", 42)).isEqualTo(add);
        assertThat(Rounding.parse("sr-add", 42)).isEqualTo(add);
        assertThat(add.label()).isEqualTo("stochastic-add");
    }

    @Test
    void namesParseAndTheE8m0BfpDiffersOnlyOnSubnormalGroups() {
        assertThat(Formats.parse("fast-bfp4")).isEqualTo(Formats.fastBfp(4, 16));
        assertThat(Formats.parse("FAST-BFP6-b32")).isEqualTo(Formats.fastBfp(6, 32));
        assertThat(Formats.fastBfp(2, 16).name()).isEqualTo("fast-bfp2");
        assertThat(Formats.fastBfp(2, 8).name()).isEqualTo("fast-bfp2-b8");
        assertThat(Formats.fastBfp(4, 16).scale()).isEqualTo(new ScaleFormat.Pow2());
        assertThat(Formats.fastBfp(4, 16).element()).isEqualTo(Formats.bfp(4, 16).element());
        assertThat(Formats.fastBfp(4, 16).info().bits()).isEqualTo(5.5);
        assertThatThrownBy(() -> Formats.parse("fast-bfp0")).isInstanceOf(LowbitException.class).hasMessageContaining("1..15");
        assertThatThrownBy(() -> Formats.parse("fast-bfq4")).isInstanceOf(LowbitException.class).hasMessageContaining("fast-bfp<m>");
        // normal groups: same numbers as bfp<m>-b16 (E8M0); a group of subnormals keeps its own exponent only here
        for (float[] x : inputs(6, 48, 8).subList(0, 3)) {
            float[] a = new float[x.length];
            float[] b = new float[x.length];
            Formats.fastBfp(4, 16).round(x, a, 6, 48, Rounding.NEAREST_EVEN, 1);
            Formats.bfp(4, 16).round(x, b, 6, 48, Rounding.NEAREST_EVEN, 1);
            for (int g = 0; g < x.length / 16; g++) {
                float amax = 0;
                for (int i = g * 16; i < g * 16 + 16; i++) {
                    amax = Math.max(amax, Math.abs(x[i]));
                }
                if (amax >= 0x1.0p-127f) {
                    for (int i = g * 16; i < g * 16 + 16; i++) {
                        assertThat(a[i]).as("group %d", g).isEqualTo(b[i]);
                    }
                }
            }
        }
        float[] sub = {3 * Float.MIN_VALUE, Float.MIN_VALUE};
        float[] a = new float[2];
        float[] b = new float[2];
        Formats.fastBfp(4, 16).round(sub, a, 1, 2, Rounding.NEAREST_EVEN, 1);
        Formats.bfp(4, 16).round(sub, b, 1, 2, Rounding.NEAREST_EVEN, 1);
        assertThat(a).containsExactly(3 * Float.MIN_VALUE, Float.MIN_VALUE);
        assertThat(b).containsExactly(0f, 0f);
    }

    @Test
    void encodeDecodeRoundTripsAndRefusesSubnormalGroups() {
        BlockFormat f = Formats.fastBfp(6, 16);
        float[] x = inputs(4, 40, 12).get(1);
        float[] want = new float[x.length];
        f.round(x, want, 4, 40, Rounding.NEAREST_EVEN, 1);
        assertThat(f.decode(f.encode(x, 4, 40, Rounding.NEAREST_EVEN))).isEqualTo(want);
        float[] sub = {Float.MIN_VALUE, 0, 0, 0};
        assertThatThrownBy(() -> f.encode(sub, 1, 4, Rounding.NEAREST_EVEN)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("shared exponent -149");
    }
}
