package dev.lowbit.simd;

/**
 * The blocked GEMM driver shared by every element type (Goto/BLIS loop nest). B is packed once, all of
 * it, into column panels (in parallel); then each part of the work (a range of row slivers, or of column
 * panels when m is small) runs, for each k-block, A packing of {@link #MC} rows and the micro-kernel over
 * every (panel, sliver) pair, panel-outer so that a panel stays in cache across slivers.
 *
 * <p>The k-blocks depend only on k and the engine's block bound, never on the thread count or vector
 * width, and every output element is owned by exactly one part: results are identical for any thread
 * count.
 */
final class Tiled {
    /** Rows of A packed per block (MC·KC elements stay in L2). */
    static final int MC = 192;

    private Tiled() {}

    /** One GEMM call: the packed B lives in the engine; per-part state lives in a {@link Work}. */
    interface Engine {
        /** Register tile rows. */
        int mr();

        /** Register tile columns (one panel). */
        int nr();

        /** Largest k-block (k units); a multiple of {@link #kStep()}. */
        int kcMax();

        /** Granularity of k-block boundaries (2 for the int16 pair kernel). */
        default int kStep() {
            return 1;
        }

        /** Allocates the packed-B storage for {@code panels} panels. */
        void allocB(int panels);

        /** Packs panel {@code jp} (columns j0 .. j0+cols−1, all of k). */
        void packB(int jp, int j0, int cols);

        /** Per-part workspace for A blocks of up to {@code slivers} slivers × {@code kc} k. */
        Work work(int slivers, int kc);

        /** Writes zeros to the m×n output (k = 0). */
        void zeroOut();

        /** Whether the work must be split by rows only. */
        default boolean forceRows() {
            return false;
        }
    }

    interface Work {
        /** Packs sliver {@code s} of the current A block: rows i0 .. i0+rows−1, k in [pc, pc+kc). */
        void packA(int s, int i0, int rows, int pc, int kc);

        /** Computes the tile (sliver s × panel jp) over [pc, pc+kc) and stores it (first block) or adds it. */
        void tile(int s, int jp, int pc, int kc, int i0, int j0, int rows, int cols, boolean first);
    }

    /** Block boundary {@code blk} of {@code nb} over k: even split, rounded to a multiple of step. */
    static int kStart(int k, int nb, int blk, int step) {
        if (blk >= nb) {
            return k;
        }
        int units = (k + step - 1) / step;
        return (int) ((long) units * blk / nb) * step;
    }

    static int kBlocks(int k, int kcMax) {
        return k == 0 ? 0 : (k + kcMax - 1) / kcMax;
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
        SimdPool.run(np, t -> {
            for (int jp = panels * t / np; jp < panels * (t + 1) / np; jp++) {
                e.packB(jp, jp * nr, Math.min(nr, n - jp * nr));
            }
        });
        boolean byRows = e.forceRows() || slivers >= 2 * parts || slivers >= panels;
        int nb = kBlocks(k, e.kcMax());
        int step = e.kStep();
        int kcMax = 0;
        for (int blk = 0; blk < nb; blk++) {
            kcMax = Math.max(kcMax, kStart(k, nb, blk + 1, step) - kStart(k, nb, blk, step));
        }
        int kcAlloc = kcMax;
        SimdPool.run(parts, t -> {
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
            Work w = e.work(mcSlivers, kcAlloc);
            for (int blk = 0; blk < nb; blk++) {
                int pc = kStart(k, nb, blk, step);
                int kc = kStart(k, nb, blk + 1, step) - pc;
                for (int ic = r0; ic < r1; ic += mcSlivers * mr) {
                    int ns = Math.min(mcSlivers, (r1 - ic + mr - 1) / mr);
                    for (int s = 0; s < ns; s++) {
                        int i0 = ic + s * mr;
                        w.packA(s, i0, Math.min(mr, r1 - i0), pc, kc);
                    }
                    for (int jp = p0; jp < p1; jp++) {
                        int j0 = jp * nr;
                        int cols = Math.min(nr, n - j0);
                        for (int s = 0; s < ns; s++) {
                            int i0 = ic + s * mr;
                            w.tile(s, jp, pc, kc, i0, j0, Math.min(mr, r1 - i0), cols, blk == 0);
                        }
                    }
                }
            }
        });
    }
}
