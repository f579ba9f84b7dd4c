package dev.lowbit.quant;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;

/**
 * Dynamic fixed point (DFP) with one shared exponent per tensor, as in Das et al., "Mixed Precision Training of
 * Convolutional Neural Networks using Integer Operations" (ICLR 2018): a tensor is a pair (I, E) of P-bit signed integer
 * codes I and one exponent E, with value {@code I · 2^E}. From float32 values f, with {@code E_fmax} the exponent of
 * {@code max |f|} ({@code 2^E_fmax ≤ max|f| < 2^(E_fmax+1)}), the shared exponent is {@code E = E_fmax − (P − 2)} and
 * {@code I = round(f · 2^−E)} — so the largest magnitude lands in {@code [2^(P−2), 2^(P−1))} and every code fits P bits
 * (the one value that rounds up to {@code 2^(P−1)} is clamped to {@code 2^(P−1) − 1}). {@code DFP16} is P = 16: codes in
 * int16. Rounding is to nearest, ties to even; scaling by a power of two is exact, so the only error is that rounding.
 */
public final class DfpQuantizer {
    private DfpQuantizer() {}

    /** The paper's width. */
    public static final int DFP16 = 16;

    /**
     * A DFP tensor: {@code codes} row-major (rows × cols), value {@code codes[i] · 2^exponent}; {@code maxAbs} is
     * {@code max |codes|}.
     */
    public record Dfp(short[] codes, int rows, int cols, int exponent, int maxAbs, int bits) {
        /** {@code codes[i] · 2^exponent} in float32 (exact: |code| < 2^15 fits a float's significand). */
        public FloatMatrix decode() {
            float[] out = new float[codes.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) Math.scalb((double) codes[i], exponent);
            }
            return FloatMatrix.wrap(out, rows, cols);
        }

        /** The largest magnitude of row {@code r}'s codes. */
        public int rowMaxAbs(int r) {
            int m = 0;
            for (int c = r * cols, end = c + cols; c < end; c++) {
                m = Math.max(m, Math.abs(codes[c]));
            }
            return m;
        }
    }

    /** Checks P: 2..16 (codes in int16). */
    public static void checkBits(int bits) {
        if (bits < 2 || bits > 16) {
            throw new LowbitException("dynamic fixed point bits must be in 2..16, got " + bits);
        }
    }

    /** The shared exponent of a tensor whose largest magnitude is {@code maxAbs} (0 for an all-zero tensor). */
    public static int sharedExponent(double maxAbs, int bits) {
        checkBits(bits);
        if (maxAbs == 0) {
            return 0;
        }
        return Math.getExponent(maxAbs) - (bits - 2);
    }

    /** Encodes {@code x} (finite values) as a P-bit DFP tensor; {@code what} names it in error messages. */
    public static Dfp encode(FloatMatrix x, int bits, String what) {
        checkBits(bits);
        int rows = x.rows();
        int cols = x.cols();
        double max = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = x.get(r, c);
                if (!Float.isFinite(v)) {
                    throw new LowbitException(what + ": non-finite value " + v + " at (" + r + ", " + c + ") cannot be encoded as dynamic fixed point");
                }
                max = Math.max(max, Math.abs(v));
            }
        }
        int e = sharedExponent(max, bits);
        int limit = (1 << (bits - 1)) - 1;
        short[] codes = new short[rows * cols];
        int maxCode = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long q = (long) Math.rint(Math.scalb((double) x.get(r, c), -e));
                q = Math.max(-limit, Math.min(limit, q));
                codes[r * cols + c] = (short) q;
                maxCode = Math.max(maxCode, (int) Math.abs(q));
            }
        }
        return new Dfp(codes, rows, cols, e, maxCode, bits);
    }

    /** {@code decode(encode(x))}: x as the DFP tensor holds it. */
    public static FloatMatrix fakeQuantize(FloatMatrix x, int bits, String what) {
        return encode(x, bits, what).decode();
    }
}
