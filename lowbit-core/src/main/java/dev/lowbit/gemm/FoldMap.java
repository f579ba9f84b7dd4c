package dev.lowbit.gemm;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.Digits;

/**
 * Where the product of two unpacked operands lands in the original GEMM (the IM-Unpack fold):
 *
 * <pre>
 *   out[lhsRow[r], rhsRow[t]] += Σ_g P_g[r,t] · 2^(digitShift · (lhsExp[r] + rhsExp[t] + groupExp[g]))
 * </pre>
 *
 * with P_g = A'_g·B'_gᵀ the low-bit product over column group g (columns colGroupStart[g] ..
 * colGroupStart[g+1] − 1 of the unpacked operands). All arithmetic is exact int64 with
 * overflow detection ({@link #apply}); a backend that fuses the fold into its GEMM may skip the checks
 * only when {@link #overflowFree} is set, i.e. when {@link #noOverflowBound} proved that no partial sum
 * can exceed int64.
 *
 * @param lhsRow original row of A for each unpacked row r
 * @param lhsExp digit exponent of unpacked row r
 * @param rhsRow original row of B for each unpacked row t
 * @param rhsExp digit exponent of unpacked row t
 * @param digitShift log2 of the digit base S = 2^(b−1), i.e. b − 1
 * @param colGroupStart start column of each group, plus k' at the end
 * @param groupExp the common digit exponent of each column group
 * @param overflowFree true when no partial sum of the whole fold can exceed int64 (unchecked adds are safe)
 * @param sumBound an upper bound on {@code Σ_c |a_ic|·|b_jc|} of the original codes for every output (i, j), hence on
 *     |C| and on every partial sum of the fold in any order ({@link Double#POSITIVE_INFINITY} when unknown); a backend
 *     may accumulate in int32 where it is below 2^31 ({@link #fitsInt32})
 */
public record FoldMap(int[] lhsRow, int[] lhsExp, int[] rhsRow, int[] rhsExp, int digitShift, int[] colGroupStart,
                      int[] groupExp, boolean overflowFree, double sumBound) {

    /** A fold map with no known sum bound. */
    public FoldMap(int[] lhsRow, int[] lhsExp, int[] rhsRow, int[] rhsExp, int digitShift, int[] colGroupStart, int[] groupExp,
                   boolean overflowFree) {
        this(lhsRow, lhsExp, rhsRow, rhsExp, digitShift, colGroupStart, groupExp, overflowFree, Double.POSITIVE_INFINITY);
    }

    /** This map with {@code bound} as its {@link #sumBound} (e.g. Σ_c maxA_c·maxB_c from the codes' column maxima). */
    public FoldMap withSumBound(double bound) {
        return new FoldMap(lhsRow, lhsExp, rhsRow, rhsExp, digitShift, colGroupStart, groupExp, overflowFree || bound < 0x1p62,
                Math.min(sumBound, bound));
    }

    /** True when every partial sum of the fold provably fits in int32 (the {@link #sumBound} is below 2^31). */
    public boolean fitsInt32() {
        return sumBound < 0x1p31;
    }

    /** The shift for product (r, t) in a group with exponent {@code groupExp}. */
    public int shift(int r, int t, int groupExp) {
        return digitShift * (lhsExp[r] + rhsExp[t] + groupExp);
    }

    /**
     * True when unpacked row r of A is original row r with exponent 0 for all {@code m} rows, and likewise
     * for the {@code n} rows of B (no row unpacking, as with the COLUMN strategy): then each output gets
     * exactly one product per column group.
     */
    public boolean rowsAreIdentity(int m, int n) {
        if (lhsRow.length != m || rhsRow.length != n) {
            return false;
        }
        for (int r = 0; r < m; r++) {
            if (lhsRow[r] != r || lhsExp[r] != 0) {
                return false;
            }
        }
        for (int t = 0; t < n; t++) {
            if (rhsRow[t] != t || rhsExp[t] != 0) {
                return false;
            }
        }
        return true;
    }

    public int groups() {
        return groupExp.length;
    }

    /**
     * True when the whole fold is provably free of int64 overflow: the digits of a code share its sign
     * and |x| = Σ_j |d_j|·S^j, so the absolute values of all fold terms of one output sum to at most
     * Σ_p |a_ip|·|b_jp| ≤ k·max|A|·max|B|; every partial sum is bounded by that.
     */
    public static boolean noOverflowBound(long k, double maxAbsA, double maxAbsB) {
        return (double) k * maxAbsA * maxAbsB < 0x1p62;
    }

    /**
     * Folds the low-bit product {@code p} (m'×n') of group {@code g} into {@code out} with exact,
     * overflow-checked int64 arithmetic.
     */
    public void apply(LongMatrix p, int g, LongMatrix out) {
        try {
            for (int r = 0; r < p.rows(); r++) {
                int row = lhsRow[r];
                for (int t = 0; t < p.cols(); t++) {
                    long v = p.get(r, t);
                    if (v != 0) {
                        int col = rhsRow[t];
                        out.set(row, col, Math.addExact(out.get(row, col), Digits.shiftExact(v, shift(r, t, groupExp[g]))));
                    }
                }
            }
        } catch (ArithmeticException e) {
            throw overflow();
        }
    }

    static LowbitException overflow() {
        return new LowbitException("int64 accumulator overflow in the IM-Unpack fold: the exact integer GEMM result does not fit in 64 bits");
    }
}
