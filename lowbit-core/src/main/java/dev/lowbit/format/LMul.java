package dev.lowbit.format;

import dev.lowbit.format.Formats;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.round.Rounding;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * L-Mul (Luo &amp; Sun, arXiv 2410.00907): for x = (1 + x_m)·2^x_e and y = (1 + y_m)·2^y_e with m-bit mantissas,
 *
 * <pre>
 *   exact  x·y    = (1 + x_m + y_m + x_m·y_m) · 2^(x_e + y_e)
 *   L-Mul  L(x,y) = (1 + x_m + y_m + 2^−l(m)) · 2^(x_e + y_e),  sign = s_x ⊕ s_y,
 *   l(m) = m for m ≤ 3, 3 for m = 4, 4 for m &gt; 4.
 * </pre>
 *
 * {@link #multiply} is the bit-level form: one integer addition of the fp32 (exponent | mantissa) fields,
 * {@code bits(|L|) = bits(|x|) + bits(|y|) − (0x3F800000 − 2^(23 − l))}, so a mantissa sum ≥ 1 carries into
 * the exponent (Mitchell-style). {@link #multiplyLiteral} is the formula as written (no carry
 * renormalization); the two differ whenever x_m + y_m + 2^−l ≥ 1 (1.75 × 1.75: formula 2.5625, bit add 3.125).
 * Zeros give a signed zero, ±∞/NaN follow IEEE multiplication, subnormal inputs and results flush to a signed
 * zero, exponent overflow gives ±∞.
 */
public final class LMul {
    private LMul() {}

    /** The offset exponent l(m). */
    public static int offset(int mantissaBits) {
        return mantissaBits <= 3 ? mantissaBits : mantissaBits == 4 ? 3 : 4;
    }

    /** The fp32-range format with an m-bit mantissa (m ∈ 1..23) whose values L-Mul takes. */
    public static MiniFloat inputFormat(int mantissaBits) {
        return new MiniFloat(8, mantissaBits, 127, MiniFloat.Special.IEEE);
    }

    /** Bit-level L-Mul of two values with m-bit mantissas (fp32 exponent range). */
    public static float multiply(float x, float y, int mantissaBits) {
        int sign = (Float.floatToRawIntBits(x) ^ Float.floatToRawIntBits(y)) & 0x80000000;
        if (!Float.isFinite(x) || !Float.isFinite(y)) {
            return x * y;
        }
        float ax = Math.abs(x);
        float ay = Math.abs(y);
        if (ax < Float.MIN_NORMAL || ay < Float.MIN_NORMAL) {
            return Float.intBitsToFloat(sign);
        }
        long offset = 0x3F800000L - (1L << (23 - offset(mantissaBits)));
        long s = (long) Float.floatToRawIntBits(ax) + Float.floatToRawIntBits(ay) - offset;
        if (s < 0x00800000L) {
            return Float.intBitsToFloat(sign);
        }
        if (s >= 0x7F800000L) {
            return Float.intBitsToFloat(sign | 0x7F800000);
        }
        return Float.intBitsToFloat(sign | (int) s);
    }

    /** The formula as written: (1 + x_m + y_m + 2^−l)·2^(x_e + y_e), in double, no renormalization. */
    public static double multiplyLiteral(double x, double y, int mantissaBits) {
        if (x == 0 || y == 0 || !Double.isFinite(x) || !Double.isFinite(y)) {
            return x * y;
        }
        int ex = Math.getExponent(x);
        int ey = Math.getExponent(y);
        double xm = Math.abs(x) / Math.scalb(1.0, ex) - 1;
        double ym = Math.abs(y) / Math.scalb(1.0, ey) - 1;
        double v = (1 + xm + ym + Math.scalb(1.0, -offset(mantissaBits))) * Math.scalb(1.0, ex + ey);
        return Math.signum(x) * Math.signum(y) * v;
    }

    /** One row of the error study: mean relative error |approx − exact| / |exact| over the sample. */
    public record ErrorRow(String method, double meanRelError, String against) {}

    /**
     * Mean relative errors over {@code n} pairs of i.i.d. N(0, 1) values (seeded): L-Mul for m = 2..6 (bit-level
     * and literal) against the exact product of its m-bit inputs, and FP8 multiplication for reference: the
     * exact product of the E5M2-/E4M3-rounded inputs, and that product rounded to E5M2/E4M3, both against the exact
     * product of the unrounded inputs. L-Mul is also given against the unrounded inputs (its end-to-end error).
     */
    public static List<ErrorRow> study(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] xs = new double[n];
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = (float) rnd.nextGaussian();
            ys[i] = (float) rnd.nextGaussian();
        }
        List<ErrorRow> rows = new ArrayList<>();
        for (int m = 2; m <= 6; m++) {
            MiniFloat in = inputFormat(m);
            double bit = 0;
            double lit = 0;
            double bitEnd = 0;
            for (int i = 0; i < n; i++) {
                float x = (float) in.round(xs[i], Rounding.NEAREST_EVEN, 0);
                float y = (float) in.round(ys[i], Rounding.NEAREST_EVEN, 0);
                double exact = (double) x * y;
                bit += Math.abs(multiply(x, y, m) - exact) / Math.abs(exact);
                lit += Math.abs(multiplyLiteral(x, y, m) - exact) / Math.abs(exact);
                bitEnd += Math.abs(multiply(x, y, m) - xs[i] * ys[i]) / Math.abs(xs[i] * ys[i]);
            }
            rows.add(new ErrorRow("L-Mul m=" + m + " (bit add, l=" + offset(m) + ")", bit / n, "exact product of the m-bit inputs"));
            rows.add(new ErrorRow("L-Mul m=" + m + " (literal formula)", lit / n, "exact product of the m-bit inputs"));
            rows.add(new ErrorRow("L-Mul m=" + m + " (bit add)", bitEnd / n, "exact product of the unrounded inputs"));
        }
        for (MiniFloat f : List.of(Formats.E5M2, Formats.E4M3)) {
            double inOnly = 0;
            double full = 0;
            for (int i = 0; i < n; i++) {
                double x = f.round(xs[i], Rounding.NEAREST_EVEN, 0);
                double y = f.round(ys[i], Rounding.NEAREST_EVEN, 0);
                double exact = xs[i] * ys[i];
                inOnly += Math.abs(x * y - exact) / Math.abs(exact);
                full += Math.abs(f.round(x * y, Rounding.NEAREST_EVEN, 0) - exact) / Math.abs(exact);
            }
            rows.add(new ErrorRow(f.name() + " inputs, exact product", inOnly / n, "exact product of the unrounded inputs"));
            rows.add(new ErrorRow(f.name() + " multiply (product rounded to " + f.name() + ")", full / n,
                    "exact product of the unrounded inputs"));
        }
        return rows;
    }
}
