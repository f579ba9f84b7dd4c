package dev.lowbit.simd;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.FoldMap;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.Digits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where the exact int32 tiles of an integer GEMM go (one k-block's sums per call): an int64 output, an
 * int32 output, or the IM-Unpack fold straight into the original m×n result (no m'×n' intermediate).
 */
abstract class IntSink {
    /**
     * Adds (or, for the first k-block, stores) the sums of k-block {@code blk}, tile t (row i at t[i·ldt]),
     * at rows i0.., columns j0...
     */
    abstract void tile(int[] t, int ldt, int i0, int j0, int rows, int cols, boolean first, int blk);

    /** The engine's k-block cuts: even blocks of at most kcMax (boundaries at multiples of step). */
    int[] cuts(int k, int kcMax, int step) {
        return Tiled.evenCuts(k, kcMax, step);
    }

    /** Writes the result of a GEMM with k = 0. */
    abstract void zeroOut();

    /** Whether k-blocks must run innermost (a tile receives all its blocks in a row). */
    boolean forceInner() {
        return false;
    }

    /** Whether work must be split by rows only (the fold: rows of one part never share an output row). */
    boolean forceRows() {
        return false;
    }

    static IntSink of(LongMatrix o) {
        return new IntSink() {
            @Override
            void tile(int[] t, int ldt, int i0, int j0, int rows, int cols, boolean first, int blk) {
                for (int i = 0; i < rows; i++) {
                    Widen.row(t, i * ldt, o.data(), o.index(i0 + i, j0), cols, first);
                }
            }

            @Override
            void zeroOut() {
                for (int i = 0; i < o.rows(); i++) {
                    Arrays.fill(o.data(), o.index(i, 0), o.index(i, 0) + o.cols(), 0L);
                }
            }
        };
    }

    /** int32 output: the caller proved that every result fits ({@code Gemm.fitsInt32}), so adds cannot wrap. */
    static IntSink of(IntMatrix o) {
        return new IntSink() {
            @Override
            void tile(int[] t, int ldt, int i0, int j0, int rows, int cols, boolean first, int blk) {
                int[] d = o.data();
                for (int i = 0; i < rows; i++) {
                    int at = o.index(i0 + i, j0);
                    if (first) {
                        System.arraycopy(t, i * ldt, d, at, cols);
                    } else {
                        for (int j = 0; j < cols; j++) {
                            d[at + j] += t[i * ldt + j];
                        }
                    }
                }
            }

            @Override
            void zeroOut() {
                for (int i = 0; i < o.rows(); i++) {
                    Arrays.fill(o.data(), o.index(i, 0), o.index(i, 0) + o.cols(), 0);
                }
            }
        };
    }

    static IntSink fold(FoldMap f, LongMatrix out, int unpackedRows, int unpackedCols) {
        return new Fold(f, out, unpackedRows, unpackedCols);
    }

    /** Group-aligned k-block cuts; blockGroup[blk] receives the group of each block. */
    static int[] groupCuts(FoldMap f, int kcMax, int step, List<Integer> blockGroup) {
        int[] gs = f.colGroupStart();
        List<Integer> c = new ArrayList<>();
        c.add(0);
        for (int grp = 0; grp + 1 < gs.length; grp++) {
            int before = c.size();
            Tiled.evenCuts(c, gs[grp], gs[grp + 1], kcMax, step);
            for (int i = before; i < c.size(); i++) {
                blockGroup.add(grp);
            }
        }
        return c.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Fold and rescale in the epilogue, for folds whose rows are the identity ({@link FoldMap#rowsAreIdentity}):
     * output (i, j) then receives exactly the blocks of tile (i, j), consecutively (k-blocks innermost), so
     * the tile's exact int64 sum Σ_blk t_blk · 2^(shift·e_blk) is kept per thread and, after the last block,
     * written as {@code (float) (sum / (lhsScale[i] · rhsScale[j]))}: no m×n int64 matrix at all.
     */
    static IntSink foldScaled(FoldMap f, double[] lhsScale, double[] rhsScale, FloatMatrix out) {
        return new IntSink() {
            private final ThreadLocal<long[]> acc = new ThreadLocal<>();
            private int[] blockGroup;
            private int last;

            @Override
            int[] cuts(int k, int kcMax, int step) {
                List<Integer> g = new ArrayList<>();
                int[] c = groupCuts(f, kcMax, step, g);
                blockGroup = g.stream().mapToInt(Integer::intValue).toArray();
                last = c.length - 2;
                return c;
            }

            @Override
            boolean forceInner() {
                return true;
            }

            @Override
            void zeroOut() {
                for (int i = 0; i < out.rows(); i++) {
                    Arrays.fill(out.data(), out.index(i, 0), out.index(i, 0) + out.cols(), 0f);
                }
            }

            @Override
            void tile(int[] t, int ldt, int i0, int j0, int rows, int cols, boolean first, int blk) {
                long[] a = acc.get();
                if (a == null || a.length < rows * ldt) {
                    a = new long[Math.max(rows * ldt, 64 * 64)];
                    acc.set(a);
                }
                int s = f.digitShift() * f.groupExp()[blockGroup[blk]];
                for (int i = 0; i < rows; i++) {
                    int o = i * ldt;
                    if (first) {
                        for (int j = 0; j < cols; j++) {
                            a[o + j] = (long) t[o + j] << s;
                        }
                    } else {
                        for (int j = 0; j < cols; j++) {
                            a[o + j] += (long) t[o + j] << s;
                        }
                    }
                }
                if (blk == last) {
                    float[] d = out.data();
                    for (int i = 0; i < rows; i++) {
                        Rescale.row(a, i * ldt, lhsScale[i0 + i], rhsScale, j0, d, out.index(i0 + i, j0), cols);
                    }
                }
            }
        };
    }

    /**
     * The fused IM-Unpack fold. k-blocks never straddle a column group (each block has one exponent).
     * Unpacked rows that share an original row (the digit rows of a heavy row) may sit in different
     * parts, so adds to such rows take a lock per output row stripe; all other rows belong to exactly one
     * part. A tile whose columns map one-to-one onto original columns with exponent 0 (the common case)
     * is folded as a contiguous shifted add.
     */
    private static final class Fold extends IntSink {
        private final FoldMap f;
        private final LongMatrix out;
        private final boolean[] sharedRow;
        private final int plainCols;
        private final Object[] locks = new Object[64];
        private int[] blockGroup;

        Fold(FoldMap f, LongMatrix out, int unpackedRows, int unpackedCols) {
            this.f = f;
            this.out = out;
            int[] count = new int[out.rows()];
            for (int r = 0; r < unpackedRows; r++) {
                count[f.lhsRow()[r]]++;
            }
            sharedRow = new boolean[unpackedRows];
            for (int r = 0; r < unpackedRows; r++) {
                sharedRow[r] = count[f.lhsRow()[r]] > 1;
            }
            int plain = 0;
            while (plain < unpackedCols && f.rhsRow()[plain] == plain && f.rhsExp()[plain] == 0) {
                plain++;
            }
            plainCols = plain;
            for (int i = 0; i < locks.length; i++) {
                locks[i] = new Object();
            }
        }

        @Override
        int[] cuts(int k, int kcMax, int step) {
            List<Integer> g = new ArrayList<>();
            int[] c = groupCuts(f, kcMax, step, g);
            blockGroup = g.stream().mapToInt(Integer::intValue).toArray();
            return c;
        }

        @Override
        boolean forceRows() {
            return true;
        }

        @Override
        void zeroOut() {
            // k = 0 contributes nothing; out is accumulated into
        }

        @Override
        void tile(int[] t, int ldt, int i0, int j0, int rows, int cols, boolean first, int blk) {
            int e = f.groupExp()[blockGroup[blk]];
            for (int i = 0; i < rows; i++) {
                int r = i0 + i;
                if (sharedRow[r]) {
                    synchronized (locks[f.lhsRow()[r] & (locks.length - 1)]) {
                        row(t, i * ldt, r, j0, cols, e);
                    }
                } else {
                    row(t, i * ldt, r, j0, cols, e);
                }
            }
        }

        private void row(int[] t, int to, int r, int j0, int cols, int groupExp) {
            long[] d = out.data();
            int dst = f.lhsRow()[r];
            if (f.overflowFree() && j0 + cols <= plainCols) {
                int s = f.digitShift() * (f.lhsExp()[r] + groupExp);
                int at = out.index(dst, j0);
                for (int j = 0; j < cols; j++) {
                    d[at + j] += (long) t[to + j] << s;
                }
            } else if (f.overflowFree()) {
                for (int j = 0; j < cols; j++) {
                    int c = j0 + j;
                    d[out.index(dst, f.rhsRow()[c])] += (long) t[to + j] << f.shift(r, c, groupExp);
                }
            } else {
                try {
                    for (int j = 0; j < cols; j++) {
                        int c = j0 + j;
                        int at = out.index(dst, f.rhsRow()[c]);
                        d[at] = Math.addExact(d[at], Digits.shiftExact(t[to + j], f.shift(r, c, groupExp)));
                    }
                } catch (ArithmeticException ex) {
                    throw new LowbitException("int64 accumulator overflow in the IM-Unpack fold: the exact integer GEMM result does not fit in 64 bits");
                }
            }
        }
    }
}
