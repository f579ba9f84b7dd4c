package dev.lowbit.unpack;

import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The paper's greedy BOTH strategy (Algorithm 4), run on A with B as partner and then on B with A as
 * partner: while an entry is out of range, split the row or column that holds the most out-of-range
 * entries (ties to row). A row split keeps the low digits in place and appends the high digits as a new
 * row (same source, exponent + 1); a column split does the same along the inner dimension and
 * duplicates the partner's column. Counts are maintained incrementally, so each step costs O(m' + k').
 */
final class GreedyUnpack {
    private final int bits;
    private final long s;
    private final Operand a;
    private final Operand b;
    private final IntList colSource = new IntList();
    private final IntList colExp = new IntList();
    private final int m;
    private final int n;
    private final int k;

    GreedyUnpack(LongMatrix lhs, LongMatrix rhs, int bits) {
        this.bits = bits;
        this.s = Digits.base(bits);
        this.m = lhs.rows();
        this.n = rhs.rows();
        this.k = lhs.cols();
        this.a = new Operand(lhs);
        this.b = new Operand(rhs);
        for (int c = 0; c < k; c++) {
            colSource.add(c);
            colExp.add(0);
        }
    }

    void run() {
        unpackOperand(a, b);
        unpackOperand(b, a);
    }

    private void unpackOperand(Operand x, Operand partner) {
        IntList rcnt = new IntList();
        IntList ccnt = new IntList();
        for (int r = 0; r < x.rows; r++) {
            rcnt.add(0);
        }
        for (int c = 0; c < x.cols.size(); c++) {
            long[] col = x.cols.get(c);
            int cnt = 0;
            for (int r = 0; r < x.rows; r++) {
                if (out(col[r])) {
                    cnt++;
                    rcnt.set(r, rcnt.get(r) + 1);
                }
            }
            ccnt.add(cnt);
        }
        while (true) {
            int iStar = rcnt.argmax();
            int jStar = ccnt.argmax();
            int rMax = iStar < 0 ? 0 : rcnt.get(iStar);
            int cMax = jStar < 0 ? 0 : ccnt.get(jStar);
            if (rMax == 0 && cMax == 0) {
                return;
            }
            if (rMax >= cMax) {
                splitRow(x, iStar, rcnt, ccnt);
            } else {
                splitColumn(x, partner, jStar, rcnt, ccnt);
            }
        }
    }

    private boolean out(long v) {
        return v >= s || v <= -s;
    }

    private void splitRow(Operand x, int i, IntList rcnt, IntList ccnt) {
        int t = x.appendRow(x.rowSource.get(i), x.rowExp.get(i) + 1);
        rcnt.add(0);
        for (int c = 0; c < x.cols.size(); c++) {
            long[] col = x.cols.get(c);
            long v = col[i];
            col[i] = v % s;
            long high = v / s;
            col[t] = high;
            if (out(v)) {
                ccnt.set(c, ccnt.get(c) - 1);
            }
            if (out(high)) {
                ccnt.set(c, ccnt.get(c) + 1);
                rcnt.set(t, rcnt.get(t) + 1);
            }
        }
        rcnt.set(i, 0);
    }

    private void splitColumn(Operand x, Operand partner, int j, IntList rcnt, IntList ccnt) {
        long[] col = x.cols.get(j);
        long[] high = new long[x.capacity];
        int cnt = 0;
        for (int r = 0; r < x.rows; r++) {
            long v = col[r];
            col[r] = v % s;
            high[r] = v / s;
            if (out(v)) {
                rcnt.set(r, rcnt.get(r) - 1);
            }
            if (out(high[r])) {
                rcnt.set(r, rcnt.get(r) + 1);
                cnt++;
            }
        }
        x.cols.add(high);
        partner.cols.add(Arrays.copyOf(partner.cols.get(j), partner.capacity));
        colSource.add(colSource.get(j));
        colExp.add(colExp.get(j) + 1);
        ccnt.set(j, 0);
        ccnt.add(cnt);
    }

    Unpacked result() {
        int kk = colSource.size();
        int[] exp = colExp.toArray();
        int[] order = IntStream.range(0, kk).boxed().sorted(Comparator.comparingInt(c -> exp[c])).mapToInt(Integer::intValue).toArray();
        int[] src = new int[kk];
        int[] sortedExp = new int[kk];
        for (int c = 0; c < kk; c++) {
            src[c] = colSource.get(order[c]);
            sortedExp[c] = exp[order[c]];
        }
        UnpackPlan plan = new UnpackPlan(bits, m, n, k, a.rowSource.toArray(), a.rowExp.toArray(),
                b.rowSource.toArray(), b.rowExp.toArray(), src, sortedExp, Unpacker.groupStarts(sortedExp), UnpackStrategy.BOTH);
        return new Unpacked(a.toMatrix(order), b.toMatrix(order), plan);
    }

    /** One operand stored column by column, each column with room for {@code capacity} rows. */
    private static final class Operand {
        final ArrayList<long[]> cols = new ArrayList<>();
        final IntList rowSource = new IntList();
        final IntList rowExp = new IntList();
        int rows;
        int capacity;

        Operand(LongMatrix x) {
            rows = x.rows();
            capacity = Math.max(4, rows + (rows >> 1));
            for (int c = 0; c < x.cols(); c++) {
                long[] col = new long[capacity];
                for (int r = 0; r < rows; r++) {
                    col[r] = x.get(r, c);
                }
                cols.add(col);
            }
            for (int r = 0; r < rows; r++) {
                rowSource.add(r);
                rowExp.add(0);
            }
        }

        int appendRow(int source, int exp) {
            if (rows == capacity) {
                capacity *= 2;
                cols.replaceAll(col -> Arrays.copyOf(col, capacity));
            }
            rowSource.add(source);
            rowExp.add(exp);
            return rows++;
        }

        IntMatrix toMatrix(int[] columnOrder) {
            IntMatrix out = IntMatrix.zeros(rows, columnOrder.length);
            for (int c = 0; c < columnOrder.length; c++) {
                long[] col = cols.get(columnOrder[c]);
                for (int r = 0; r < rows; r++) {
                    out.set(r, c, (int) col[r]);
                }
            }
            return out;
        }
    }

    /** A growable int array. */
    private static final class IntList {
        private int[] data = new int[16];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        int get(int i) {
            return data[i];
        }

        void set(int i, int v) {
            data[i] = v;
        }

        int size() {
            return size;
        }

        /** Index of the first maximum, or −1 when empty. */
        int argmax() {
            int best = -1;
            for (int i = 0; i < size; i++) {
                if (best < 0 || data[i] > data[best]) {
                    best = i;
                }
            }
            return best;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
