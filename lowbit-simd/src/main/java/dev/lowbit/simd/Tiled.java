package dev.lowbit.simd;

import dev.lowbit.Parallel;
import java.util.ArrayList;
import java.util.List;

/**
 * The blocked GEMM driver shared by every element type (Goto/BLIS loop nest). B is packed once, all of
 * it, into column panels (in parallel); then each part of the work (a range of row slivers, or of column
 * panels when m is small) packs A in blocks of {@link #MC} rows and runs the micro-kernel over every
 * (panel, sliver, k-block), panel-outer so that a panel stays in cache across slivers.
 *
 * <p>k is cut into blocks by the engine ({@link Engine#cuts}); the cuts depend only on k (and, for the
 * IM-Unpack fold, on the column groups), never on the thread count or vector width. When a whole row
 * block of A fits in L2 the k-blocks run innermost (a tile gets all its blocks while it is in cache);
 * otherwise k-blocks run outermost. Both orders apply the blocks to each output in ascending order, and
 * every output element is owned by exactly one part: results are identical for any thread count.
 */
final class Tiled {
    /** Rows of A packed per block (MC·k elements stay in L2). */
    static final int MC = 192;
    /** A row block of at most this many bytes counts as fitting in L2. */
    static final int INNER_BYTES = 640 * 1024;

    private Tiled() {}

    /** One GEMM call: the packed B lives in the engine; per-part state lives in a {@link Work}. */
    interface Engine {
        /** Register tile rows. */
        int mr();

        /** Register tile columns (one panel). */
        int nr();

        /** k-block boundaries {0, …, k}. */
        int[] cuts();

        /** Packed units (elements per row of a sliver) before block {@code blk}; the last entry is the total. */
        int units(int blk);

        /** Bytes per packed unit (for the L2 fit test). */
        int unitBytes();

        /** Allocates the packed-B storage for {@code panels} panels. */
        void allocB(int panels);

        /** Packs panel {@code jp} (columns j0 .. j0+cols−1, all blocks). */
        void packB(int jp, int j0, int cols);

        /** Per-part workspace for A blocks of up to {@code slivers} slivers × {@code units} units. */
        Work work(int slivers, int units);

        /** Writes the result of a GEMM with k = 0. */
        void zeroOut();

        /** Whether the work must be split by rows only. */
        default boolean forceRows() {
            return false;
        }

        /** Whether k-blocks must run innermost whatever the size of A. */
        default boolean forceInner() {
            return false;
        }
    }

    interface Work {
        /** Packs blocks [b0, b1) of sliver {@code s} of the current row block (rows i0 .. i0+rows−1). */
        void packA(int s, int i0, int rows, int b0, int b1);

        /**
         * Computes the tile (sliver s × panel jp) over block {@code blk} (A packed as blocks [b0, b1)) and
         * stores it (first block) or adds it.
         */
        void tile(int s, int jp, int blk, int b0, int b1, int i0, int j0, int rows, int cols, boolean first);
    }

    /** Even cuts of [from, to) into blocks of at most kcMax, boundaries at multiples of step from {@code from}. */
    static void evenCuts(List<Integer> cuts, int from, int to, int kcMax, int step) {
        int len = to - from;
        if (len <= 0) {
            return;
        }
        int nb = (len + kcMax - 1) / kcMax;
        int units = (len + step - 1) / step;
        for (int blk = 1; blk < nb; blk++) {
            cuts.add(from + (int) ((long) units * blk / nb) * step);
        }
        cuts.add(to);
    }

    /** Even cuts of [0, k). */
    static int[] evenCuts(int k, int kcMax, int step) {
        List<Integer> c = new ArrayList<>();
        c.add(0);
        evenCuts(c, 0, k, kcMax, step);
        return c.stream().mapToInt(Integer::intValue).toArray();
    }

    static void run(Engine e, int m, int n, int k, int threads) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            e.zeroOut();
            return;
        }
        int mr = e.mr();
        int nr = e.nr();
        int panels = (n + nr - 1) / nr;
        int slivers = (m + mr - 1) / mr;
        e.allocB(panels);
        int parts = Math.max(1, Math.min(threads, Math.max(slivers, panels)));
        int np = Math.min(parts, panels);
        Parallel.forParts(np, t -> {
            for (int jp = panels * t / np; jp < panels * (t + 1) / np; jp++) {
                e.packB(jp, jp * nr, Math.min(nr, n - jp * nr));
            }
        });
        boolean byRows = e.forceRows() || slivers >= 2 * parts || slivers >= panels;
        int nb = e.cuts().length - 1;
        int total = e.units(nb);
        boolean inner = e.forceInner() || (long) MC * total * e.unitBytes() <= INNER_BYTES;
        int span = 0;
        for (int blk = 0; blk < nb; blk++) {
            span = Math.max(span, e.units(blk + 1) - e.units(blk));
        }
        int spanAlloc = inner ? total : span;
        Parallel.forParts(parts, t -> {
            int s0 = byRows ? slivers * t / parts : 0;
            int s1 = byRows ? slivers * (t + 1) / parts : slivers;
            int p0 = byRows ? 0 : panels * t / parts;
            int p1 = byRows ? panels : panels * (t + 1) / parts;
            if (s0 >= s1 || p0 >= p1) {
                return;
            }
            int r0 = s0 * mr;
            int r1 = Math.min(m, s1 * mr);
            int mcSlivers = (Math.min(MC, r1 - r0) + mr - 1) / mr;
            Work w = e.work(mcSlivers, spanAlloc);
            if (inner) {
                for (int ic = r0; ic < r1; ic += mcSlivers * mr) {
                    int ns = Math.min(mcSlivers, (r1 - ic + mr - 1) / mr);
                    for (int s = 0; s < ns; s++) {
                        w.packA(s, ic + s * mr, Math.min(mr, r1 - ic - s * mr), 0, nb);
                    }
                    for (int jp = p0; jp < p1; jp++) {
                        int j0 = jp * nr;
                        int cols = Math.min(nr, n - j0);
                        for (int s = 0; s < ns; s++) {
                            int i0 = ic + s * mr;
                            for (int blk = 0; blk < nb; blk++) {
                                w.tile(s, jp, blk, 0, nb, i0, j0, Math.min(mr, r1 - i0), cols, blk == 0);
                            }
                        }
                    }
                }
            } else {
                for (int blk = 0; blk < nb; blk++) {
                    for (int ic = r0; ic < r1; ic += mcSlivers * mr) {
                        int ns = Math.min(mcSlivers, (r1 - ic + mr - 1) / mr);
                        for (int s = 0; s < ns; s++) {
                            w.packA(s, ic + s * mr, Math.min(mr, r1 - ic - s * mr), blk, blk + 1);
                        }
                        for (int jp = p0; jp < p1; jp++) {
                            int j0 = jp * nr;
                            int cols = Math.min(nr, n - j0);
                            for (int s = 0; s < ns; s++) {
                                int i0 = ic + s * mr;
                                w.tile(s, jp, blk, blk, blk + 1, i0, j0, Math.min(mr, r1 - i0), cols, blk == 0);
                            }
                        }
                    }
                }
            }
        });
    }
}
