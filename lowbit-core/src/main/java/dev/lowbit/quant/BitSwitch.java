package dev.lowbit.quant;

/**
 * Adaptive bit switching from one stored integer model (the nested "Double Rounding" scheme of Huang et al. 2025,
 * "Nearly Lossless Adaptive Bit Switching"): the weights are stored once as {@code H}-bit codes with one scale per
 * output channel, and a {@code b}-bit weight (b ≤ H) is derived at serve time from the stored codes alone — no float
 * weights are kept.
 *
 * <ul>
 *   <li><b>Store</b> (H bits, per row r): step {@code s_r = max_k |w_rk| / (2^(H−1) − 1)}, code
 *       {@code q_rk = rint(w_rk / s_r)} ∈ [−(2^(H−1) − 1), 2^(H−1) − 1] (absmax, round half to even).
 *   <li><b>Switch</b> to b bits: shift d = H − b; {@code q^b_rk = clamp(rint(q_rk / 2^d), −2^(b−1), 2^(b−1) − 1)}
 *       (the most significant bits with round half to even, the full two's-complement range), step
 *       {@code s_r·2^d}: the scale stays shared, only multiplied by a power of two.
 * </ul>
 * The separately quantized baseline at b bits is {@link #rtn}: the same absmax rule applied to the float weights
 * directly with b bits.
 */
public final class BitSwitch {
    private BitSwitch() {}

    /** Integer codes (row-major, rows × cols) with one step per row: value = code · step[row]. */
    public record Codes(int[] codes, double[] steps, int rows, int cols, int bits) {
        /** The dequantized values, float32. */
        public float[] dequantize() {
            float[] out = new float[codes.length];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    out[r * cols + c] = (float) (codes[r * cols + c] * steps[r]);
                }
            }
            return out;
        }

        /** Packed size: {@code bits} per code plus a float32 step per row. */
        public long packedBytes() {
            return ((long) rows * cols * bits + 7) / 8 + 4L * rows;
        }
    }

    /** Absmax RTN with {@code bits} bits per output channel (row) of the rows × cols matrix {@code w}. */
    public static Codes rtn(float[] w, int rows, int cols, int bits) {
        checkBits(bits);
        int qmax = (1 << (bits - 1)) - 1;
        int[] q = new int[rows * cols];
        double[] steps = new double[rows];
        for (int r = 0; r < rows; r++) {
            double amax = 0;
            for (int c = 0; c < cols; c++) {
                amax = Math.max(amax, Math.abs(w[r * cols + c]));
            }
            // the step rounded to float32, so that a packed store (float32 steps) gives the same values
            double s = amax == 0 ? 1.0 : (float) (amax / qmax);
            steps[r] = s;
            for (int c = 0; c < cols; c++) {
                q[r * cols + c] = (int) Math.max(-qmax, Math.min(qmax, Math.rint(w[r * cols + c] / s)));
            }
        }
        return new Codes(q, steps, rows, cols, bits);
    }

    /** The {@code bits}-bit codes derived from stored codes (class comment: the most significant bits, same scale ·2^d). */
    public static Codes derive(Codes stored, int bits) {
        checkBits(bits);
        if (bits > stored.bits()) {
            throw new IllegalArgumentException("cannot derive " + bits + " bits from " + stored.bits() + "-bit codes");
        }
        int d = stored.bits() - bits;
        int lo = -(1 << (bits - 1));
        int hi = (1 << (bits - 1)) - 1;
        int[] src = stored.codes();
        int[] q = new int[src.length];
        for (int i = 0; i < src.length; i++) {
            q[i] = Math.max(lo, Math.min(hi, shiftRound(src[i], d)));
        }
        double[] steps = new double[stored.rows()];
        for (int r = 0; r < steps.length; r++) {
            steps[r] = Math.scalb(stored.steps()[r], d);
        }
        return new Codes(q, steps, stored.rows(), stored.cols(), bits);
    }

    /** {@code rint(q / 2^d)} in integers: arithmetic shift with round half to even. */
    static int shiftRound(int q, int d) {
        if (d == 0) {
            return q;
        }
        int floor = q >> d;
        int rem = q - (floor << d); // in [0, 2^d)
        int half = 1 << (d - 1);
        if (rem > half || (rem == half && (floor & 1) == 1)) {
            floor++;
        }
        return floor;
    }

    private static void checkBits(int bits) {
        if (bits < 2 || bits > 16) {
            throw new IllegalArgumentException("bits must be in 2..16, got " + bits);
        }
    }
}
