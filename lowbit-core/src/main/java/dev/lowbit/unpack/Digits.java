package dev.lowbit.unpack;

import dev.lowbit.LowbitException;

/**
 * Base-S digit arithmetic for IM-Unpack, S = 2^(b−1). A value v is written as
 * {@code v = Σ_j d_j · S^j} with truncating division, so every digit has the sign of v and
 * |d_j| ≤ S − 1.
 */
public final class Digits {
    public static final int MIN_BITS = 2;
    public static final int MAX_BITS = 16;

    private Digits() {}

    /** Validates a bit-width b ∈ [2, 16]. */
    public static int checkBits(int bits) {
        if (bits < MIN_BITS || bits > MAX_BITS) {
            throw new LowbitException("bits must be in " + MIN_BITS + ".." + MAX_BITS + ", got " + bits);
        }
        return bits;
    }

    /** S = 2^(b−1): the exclusive bound on |digit|. */
    public static long base(int bits) {
        return 1L << (bits - 1);
    }

    /**
     * D(v): 1 when |v| &lt; S, otherwise the number of base-S digits of |v| (integer arithmetic only).
     * {@code absValue} must be non-negative.
     */
    public static int count(long absValue, int bits) {
        int shift = bits - 1;
        int d = 1;
        long v = absValue >>> shift;
        while (v != 0) {
            d++;
            v >>>= shift;
        }
        return d;
    }

    /** Digit j of v (truncating division): {@code trunc(v / S^j) rem S}, with the sign of v. */
    public static long digit(long v, int j, int bits) {
        int shift = (bits - 1) * j;
        if (shift >= 63) {
            return 0;
        }
        long q = v / (1L << shift);
        return q % base(bits);
    }

    /**
     * The same digit as {@link #digit} by shifts and masks: {@code sign(v)·((|v| >> (b−1)·j) & (S − 1))},
     * because truncating division keeps the sign and the remainder of |v| is its low bits. v must not be
     * {@code Long.MIN_VALUE}.
     */
    public static int digitFast(long v, int shift, long mask) {
        if (shift >= 63) {
            return 0;
        }
        long sign = v >> 63; // 0 or −1: branch-free |v| and sign restore
        long d = (((v ^ sign) - sign) >>> shift) & mask;
        return (int) ((d ^ sign) - sign);
    }

    /** {@code v · 2^shift}, or an error when the result does not fit in a long. */
    public static long shiftExact(long v, int shift) {
        if (v == 0 || shift == 0) {
            return v;
        }
        if (shift >= 63) {
            throw overflow();
        }
        long r = v << shift;
        if (r >> shift != v) {
            throw overflow();
        }
        return r;
    }

    static LowbitException overflow() {
        return new LowbitException("int64 accumulator overflow: the exact integer GEMM result does not fit in 64 bits");
    }
}
