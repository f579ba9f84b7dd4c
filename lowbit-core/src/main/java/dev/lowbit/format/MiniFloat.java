package dev.lowbit.format;

import dev.lowbit.round.Rounding;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * A binary floating-point format with 1 sign bit, {@code e} exponent bits and {@code m} mantissa bits,
 * exponent bias {@code bias}, subnormals, and one of three special-value conventions:
 *
 * <ul>
 *   <li>{@link Special#IEEE}: the all-ones exponent holds ±∞ (mantissa 0) and NaN (otherwise), as in
 *       fp16/bf16/E5M2. Needs e ≥ 2 and m ≥ 1.
 *   <li>{@link Special#NAN_ONLY}: no ∞; only the all-ones code S.1…1.1…1 is NaN, so the top binade is
 *       otherwise normal (OCP E4M3: max 448 = 2^8·1.75, NaN = 0x7F/0xFF).
 *   <li>{@link Special#FINITE}: every code is a number (OCP E3M2, E2M3, E2M1).
 * </ul>
 *
 * Values: code (s, E, M) with exponent field E and mantissa field M is
 * {@code (−1)^s · 2^(1−bias) · M/2^m} when E = 0 (subnormal or zero), else {@code (−1)^s · 2^(E−bias) · (1 + M/2^m)}.
 * Let emin = 1 − bias. Rounding of a real x: with {@code e(x) = max(floor(log2|x|), emin)} and quantum
 * {@code q = 2^(e(x) − m)}, the result is {@code rounding(x / q) · q} (exact: only power-of-two scaling),
 * then the range rule:
 *
 * <ul>
 *   <li>formats with ∞: nearest modes and stochastic rounding give ±∞ when the rounded magnitude exceeds
 *       max finite (i.e. |x| ≥ max + ½ulp under nearest); toward-zero never gives ∞ (±max); up gives +∞
 *       for positive overflow and −max for negative; down mirrors that. ±∞ in stays ±∞.
 *   <li>formats without ∞, and {@code saturate = true} (MX elements): ±max finite, also for ±∞ in
 *       (the {@code cvt…satfinite} convention).
 *   <li>NaN in → NaN out; E4M3 encodes it as its NaN code; a {@link Special#FINITE} format has no NaN
 *       code, so {@code round} returns NaN and {@code encode} throws {@link IllegalArgumentException}
 *       (inside MX blocks a NaN makes the whole block NaN through the E8M0 scale).
 *   <li>−0 keeps its sign; values that round to zero keep the sign of x.
 * </ul>
 * Ties to even go to the value whose code is even: for m ≥ 1 that is the even integer {@code x / q}; for m = 0
 * (powers of two only) a tie between 2^k and 2^(k+1) goes to the one with the even exponent field.
 *
 * Every value of a MiniFloat is a float32 (checked at construction: emax ≤ 127 and emin − m ≥ −149), so
 * {@link #round(float)} is exact and returns a float.
 */
public final class MiniFloat implements NumberFormat {
    /** Special-value conventions. */
    public enum Special { IEEE, NAN_ONLY, FINITE }

    private final int e;
    private final int m;
    private final int bias;
    private final Special special;
    private final int emin;
    private final int topField;
    private final int maxCode;
    private final double maxFinite;
    private final float maxFiniteF;

    public MiniFloat(int exponentBits, int mantissaBits, int bias, Special special) {
        if (exponentBits < 1 || exponentBits > 8) {
            throw new IllegalArgumentException("exponent bits must be in 1..8, got " + exponentBits);
        }
        if (mantissaBits < 0 || mantissaBits > 23) {
            throw new IllegalArgumentException("mantissa bits must be in 0..23, got " + mantissaBits);
        }
        Objects.requireNonNull(special, "special");
        if (special == Special.IEEE && (exponentBits < 2 || mantissaBits < 1)) {
            throw new IllegalArgumentException("IEEE-style formats (with inf and NaN) need e >= 2 and m >= 1, got e"
                    + exponentBits + "m" + mantissaBits);
        }
        this.e = exponentBits;
        this.m = mantissaBits;
        this.bias = bias;
        this.special = special;
        this.emin = 1 - bias;
        this.topField = (1 << e) - 1;
        int mmask = (1 << m) - 1;
        this.maxCode = switch (special) {
            case IEEE -> ((topField - 1) << m) | mmask;
            case NAN_ONLY -> ((topField << m) | mmask) - 1;
            case FINITE -> (topField << m) | mmask;
        };
        if (maxCode <= 0) {
            throw new IllegalArgumentException("e" + e + "m" + m + " " + special + " has no positive finite value");
        }
        this.maxFinite = decode(maxCode);
        if (Math.getExponent(maxFinite) > 127 || emin - m < -149) {
            throw new IllegalArgumentException("e" + e + "m" + m + " with bias " + bias
                    + " has values outside float32 (need emax <= 127 and emin - m >= -149)");
        }
        this.maxFiniteF = (float) maxFinite;
    }

    /** The usual bias 2^(e−1) − 1. */
    public static int defaultBias(int exponentBits) {
        return (1 << (exponentBits - 1)) - 1;
    }

    public int exponentBits() {
        return e;
    }

    public int mantissaBits() {
        return m;
    }

    public int bias() {
        return bias;
    }

    public Special special() {
        return special;
    }

    /** Total bits: 1 + e + m. */
    public int bits() {
        return 1 + e + m;
    }

    /** Smallest normal exponent 1 − bias. */
    public int emin() {
        return emin;
    }

    /** floor(log2(max finite)): the exponent of the largest binade (OCP's emax_elem). */
    public int emax() {
        return Math.getExponent(maxFinite);
    }

    public double maxFinite() {
        return maxFinite;
    }

    public double minNormal() {
        return Math.scalb(1.0, emin);
    }

    /** Smallest positive value: 2^(emin − m) (= min normal when m = 0). */
    public double minSubnormal() {
        return Math.scalb(1.0, emin - m);
    }

    public boolean hasInf() {
        return special == Special.IEEE;
    }

    public boolean hasNaN() {
        return special != Special.FINITE;
    }

    /** Largest positive finite code. */
    public int maxCode() {
        return maxCode;
    }

    /** All 2^bits codes (for exhaustive tests; formats of at most 30 bits). */
    public IntStream codes() {
        if (bits() > 30) {
            throw new UnsupportedOperationException("codes() of a " + bits() + "-bit format");
        }
        return IntStream.range(0, 1 << bits());
    }

    @Override
    public String name() {
        return Formats.nameOf(this);
    }

    @Override
    public FormatInfo info() {
        return new FormatInfo(name(), bits(), maxFinite, minNormal(), minSubnormal(), Math.scalb(1.0, -m), hasInf(), hasNaN(),
                "e" + e + "m" + m + ", bias " + bias + ", " + special.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    // ------------------------------------------------------------------ rounding

    /** Round to nearest even, with this format's range rule. */
    public float round(float x) {
        return (float) round(x, Rounding.NEAREST_EVEN, 0, false);
    }

    public double round(double x, Rounding rounding, long index) {
        return round(x, rounding, index, false);
    }

    /**
     * Rounds {@code x} to this format under {@code rounding} ({@code index} feeds stochastic rounding).
     * With {@code saturate}, out-of-range values become ±max finite even in formats with ∞. Exact for all
     * float inputs (and all doubles above 2^−900).
     */
    public double round(double x, Rounding rounding, long index, boolean saturate) {
        double y = roundToGrid(x, rounding, index);
        if (Math.abs(y) <= maxFinite) {
            return y;
        }
        return outOfRange(x, y, rounding, saturate);
    }

    /** Rounds onto this format's grid with an unbounded top exponent; NaN, ±∞ and ±0 pass through. */
    private double roundToGrid(double x, Rounding rounding, long index) {
        double a = Math.abs(x);
        if (!(a <= Double.MAX_VALUE) || a == 0) {
            return x;
        }
        int ex = Math.max(Math.getExponent(a), emin);
        double t = Math.scalb(x, m - ex);
        double q;
        if (m == 0 && Math.abs(t) == 1.5 && rounding instanceof Rounding.NearestEven) {
            q = Math.copySign(((ex + bias) & 1) == 0 ? 1 : 2, t); // tie between 2^ex and 2^(ex+1): the even exponent field
        } else {
            q = rounding.round(t, index);
        }
        return Math.copySign(Math.scalb(Math.abs(q), ex - m), x);
    }

    private double outOfRange(double x, double y, Rounding rounding, boolean saturate) {
        if (Double.isNaN(x)) {
            return x;
        }
        double max = Math.copySign(maxFinite, x);
        if (!hasInf() || saturate) {
            return max;
        }
        if (Double.isInfinite(x)) {
            return x;
        }
        double inf = Math.copySign(Double.POSITIVE_INFINITY, x);
        return switch (rounding) {
            case Rounding.TowardZero z -> max;
            case Rounding.Up u -> x > 0 ? inf : max;
            case Rounding.Down d -> x < 0 ? inf : max;
            default -> inf;
        };
    }

    @Override
    public RoundStats round(float[] x, float[] out, int rows, int cols, Rounding rounding, int threads) {
        int n = Math.multiplyExact(rows, cols);
        return RoundStats.overRanges(threads, n, 1, (t, from, to) -> roundRange(x, out, from, to, rounding, false));
    }

    /** Fake-quantizes {@code x[from..to)} into {@code out} (element index = array index). */
    public RoundStats roundRange(float[] x, float[] out, int from, int to, Rounding rounding, boolean saturate) {
        long sat = 0;
        long ovf = 0;
        for (int i = from; i < to; i++) {
            float v = x[i];
            float y = (float) round(v, rounding, i, saturate);
            if (Math.abs(v) > maxFiniteF) {
                if (Math.abs(y) == maxFiniteF) {
                    sat++;
                } else if (Float.isInfinite(y) && !Float.isInfinite(v)) {
                    ovf++;
                }
            }
            out[i] = y;
        }
        return new RoundStats(to - from, sat, ovf);
    }

    // ------------------------------------------------------------------ codes

    /** The code of {@code round(x, rounding, index, saturate)}. */
    public int encode(double x, Rounding rounding, long index, boolean saturate) {
        return codeOf(round(x, rounding, index, saturate));
    }

    /** RNE code of {@code x}. */
    public int encode(double x) {
        return encode(x, Rounding.NEAREST_EVEN, 0, false);
    }

    /**
     * The code of a value of this format (NaN → the quiet NaN code, sign kept).
     *
     * @throws IllegalArgumentException if {@code v} is not exactly a value of this format
     */
    public int codeOf(double v) {
        int sign = (Double.doubleToRawLongBits(v) < 0 ? 1 : 0) << (e + m);
        if (Double.isNaN(v)) {
            return switch (special) {
                case IEEE -> sign | (topField << m) | (1 << (m - 1));
                case NAN_ONLY -> sign | (topField << m) | ((1 << m) - 1);
                case FINITE -> throw new IllegalArgumentException(name() + " has no NaN encoding");
            };
        }
        double a = Math.abs(v);
        if (Double.isInfinite(a)) {
            if (!hasInf()) {
                throw new IllegalArgumentException(name() + " has no infinity");
            }
            return sign | (topField << m);
        }
        if (a == 0) {
            return sign;
        }
        if (a > maxFinite) {
            throw new IllegalArgumentException(v + " is beyond the range of " + name());
        }
        int ex = Math.getExponent(a);
        int code;
        if (ex < emin) {
            double mant = Math.scalb(a, m - emin);
            code = (int) mant;
            if (code != mant) {
                throw new IllegalArgumentException(v + " is not a value of " + name());
            }
        } else {
            double mant = Math.scalb(a, m - ex);
            int im = (int) mant;
            if (im != mant) {
                throw new IllegalArgumentException(v + " is not a value of " + name());
            }
            code = ((ex + bias) << m) | (im - (1 << m));
        }
        return sign | code;
    }

    /** The value of a code in [0, 2^bits). */
    public double decode(int code) {
        if (bits() < 32 && (code < 0 || code >= 1 << bits())) {
            throw new IllegalArgumentException("code " + code + " out of range for e" + e + "m" + m);
        }
        boolean neg = (code >>> (e + m)) != 0;
        int field = (code >>> m) & topField;
        int mant = code & ((1 << m) - 1);
        double a;
        if (field == topField && special == Special.IEEE) {
            a = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (field == topField && special == Special.NAN_ONLY && mant == (1 << m) - 1) {
            a = Double.NaN;
        } else if (field == 0) {
            a = Math.scalb((double) mant, emin - m);
        } else {
            a = Math.scalb((double) ((1 << m) + mant), field - bias - m);
        }
        return neg ? -a : a;
    }

    /** Encodes an array (RNE or the given rounding, element index = array index) into packed codes. */
    public byte[] encodeArray(float[] x, Rounding rounding) {
        int[] codes = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            codes[i] = encode(x[i], rounding, i, false);
        }
        return PackedCodes.pack(codes, bits());
    }

    public float[] decodeArray(byte[] packed, int count) {
        int[] codes = PackedCodes.unpack(packed, bits(), count);
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = (float) decode(codes[i]);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MiniFloat f && f.e == e && f.m == m && f.bias == bias && f.special == special;
    }

    @Override
    public int hashCode() {
        return Objects.hash(e, m, bias, special);
    }

    @Override
    public String toString() {
        return name();
    }
}
