package dev.lowbit.simd;

import static dev.lowbit.simd.Species.D;
import static dev.lowbit.simd.Species.LD;

import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;

/**
 * The wide exact path: integer operands up to 16 bits (|x| ≤ 2^15 − 1) multiplied in float64 lanes.
 * Products are below 2^30 and a k-block has at most {@link #KC_MAX} steps, so every partial sum is an
 * integer below 2^39 ≪ 2^53: every fma is exact. Block sums are widened to int64 and added in int64.
 */
final class F64Gemm {
    static final int MR = F32Gemm.MR == 8 ? 6 : 4;
    static final int NR = 2 * LD;
    static final int KC_MAX = 256;

    private F64Gemm() {}

    static void exactInt(IntMatrix a, IntMatrix b, long maxAbs, LongMatrix out, int threads) {
        if (maxAbs > 32767) {
            throw new IllegalArgumentException("the float64 path takes |x| ≤ 32767, got " + maxAbs);
        }
        Tiled.run(new Eng(a, b, maxAbs, out), a.rows(), b.rows(), a.cols(), threads);
    }

    /**
     * The exact GEMM of int32 operands (nothing unpacked) when the caller guarantees
     * {@code Σ_c max_i |a[i,c]| · max_j |b[j,c]| < 2^53}: then every partial sum of a k-block is an integer below 2^53,
     * which each fma holds exactly, and the block sums are added in int64.
     */
    static void exactWide(IntMatrix a, IntMatrix b, LongMatrix out, int threads) {
        Tiled.run(new Eng(a, b, Integer.MAX_VALUE, out), a.rows(), b.rows(), a.cols(), threads);
    }

    static void pack(IntMatrix x, long maxAbs, double[] dst, int off, int w, int row0, int rows, int p0, int kc) {
        int[] d = x.data();
        int lim = (int) maxAbs;
        for (int t = 0; t < rows; t++) {
            int s = x.index(row0 + t, p0);
            int bad = 0;
            for (int p = 0, o = off + t; p < kc; p++, o += w) {
                int v = d[s + p];
                bad |= lim - Math.abs(v);
                dst[o] = v;
            }
            if (bad < 0) {
                throw Bounds.outOfRange(x, row0 + t, p0, kc, maxAbs);
            }
        }
        if (rows < w) {
            for (int p = 0; p < kc; p++) {
                Arrays.fill(dst, off + p * w + rows, off + p * w + w, 0.0);
            }
        }
    }

    private static final class Eng implements Tiled.Engine {
        final IntMatrix a;
        final IntMatrix b;
        final long maxAbs;
        final LongMatrix out;
        final int k;
        final int[] cuts;
        double[] pb;

        Eng(IntMatrix a, IntMatrix b, long maxAbs, LongMatrix out) {
            this.a = a;
            this.b = b;
            this.maxAbs = maxAbs;
            this.out = out;
            this.k = a.cols();
            this.cuts = Tiled.evenCuts(k, KC_MAX, 1);
        }

        @Override
        public int mr() {
            return MR;
        }

        @Override
        public int nr() {
            return NR;
        }

        @Override
        public int[] cuts() {
            return cuts;
        }

        @Override
        public int units(int blk) {
            return cuts[blk];
        }

        @Override
        public int unitBytes() {
            return 8;
        }

        @Override
        public void allocB(int panels) {
            pb = new double[Math.multiplyExact(panels * NR, k)];
        }

        @Override
        public void packB(int jp, int j0, int cols) {
            pack(b, maxAbs, pb, jp * k * NR, NR, j0, cols, 0, k);
        }

        @Override
        public void zeroOut() {
            for (int i = 0; i < out.rows(); i++) {
                Arrays.fill(out.data(), out.index(i, 0), out.index(i, 0) + out.cols(), 0L);
            }
        }

        @Override
        public Tiled.Work work(int slivers, int units) {
            return new Work(this, new double[slivers * MR * units]);
        }
    }

    private static final class Work implements Tiled.Work {
        final Eng e;
        final double[] pa;
        final double[] tile = new double[MR * NR];

        Work(Eng e, double[] pa) {
            this.e = e;
            this.pa = pa;
        }

        @Override
        public void packA(int s, int i0, int rows, int b0, int b1) {
            int span = e.cuts[b1] - e.cuts[b0];
            pack(e.a, e.maxAbs, pa, s * span * MR, MR, i0, rows, e.cuts[b0], span);
        }

        @Override
        public void tile(int s, int jp, int blk, int b0, int b1, int i0, int j0, int rows, int cols, boolean first) {
            int[] cuts = e.cuts;
            int kc = cuts[blk + 1] - cuts[blk];
            int ao = (s * (cuts[b1] - cuts[b0]) + cuts[blk] - cuts[b0]) * MR;
            int bo = jp * e.k * NR + cuts[blk] * NR;
            LongMatrix o = e.out;
            kernel(pa, ao, e.pb, bo, kc, tile, 0, NR, false);
            long[] d = o.data();
            for (int i = 0; i < rows; i++) {
                int at = o.index(i0 + i, j0);
                for (int j = 0; j < cols; j++) {
                    long v = (long) tile[i * NR + j];
                    d[at + j] = first ? v : d[at + j] + v;
                }
            }
        }
    }

    static void kernel(double[] pa, int ao, double[] pb, int bo, int kc, double[] c, int co, int ldc, boolean add) {
        if (MR == 6) {
            kernel6(pa, ao, pb, bo, kc, c, co, ldc, add);
        } else {
            kernel4(pa, ao, pb, bo, kc, c, co, ldc, add);
        }
    }

    // GENERATED BEGIN (tools/gen_kernels.py)
    /** 4×NR tile: acc = Σ_p fma(a[p·4+i], b[p·NR+j]), p ascending from 0; then stored (or added) at c[co + i·ldc + j]. */
    static void kernel4(double[] pa, int ao, double[] pb, int bo, int kc, double[] c, int co, int ldc, boolean add) {
        DoubleVector c00 = DoubleVector.zero(D), c01 = DoubleVector.zero(D);
        DoubleVector c10 = DoubleVector.zero(D), c11 = DoubleVector.zero(D);
        DoubleVector c20 = DoubleVector.zero(D), c21 = DoubleVector.zero(D);
        DoubleVector c30 = DoubleVector.zero(D), c31 = DoubleVector.zero(D);
        for (int p = 0; p < kc; p++, ao += 4, bo += NR) {
            DoubleVector b0 = DoubleVector.fromArray(D, pb, bo);
            DoubleVector b1 = DoubleVector.fromArray(D, pb, bo + LD);
            DoubleVector a0 = DoubleVector.broadcast(D, pa[ao + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(D, pa[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(D, pa[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(D, pa[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        if (add) {
            c00 = c00.add(DoubleVector.fromArray(D, c, co + 0 * ldc));
            c01 = c01.add(DoubleVector.fromArray(D, c, co + 0 * ldc + LD));
            c10 = c10.add(DoubleVector.fromArray(D, c, co + 1 * ldc));
            c11 = c11.add(DoubleVector.fromArray(D, c, co + 1 * ldc + LD));
            c20 = c20.add(DoubleVector.fromArray(D, c, co + 2 * ldc));
            c21 = c21.add(DoubleVector.fromArray(D, c, co + 2 * ldc + LD));
            c30 = c30.add(DoubleVector.fromArray(D, c, co + 3 * ldc));
            c31 = c31.add(DoubleVector.fromArray(D, c, co + 3 * ldc + LD));
        }
        c00.intoArray(c, co + 0 * ldc);
        c01.intoArray(c, co + 0 * ldc + LD);
        c10.intoArray(c, co + 1 * ldc);
        c11.intoArray(c, co + 1 * ldc + LD);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + LD);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + LD);
    }

    /** 6×NR tile: acc = Σ_p fma(a[p·6+i], b[p·NR+j]), p ascending from 0; then stored (or added) at c[co + i·ldc + j]. */
    static void kernel6(double[] pa, int ao, double[] pb, int bo, int kc, double[] c, int co, int ldc, boolean add) {
        DoubleVector c00 = DoubleVector.zero(D), c01 = DoubleVector.zero(D);
        DoubleVector c10 = DoubleVector.zero(D), c11 = DoubleVector.zero(D);
        DoubleVector c20 = DoubleVector.zero(D), c21 = DoubleVector.zero(D);
        DoubleVector c30 = DoubleVector.zero(D), c31 = DoubleVector.zero(D);
        DoubleVector c40 = DoubleVector.zero(D), c41 = DoubleVector.zero(D);
        DoubleVector c50 = DoubleVector.zero(D), c51 = DoubleVector.zero(D);
        for (int p = 0; p < kc; p++, ao += 6, bo += NR) {
            DoubleVector b0 = DoubleVector.fromArray(D, pb, bo);
            DoubleVector b1 = DoubleVector.fromArray(D, pb, bo + LD);
            DoubleVector a0 = DoubleVector.broadcast(D, pa[ao + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            DoubleVector a1 = DoubleVector.broadcast(D, pa[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            DoubleVector a2 = DoubleVector.broadcast(D, pa[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            DoubleVector a3 = DoubleVector.broadcast(D, pa[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            DoubleVector a4 = DoubleVector.broadcast(D, pa[ao + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            DoubleVector a5 = DoubleVector.broadcast(D, pa[ao + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        if (add) {
            c00 = c00.add(DoubleVector.fromArray(D, c, co + 0 * ldc));
            c01 = c01.add(DoubleVector.fromArray(D, c, co + 0 * ldc + LD));
            c10 = c10.add(DoubleVector.fromArray(D, c, co + 1 * ldc));
            c11 = c11.add(DoubleVector.fromArray(D, c, co + 1 * ldc + LD));
            c20 = c20.add(DoubleVector.fromArray(D, c, co + 2 * ldc));
            c21 = c21.add(DoubleVector.fromArray(D, c, co + 2 * ldc + LD));
            c30 = c30.add(DoubleVector.fromArray(D, c, co + 3 * ldc));
            c31 = c31.add(DoubleVector.fromArray(D, c, co + 3 * ldc + LD));
            c40 = c40.add(DoubleVector.fromArray(D, c, co + 4 * ldc));
            c41 = c41.add(DoubleVector.fromArray(D, c, co + 4 * ldc + LD));
            c50 = c50.add(DoubleVector.fromArray(D, c, co + 5 * ldc));
            c51 = c51.add(DoubleVector.fromArray(D, c, co + 5 * ldc + LD));
        }
        c00.intoArray(c, co + 0 * ldc);
        c01.intoArray(c, co + 0 * ldc + LD);
        c10.intoArray(c, co + 1 * ldc);
        c11.intoArray(c, co + 1 * ldc + LD);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + LD);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + LD);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + LD);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + LD);
    }
    // GENERATED END
}
