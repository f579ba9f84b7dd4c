package dev.lowbit.unpack;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.MatrixLayout;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Unpacks the integer operands of {@code C = A·Bᵀ} (A m×k, B n×k) into b-bit operands (paper
 * Algorithms 1–5, digits by truncation). All strategies give the same folded result; they differ in
 * the unpacked shape m'×n'×k'.
 */
public final class Unpacker {
    private Unpacker() {}

    public static Unpacked unpack(LongMatrix a, LongMatrix b, int bits, UnpackStrategy strategy) {
        Digits.checkBits(bits);
        if (a.cols() != b.cols()) {
            throw new LowbitException("inner dimensions differ: lhs is " + a.shapeString() + ", rhs is " + b.shapeString());
        }
        checkRange(a, "lhs");
        checkRange(b, "rhs");
        return switch (strategy) {
            case ROW -> row(a, b, bits);
            case COLUMN -> column(a, b, bits);
            case BOTH -> both(a, b, bits);
            case AUTO -> auto(a, b, bits);
        };
    }

    private static void checkRange(LongMatrix x, String what) {
        long[] xd = x.data();
        for (int r = 0; r < x.rows(); r++) {
            boolean bad = false;
            int at = x.index(r, 0);
            for (int c = 0; c < x.cols(); c++) {
                bad |= xd[at + c] == Long.MIN_VALUE;
            }
            for (int c = 0; bad && c < x.cols(); c++) {
                if (x.get(r, c) == Long.MIN_VALUE) {
                    throw new LowbitException(what + ": value at (" + r + ", " + c + ") is -2^63, outside the supported code range");
                }
            }
        }
    }

    // ---------------------------------------------------------------- ROW (Algorithm 1 on both operands)

    /** Digit counts D(max_j |x[r,j]|) per row. */
    public static int[] rowDigitCounts(LongMatrix x, int bits) {
        int[] d = new int[x.rows()];
        long[] xd = x.data();
        for (int r = 0; r < x.rows(); r++) {
            long max = 0;
            int at = x.index(r, 0);
            for (int c = 0; c < x.cols(); c++) {
                max = Math.max(max, Math.abs(xd[at + c]));
            }
            d[r] = Digits.count(max, bits);
        }
        return d;
    }

    /** Digit counts D(max_r |x[r,c]|) per column. */
    public static int[] columnDigitCounts(LongMatrix x, int bits) {
        long[] max = new long[x.cols()];
        long[] xd = x.data();
        for (int r = 0; r < x.rows(); r++) {
            int at = x.index(r, 0);
            for (int c = 0; c < x.cols(); c++) {
                max[c] = Math.max(max[c], Math.abs(xd[at + c]));
            }
        }
        int[] d = new int[x.cols()];
        for (int c = 0; c < d.length; c++) {
            d[c] = Digits.count(max[c], bits);
        }
        return d;
    }

    private record RowDigits(IntMatrix low, int[] source, int[] exp) {}

    /**
     * Row r becomes D_r rows: digit 0 of every row first (rows stay in place), then digit 1 of the rows
     * that need it, and so on.
     */
    private static RowDigits rowDigits(LongMatrix x, int bits, String what) {
        int[] d = rowDigitCounts(x, bits);
        long digitRows = 0;
        for (int v : d) {
            digitRows += v;
        }
        MatrixLayout.requireAllocatable("the " + what + " unpacked into digit rows", digitRows, x.cols(), 4, "int32");
        if (digitRows > Integer.MAX_VALUE - 16) {
            throw new LowbitException("the " + what + " unpacked into " + digitRows + " digit rows: too many (at most 2^31 − 17)");
        }
        int total = (int) digitRows;
        int maxD = Arrays.stream(d).max().orElse(1);
        IntMatrix low = IntMatrix.zeros(total, x.cols());
        int[] source = new int[total];
        int[] exp = new int[total];
        int out = 0;
        long[] xd = x.data();
        int[] ld = low.data();
        int k = x.cols();
        long mask = Digits.base(bits) - 1;
        for (int j = 0; j < maxD; j++) {
            int shift = (bits - 1) * j;
            for (int r = 0; r < x.rows(); r++) {
                if (d[r] > j) {
                    source[out] = r;
                    exp[out] = j;
                    int at = x.index(r, 0);
                    int o = out * k;
                    for (int c = 0; c < k; c++) {
                        ld[o + c] = Digits.digitFast(xd[at + c], shift, mask);
                    }
                    out++;
                }
            }
        }
        return new RowDigits(low, source, exp);
    }

    static Unpacked row(LongMatrix a, LongMatrix b, int bits) {
        RowDigits ra = rowDigits(a, bits, "lhs");
        RowDigits rb = rowDigits(b, bits, "rhs");
        int k = a.cols();
        int[] colSource = IntStream.range(0, k).toArray();
        UnpackPlan plan = new UnpackPlan(bits, a.rows(), b.rows(), k, ra.source, ra.exp, rb.source, rb.exp,
                colSource, new int[k], new int[] {0, k}, UnpackStrategy.ROW);
        return new Unpacked(ra.low, rb.low, plan);
    }

    // ---------------------------------------------------------------- COLUMN (Algorithm 2 on both operands)

    static Unpacked column(LongMatrix a, LongMatrix b, int bits) {
        int k = a.cols();
        int[] da = columnDigitCounts(a, bits);
        int[] db = columnDigitCounts(b, bits);
        long pairs = 0;
        for (int c = 0; c < k; c++) {
            pairs += (long) da[c] * db[c];
        }
        // the unpacked operands are m×k' and n×k' int32; check both before the first allocation
        MatrixLayout.requireAllocatable("the rhs unpacked into digit columns", b.rows(), pairs, 4, "int32");
        MatrixLayout.requireAllocatable("the lhs unpacked into digit columns", a.rows(), pairs, 4, "int32");
        int kk = (int) Math.min(pairs, Integer.MAX_VALUE - 16); // a k' beyond this was rejected above unless a side has 0 rows
        if (pairs > kk) {
            throw new LowbitException("the operands unpacked into " + pairs + " digit columns: too many (at most 2^31 − 17)");
        }
        // one column per digit pair (c, p, q), sorted by exponent p + q, then by c, p
        int[] colSource = new int[kk];
        int[] pDigit = new int[kk];
        int[] qDigit = new int[kk];
        int out = 0;
        for (int c = 0; c < k; c++) {
            for (int p = 0; p < da[c]; p++) {
                for (int q = 0; q < db[c]; q++) {
                    colSource[out] = c;
                    pDigit[out] = p;
                    qDigit[out] = q;
                    out++;
                }
            }
        }
        Integer[] order = IntStream.range(0, kk).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt(i -> pDigit[i] + qDigit[i])); // stable: keeps (c, p) order
        int[] src = new int[kk];
        int[] exp = new int[kk];
        int[] ps = new int[kk];
        int[] qs = new int[kk];
        for (int col = 0; col < kk; col++) {
            int i = order[col];
            src[col] = colSource[i];
            exp[col] = pDigit[i] + qDigit[i];
            ps[col] = pDigit[i] * (bits - 1);
            qs[col] = qDigit[i] * (bits - 1);
        }
        IntMatrix la = digitColumns(a, src, ps, bits);
        IntMatrix lb = digitColumns(b, src, qs, bits);
        UnpackPlan plan = new UnpackPlan(bits, a.rows(), b.rows(), k, identity(a.rows()), new int[a.rows()],
                identity(b.rows()), new int[b.rows()], src, exp, groupStarts(exp), UnpackStrategy.COLUMN);
        return new Unpacked(la, lb, plan);
    }

    /** out[r][col] = digit of x[r][src[col]] at bit shift shifts[col], row by row (row-major, one pass). */
    private static IntMatrix digitColumns(LongMatrix x, int[] src, int[] shifts, int bits) {
        int kk = src.length;
        IntMatrix out = IntMatrix.zeros(x.rows(), kk);
        long[] xd = x.data();
        int[] od = out.data();
        long mask = Digits.base(bits) - 1;
        for (int r = 0; r < x.rows(); r++) {
            int at = x.index(r, 0);
            int o = r * kk;
            for (int col = 0; col < kk; col++) {
                od[o + col] = Digits.digitFast(xd[at + src[col]], shifts[col], mask);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- BOTH (Algorithm 4, greedy)

    static Unpacked both(LongMatrix a, LongMatrix b, int bits) {
        GreedyUnpack g = new GreedyUnpack(a, b, bits);
        g.run();
        return g.result();
    }

    // ---------------------------------------------------------------- AUTO

    static Unpacked auto(LongMatrix a, LongMatrix b, int bits) {
        long m = a.rows();
        long n = b.rows();
        long k = a.cols();
        double rowWork = (double) Arrays.stream(rowDigitCounts(a, bits)).asLongStream().sum()
                * Arrays.stream(rowDigitCounts(b, bits)).asLongStream().sum() * k;
        int[] da = columnDigitCounts(a, bits);
        int[] db = columnDigitCounts(b, bits);
        double kk = 0;
        for (int c = 0; c < k; c++) {
            kk += (double) da[c] * db[c];
        }
        double colWork = (double) m * n * kk;
        Unpacked greedy = both(a, b, bits);
        Unpacked best = greedy;
        double bestWork = greedy.plan().work();
        if (rowWork <= bestWork || colWork <= bestWork) {
            best = rowWork <= colWork ? row(a, b, bits) : column(a, b, bits);
        }
        return best;
    }

    // ---------------------------------------------------------------- helpers

    static int[] identity(int n) {
        return IntStream.range(0, n).toArray();
    }

    /** Start index of every run of equal values in a sorted array, plus its length at the end. */
    static int[] groupStarts(int[] sortedExp) {
        int[] starts = new int[sortedExp.length + 1];
        int g = 0;
        for (int i = 0; i < sortedExp.length; i++) {
            if (i == 0 || sortedExp[i] != sortedExp[i - 1]) {
                starts[g++] = i;
            }
        }
        starts[g++] = sortedExp.length;
        if (sortedExp.length == 0) {
            return new int[] {0, 0};
        }
        return Arrays.copyOf(starts, g);
    }
}
