package dev.lowbit.simd;

import static dev.lowbit.simd.Species.I;
import static dev.lowbit.simd.Species.LF;
import static dev.lowbit.simd.Species.S;

import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.IntMatrix;
import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Exact integer GEMM in 16-bit lanes for small operands (|x| ≤ M, M = 2^(b−1) − 1), on the
 * {@link Tiled} driver — a {@code pmaddwd} built from {@code vpmullw} + {@code vpaddw}, which the
 * Vector API lacks.
 *
 * <p>Layout: k is taken in pairs. A sliver packs {@code (a[i,2q] & 0xFFFF) | a[i,2q+1] << 16} as one
 * int per (q, i); a B panel packs shorts {@code b[j,2q], b[j,2q+1]} side by side per (q, j). Broadcasting
 * the int and reinterpreting it as shorts puts a[i,2q] under b[j,2q] and a[i,2q+1] under b[j,2q+1], so one
 * 16-bit multiply-add handles two k steps for {@code LF} columns.
 *
 * <p><b>Exactness</b>: each 16-bit lane accumulates one product per k-pair, |a·b| ≤ M². A k-block has at
 * most {@code Q = floor((2^15 − 1) / M²)} pairs, so every lane's partial sum stays in [−(2^15 − 1), 2^15 − 1]
 * and the wrapping 16-bit arithmetic never wraps. At the end of the block each int lane j holds the even
 * sum in its low half and the odd sum in its high half; sign-extending both ({@code (x << 16) >> 16} and
 * {@code x >> 16}) and adding gives the exact block sum (int32), which is widened to int64 and added to the output.
 * Q is 32767, 3640, 668, 145, 34 pairs for b = 2..6 (b = 7 gives 8, b = 8 gives 2: those use float lanes).
 */
final class I16Gemm {
    /** Register tile rows (same register budget as the float kernel). */
    static final int MR = Species.MR;
    /** Vectors per tile row (8×3 and 12×2 measured slower than 8×2 on Zen 4). */
    static final int NV = 2;
    /** Register tile columns: NV int-lane vectors. */
    static final int NR = NV * LF;
    /** Largest k-block in pairs. */
    static final int KQ_MAX = 256;

    private I16Gemm() {}

    /** Pairs per k-block for |x| ≤ maxAbs: floor(32767 / maxAbs²), at most {@link #KQ_MAX}; 0 if impossible. */
    static int pairBlock(long maxAbs) {
        return (int) Math.min(KQ_MAX, maxAbs == 0 ? KQ_MAX : 32767 / (maxAbs * maxAbs));
    }

    /** Exact a·bᵀ for |x| ≤ maxAbs (maxAbs ≤ 181), tiles sent to {@code out}. */
    static void exactInt(IntMatrix a, IntMatrix b, long maxAbs, IntSink out, int threads) {
        int q = pairBlock(maxAbs);
        if (q < 1) {
            throw new IllegalArgumentException("operands with |x| ≤ " + maxAbs + " cannot be multiplied exactly in 16-bit lanes");
        }
        Tiled.run(new Eng(a, b, null, maxAbs, 2 * q, out), a.rows(), b.rows(), a.cols(), threads);
    }

    /** As above with b's int8 codes (packed storage) read as they are. */
    static void exactInt(IntMatrix a, ByteMatrix b, long maxAbs, IntSink out, int threads) {
        int q = pairBlock(maxAbs);
        if (q < 1) {
            throw new IllegalArgumentException("operands with |x| ≤ " + maxAbs + " cannot be multiplied exactly in 16-bit lanes");
        }
        Tiled.run(new Eng(a, null, b, maxAbs, 2 * q, out), a.rows(), b.rows(), a.cols(), threads);
    }

    /** dst[off + q·MR + t] = pair (x[row0+t, p0+2q], x[row0+t, p0+2q+1]) as one int; rows ≥ rows and k ≥ kc are 0. */
    static void packPairs(IntMatrix x, long maxAbs, int[] dst, int off, int w, int row0, int rows, int p0, int kc) {
        int[] d = x.data();
        int lim = (int) maxAbs;
        int kq = (kc + 1) / 2;
        int even = kc & ~1;
        for (int t = 0; t < rows; t++) {
            int s = x.index(row0 + t, p0);
            int bad = 0;
            int o = off + t;
            for (int p = 0; p < even; p += 2, o += w) {
                int lo = d[s + p];
                int hi = d[s + p + 1];
                bad |= (lim - Math.abs(lo)) | (lim - Math.abs(hi));
                dst[o] = (lo & 0xFFFF) | (hi << 16);
            }
            if (even < kc) {
                int lo = d[s + even];
                bad |= lim - Math.abs(lo);
                dst[o] = lo & 0xFFFF;
            }
            if (bad < 0) {
                throw Bounds.outOfRange(x, row0 + t, p0, kc, maxAbs);
            }
        }
        if (rows < w) {
            for (int q = 0; q < kq; q++) {
                Arrays.fill(dst, off + q * w + rows, off + q * w + w, 0);
            }
        }
    }

    /** dst[off + q·2w + 2t + h] = x[row0+t, p0+2q+h] as a short; padding is 0. */
    static void packShorts(IntMatrix x, long maxAbs, short[] dst, int off, int w, int row0, int rows, int p0, int kc) {
        int[] d = x.data();
        int lim = (int) maxAbs;
        int kq = (kc + 1) / 2;
        for (int t = 0; t < rows; t++) {
            int s = x.index(row0 + t, p0);
            int bad = 0;
            for (int p = 0; p < kc; p++) {
                int v = d[s + p];
                bad |= lim - Math.abs(v);
                dst[off + (p >> 1) * 2 * w + 2 * t + (p & 1)] = (short) v;
            }
            if ((kc & 1) != 0) {
                dst[off + (kc >> 1) * 2 * w + 2 * t + 1] = 0;
            }
            if (bad < 0) {
                throw Bounds.outOfRange(x, row0 + t, p0, kc, maxAbs);
            }
        }
        if (rows < w) {
            for (int q = 0; q < kq; q++) {
                Arrays.fill(dst, off + q * 2 * w + 2 * rows, off + q * 2 * w + 2 * w, (short) 0);
            }
        }
    }

    /** As {@link #packShorts(IntMatrix, long, short[], int, int, int, int, int, int)} from int8 codes. */
    static void packShorts(ByteMatrix x, long maxAbs, short[] dst, int off, int w, int row0, int rows, int p0, int kc) {
        byte[] d = x.data();
        int lim = (int) maxAbs;
        int kq = (kc + 1) / 2;
        for (int t = 0; t < rows; t++) {
            int s = x.index(row0 + t, p0);
            int bad = 0;
            for (int p = 0; p < kc; p++) {
                int v = d[s + p];
                bad |= lim - Math.abs(v);
                dst[off + (p >> 1) * 2 * w + 2 * t + (p & 1)] = (short) v;
            }
            if ((kc & 1) != 0) {
                dst[off + (kc >> 1) * 2 * w + 2 * t + 1] = 0;
            }
            if (bad < 0) {
                throw Bounds.outOfRange(x, row0 + t, p0, kc, maxAbs);
            }
        }
        if (rows < w) {
            for (int q = 0; q < kq; q++) {
                Arrays.fill(dst, off + q * 2 * w + 2 * rows, off + q * 2 * w + 2 * w, (short) 0);
            }
        }
    }

    private static final class Eng implements Tiled.Engine {
        final IntMatrix a;
        /** B as int32, or null when it is given as int8 ({@link #bBytes}). */
        final IntMatrix b;
        final ByteMatrix bBytes;
        final long maxAbs;
        final IntSink out;
        final int[] cuts;
        /** Pairs before each block: every block is packed as ceil(kc/2) pairs on its own. */
        final int[] qOff;
        short[] pb;

        Eng(IntMatrix a, IntMatrix b, ByteMatrix bBytes, long maxAbs, int kcMax, IntSink out) {
            this.a = a;
            this.b = b;
            this.bBytes = bBytes;
            this.maxAbs = maxAbs;
            this.out = out;
            this.cuts = out.cuts(a.cols(), kcMax, 2);
            this.qOff = new int[cuts.length];
            for (int blk = 0; blk + 1 < cuts.length; blk++) {
                qOff[blk + 1] = qOff[blk] + (cuts[blk + 1] - cuts[blk] + 1) / 2;
            }
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
            return qOff[blk];
        }

        @Override
        public int unitBytes() {
            return 4;
        }

        @Override
        public void allocB(int panels) {
            pb = new short[Math.multiplyExact(panels * 2 * NR, qOff[qOff.length - 1])];
        }

        @Override
        public void packB(int jp, int j0, int cols) {
            int base = jp * qOff[qOff.length - 1] * 2 * NR;
            for (int blk = 0; blk + 1 < cuts.length; blk++) {
                int off = base + qOff[blk] * 2 * NR;
                int kc = cuts[blk + 1] - cuts[blk];
                if (b != null) {
                    packShorts(b, maxAbs, pb, off, NR, j0, cols, cuts[blk], kc);
                } else {
                    packShorts(bBytes, maxAbs, pb, off, NR, j0, cols, cuts[blk], kc);
                }
            }
        }

        @Override
        public void zeroOut() {
            out.zeroOut();
        }

        @Override
        public boolean forceRows() {
            return out.forceRows();
        }

        @Override
        public boolean forceInner() {
            return out.forceInner();
        }

        @Override
        public Tiled.Work work(int slivers, int units) {
            return new Work(this, new int[slivers * MR * units]);
        }
    }

    private static final class Work implements Tiled.Work {
        final Eng e;
        final int[] pa;
        final short[] raw = new short[MR * 2 * NR];
        final int[] tile = new int[MR * NR];

        Work(Eng e, int[] pa) {
            this.e = e;
            this.pa = pa;
        }

        @Override
        public void packA(int s, int i0, int rows, int b0, int b1) {
            int[] q = e.qOff;
            int base = s * (q[b1] - q[b0]) * MR;
            for (int blk = b0; blk < b1; blk++) {
                packPairs(e.a, e.maxAbs, pa, base + (q[blk] - q[b0]) * MR, MR, i0, rows, e.cuts[blk], e.cuts[blk + 1] - e.cuts[blk]);
            }
        }

        @Override
        public void tile(int s, int jp, int blk, int b0, int b1, int i0, int j0, int rows, int cols, boolean first) {
            int[] q = e.qOff;
            int kqb = q[blk + 1] - q[blk];
            int ao = (s * (q[b1] - q[b0]) + q[blk] - q[b0]) * MR;
            int bo = (jp * q[q.length - 1] + q[blk]) * 2 * NR;
            kernel(pa, ao, e.pb, bo, kqb, raw, 0, 2 * NR);
            pairSums(raw, tile, MR * NR);
            e.out.tile(tile, NR, i0, j0, rows, cols, first, blk);
        }
    }

    static void kernel(int[] pa, int ao, short[] pb, int bo, int kq, short[] c, int co, int ldc) {
        if (MR == 8 && NV == 3) {
            kernel8x3(pa, ao, pb, bo, kq, c, co, ldc);
        } else if (MR == 12) {
            kernel12x2(pa, ao, pb, bo, kq, c, co, ldc);
        } else if (MR == 8) {
            kernel8x2(pa, ao, pb, bo, kq, c, co, ldc);
        } else if (MR == 6) {
            kernel6x2(pa, ao, pb, bo, kq, c, co, ldc);
        } else {
            kernel4x2(pa, ao, pb, bo, kq, c, co, ldc);
        }
    }

    /**
     * t[j] = raw[2j] + raw[2j+1] (sign-extended 16-bit halves of int lane j) for j &lt; n: the even-k and
     * odd-k sums of one output.
     */
    static void pairSums(short[] raw, int[] t, int n) {
        int j = 0;
        for (; j <= n - LF; j += LF) {
            IntVector x = ShortVector.fromArray(S, raw, 2 * j).reinterpretAsInts();
            x.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(x.lanewise(VectorOperators.ASHR, 16)).intoArray(t, j);
        }
        for (; j < n; j++) {
            t[j] = raw[2 * j] + raw[2 * j + 1];
        }
    }

    // GENERATED BEGIN (tools/gen_kernels.py)
    /**
     * 4×(2·LF) tile over kq k-pairs: 16-bit lanes hold Σ a·b for even and odd k separately (exact
     * while kq·max|a·b| ≤ 2^15 − 1, the caller's chunk bound); the raw 16-bit accumulators are stored at
     * c[co + i·ldc ..] (2·NR shorts per row) for {@link #pairSums}.
     */
    static void kernel4x2(int[] pa, int ao, short[] pb, int bo, int kq, short[] c, int co, int ldc) {
        ShortVector c00 = ShortVector.zero(S), c01 = ShortVector.zero(S);
        ShortVector c10 = ShortVector.zero(S), c11 = ShortVector.zero(S);
        ShortVector c20 = ShortVector.zero(S), c21 = ShortVector.zero(S);
        ShortVector c30 = ShortVector.zero(S), c31 = ShortVector.zero(S);
        for (int q = 0; q < kq; q++, ao += 4, bo += 4 * LF) {
            ShortVector b0 = ShortVector.fromArray(S, pb, bo + 0 * LF);
            ShortVector b1 = ShortVector.fromArray(S, pb, bo + 2 * LF);
            ShortVector a0 = IntVector.broadcast(I, pa[ao + 0]).reinterpretAsShorts();
            c00 = c00.add(a0.mul(b0));
            c01 = c01.add(a0.mul(b1));
            ShortVector a1 = IntVector.broadcast(I, pa[ao + 1]).reinterpretAsShorts();
            c10 = c10.add(a1.mul(b0));
            c11 = c11.add(a1.mul(b1));
            ShortVector a2 = IntVector.broadcast(I, pa[ao + 2]).reinterpretAsShorts();
            c20 = c20.add(a2.mul(b0));
            c21 = c21.add(a2.mul(b1));
            ShortVector a3 = IntVector.broadcast(I, pa[ao + 3]).reinterpretAsShorts();
            c30 = c30.add(a3.mul(b0));
            c31 = c31.add(a3.mul(b1));
        }
        c00.intoArray(c, co + 0 * ldc + 0 * LF);
        c01.intoArray(c, co + 0 * ldc + 2 * LF);
        c10.intoArray(c, co + 1 * ldc + 0 * LF);
        c11.intoArray(c, co + 1 * ldc + 2 * LF);
        c20.intoArray(c, co + 2 * ldc + 0 * LF);
        c21.intoArray(c, co + 2 * ldc + 2 * LF);
        c30.intoArray(c, co + 3 * ldc + 0 * LF);
        c31.intoArray(c, co + 3 * ldc + 2 * LF);
    }

    /**
     * 6×(2·LF) tile over kq k-pairs: 16-bit lanes hold Σ a·b for even and odd k separately (exact
     * while kq·max|a·b| ≤ 2^15 − 1, the caller's chunk bound); the raw 16-bit accumulators are stored at
     * c[co + i·ldc ..] (2·NR shorts per row) for {@link #pairSums}.
     */
    static void kernel6x2(int[] pa, int ao, short[] pb, int bo, int kq, short[] c, int co, int ldc) {
        ShortVector c00 = ShortVector.zero(S), c01 = ShortVector.zero(S);
        ShortVector c10 = ShortVector.zero(S), c11 = ShortVector.zero(S);
        ShortVector c20 = ShortVector.zero(S), c21 = ShortVector.zero(S);
        ShortVector c30 = ShortVector.zero(S), c31 = ShortVector.zero(S);
        ShortVector c40 = ShortVector.zero(S), c41 = ShortVector.zero(S);
        ShortVector c50 = ShortVector.zero(S), c51 = ShortVector.zero(S);
        for (int q = 0; q < kq; q++, ao += 6, bo += 4 * LF) {
            ShortVector b0 = ShortVector.fromArray(S, pb, bo + 0 * LF);
            ShortVector b1 = ShortVector.fromArray(S, pb, bo + 2 * LF);
            ShortVector a0 = IntVector.broadcast(I, pa[ao + 0]).reinterpretAsShorts();
            c00 = c00.add(a0.mul(b0));
            c01 = c01.add(a0.mul(b1));
            ShortVector a1 = IntVector.broadcast(I, pa[ao + 1]).reinterpretAsShorts();
            c10 = c10.add(a1.mul(b0));
            c11 = c11.add(a1.mul(b1));
            ShortVector a2 = IntVector.broadcast(I, pa[ao + 2]).reinterpretAsShorts();
            c20 = c20.add(a2.mul(b0));
            c21 = c21.add(a2.mul(b1));
            ShortVector a3 = IntVector.broadcast(I, pa[ao + 3]).reinterpretAsShorts();
            c30 = c30.add(a3.mul(b0));
            c31 = c31.add(a3.mul(b1));
            ShortVector a4 = IntVector.broadcast(I, pa[ao + 4]).reinterpretAsShorts();
            c40 = c40.add(a4.mul(b0));
            c41 = c41.add(a4.mul(b1));
            ShortVector a5 = IntVector.broadcast(I, pa[ao + 5]).reinterpretAsShorts();
            c50 = c50.add(a5.mul(b0));
            c51 = c51.add(a5.mul(b1));
        }
        c00.intoArray(c, co + 0 * ldc + 0 * LF);
        c01.intoArray(c, co + 0 * ldc + 2 * LF);
        c10.intoArray(c, co + 1 * ldc + 0 * LF);
        c11.intoArray(c, co + 1 * ldc + 2 * LF);
        c20.intoArray(c, co + 2 * ldc + 0 * LF);
        c21.intoArray(c, co + 2 * ldc + 2 * LF);
        c30.intoArray(c, co + 3 * ldc + 0 * LF);
        c31.intoArray(c, co + 3 * ldc + 2 * LF);
        c40.intoArray(c, co + 4 * ldc + 0 * LF);
        c41.intoArray(c, co + 4 * ldc + 2 * LF);
        c50.intoArray(c, co + 5 * ldc + 0 * LF);
        c51.intoArray(c, co + 5 * ldc + 2 * LF);
    }

    /**
     * 8×(2·LF) tile over kq k-pairs: 16-bit lanes hold Σ a·b for even and odd k separately (exact
     * while kq·max|a·b| ≤ 2^15 − 1, the caller's chunk bound); the raw 16-bit accumulators are stored at
     * c[co + i·ldc ..] (2·NR shorts per row) for {@link #pairSums}.
     */
    static void kernel8x2(int[] pa, int ao, short[] pb, int bo, int kq, short[] c, int co, int ldc) {
        ShortVector c00 = ShortVector.zero(S), c01 = ShortVector.zero(S);
        ShortVector c10 = ShortVector.zero(S), c11 = ShortVector.zero(S);
        ShortVector c20 = ShortVector.zero(S), c21 = ShortVector.zero(S);
        ShortVector c30 = ShortVector.zero(S), c31 = ShortVector.zero(S);
        ShortVector c40 = ShortVector.zero(S), c41 = ShortVector.zero(S);
        ShortVector c50 = ShortVector.zero(S), c51 = ShortVector.zero(S);
        ShortVector c60 = ShortVector.zero(S), c61 = ShortVector.zero(S);
        ShortVector c70 = ShortVector.zero(S), c71 = ShortVector.zero(S);
        for (int q = 0; q < kq; q++, ao += 8, bo += 4 * LF) {
            ShortVector b0 = ShortVector.fromArray(S, pb, bo + 0 * LF);
            ShortVector b1 = ShortVector.fromArray(S, pb, bo + 2 * LF);
            ShortVector a0 = IntVector.broadcast(I, pa[ao + 0]).reinterpretAsShorts();
            c00 = c00.add(a0.mul(b0));
            c01 = c01.add(a0.mul(b1));
            ShortVector a1 = IntVector.broadcast(I, pa[ao + 1]).reinterpretAsShorts();
            c10 = c10.add(a1.mul(b0));
            c11 = c11.add(a1.mul(b1));
            ShortVector a2 = IntVector.broadcast(I, pa[ao + 2]).reinterpretAsShorts();
            c20 = c20.add(a2.mul(b0));
            c21 = c21.add(a2.mul(b1));
            ShortVector a3 = IntVector.broadcast(I, pa[ao + 3]).reinterpretAsShorts();
            c30 = c30.add(a3.mul(b0));
            c31 = c31.add(a3.mul(b1));
            ShortVector a4 = IntVector.broadcast(I, pa[ao + 4]).reinterpretAsShorts();
            c40 = c40.add(a4.mul(b0));
            c41 = c41.add(a4.mul(b1));
            ShortVector a5 = IntVector.broadcast(I, pa[ao + 5]).reinterpretAsShorts();
            c50 = c50.add(a5.mul(b0));
            c51 = c51.add(a5.mul(b1));
            ShortVector a6 = IntVector.broadcast(I, pa[ao + 6]).reinterpretAsShorts();
            c60 = c60.add(a6.mul(b0));
            c61 = c61.add(a6.mul(b1));
            ShortVector a7 = IntVector.broadcast(I, pa[ao + 7]).reinterpretAsShorts();
            c70 = c70.add(a7.mul(b0));
            c71 = c71.add(a7.mul(b1));
        }
        c00.intoArray(c, co + 0 * ldc + 0 * LF);
        c01.intoArray(c, co + 0 * ldc + 2 * LF);
        c10.intoArray(c, co + 1 * ldc + 0 * LF);
        c11.intoArray(c, co + 1 * ldc + 2 * LF);
        c20.intoArray(c, co + 2 * ldc + 0 * LF);
        c21.intoArray(c, co + 2 * ldc + 2 * LF);
        c30.intoArray(c, co + 3 * ldc + 0 * LF);
        c31.intoArray(c, co + 3 * ldc + 2 * LF);
        c40.intoArray(c, co + 4 * ldc + 0 * LF);
        c41.intoArray(c, co + 4 * ldc + 2 * LF);
        c50.intoArray(c, co + 5 * ldc + 0 * LF);
        c51.intoArray(c, co + 5 * ldc + 2 * LF);
        c60.intoArray(c, co + 6 * ldc + 0 * LF);
        c61.intoArray(c, co + 6 * ldc + 2 * LF);
        c70.intoArray(c, co + 7 * ldc + 0 * LF);
        c71.intoArray(c, co + 7 * ldc + 2 * LF);
    }

    /**
     * 8×(3·LF) tile over kq k-pairs: 16-bit lanes hold Σ a·b for even and odd k separately (exact
     * while kq·max|a·b| ≤ 2^15 − 1, the caller's chunk bound); the raw 16-bit accumulators are stored at
     * c[co + i·ldc ..] (2·NR shorts per row) for {@link #pairSums}.
     */
    static void kernel8x3(int[] pa, int ao, short[] pb, int bo, int kq, short[] c, int co, int ldc) {
        ShortVector c00 = ShortVector.zero(S), c01 = ShortVector.zero(S), c02 = ShortVector.zero(S);
        ShortVector c10 = ShortVector.zero(S), c11 = ShortVector.zero(S), c12 = ShortVector.zero(S);
        ShortVector c20 = ShortVector.zero(S), c21 = ShortVector.zero(S), c22 = ShortVector.zero(S);
        ShortVector c30 = ShortVector.zero(S), c31 = ShortVector.zero(S), c32 = ShortVector.zero(S);
        ShortVector c40 = ShortVector.zero(S), c41 = ShortVector.zero(S), c42 = ShortVector.zero(S);
        ShortVector c50 = ShortVector.zero(S), c51 = ShortVector.zero(S), c52 = ShortVector.zero(S);
        ShortVector c60 = ShortVector.zero(S), c61 = ShortVector.zero(S), c62 = ShortVector.zero(S);
        ShortVector c70 = ShortVector.zero(S), c71 = ShortVector.zero(S), c72 = ShortVector.zero(S);
        for (int q = 0; q < kq; q++, ao += 8, bo += 6 * LF) {
            ShortVector b0 = ShortVector.fromArray(S, pb, bo + 0 * LF);
            ShortVector b1 = ShortVector.fromArray(S, pb, bo + 2 * LF);
            ShortVector b2 = ShortVector.fromArray(S, pb, bo + 4 * LF);
            ShortVector a0 = IntVector.broadcast(I, pa[ao + 0]).reinterpretAsShorts();
            c00 = c00.add(a0.mul(b0));
            c01 = c01.add(a0.mul(b1));
            c02 = c02.add(a0.mul(b2));
            ShortVector a1 = IntVector.broadcast(I, pa[ao + 1]).reinterpretAsShorts();
            c10 = c10.add(a1.mul(b0));
            c11 = c11.add(a1.mul(b1));
            c12 = c12.add(a1.mul(b2));
            ShortVector a2 = IntVector.broadcast(I, pa[ao + 2]).reinterpretAsShorts();
            c20 = c20.add(a2.mul(b0));
            c21 = c21.add(a2.mul(b1));
            c22 = c22.add(a2.mul(b2));
            ShortVector a3 = IntVector.broadcast(I, pa[ao + 3]).reinterpretAsShorts();
            c30 = c30.add(a3.mul(b0));
            c31 = c31.add(a3.mul(b1));
            c32 = c32.add(a3.mul(b2));
            ShortVector a4 = IntVector.broadcast(I, pa[ao + 4]).reinterpretAsShorts();
            c40 = c40.add(a4.mul(b0));
            c41 = c41.add(a4.mul(b1));
            c42 = c42.add(a4.mul(b2));
            ShortVector a5 = IntVector.broadcast(I, pa[ao + 5]).reinterpretAsShorts();
            c50 = c50.add(a5.mul(b0));
            c51 = c51.add(a5.mul(b1));
            c52 = c52.add(a5.mul(b2));
            ShortVector a6 = IntVector.broadcast(I, pa[ao + 6]).reinterpretAsShorts();
            c60 = c60.add(a6.mul(b0));
            c61 = c61.add(a6.mul(b1));
            c62 = c62.add(a6.mul(b2));
            ShortVector a7 = IntVector.broadcast(I, pa[ao + 7]).reinterpretAsShorts();
            c70 = c70.add(a7.mul(b0));
            c71 = c71.add(a7.mul(b1));
            c72 = c72.add(a7.mul(b2));
        }
        c00.intoArray(c, co + 0 * ldc + 0 * LF);
        c01.intoArray(c, co + 0 * ldc + 2 * LF);
        c02.intoArray(c, co + 0 * ldc + 4 * LF);
        c10.intoArray(c, co + 1 * ldc + 0 * LF);
        c11.intoArray(c, co + 1 * ldc + 2 * LF);
        c12.intoArray(c, co + 1 * ldc + 4 * LF);
        c20.intoArray(c, co + 2 * ldc + 0 * LF);
        c21.intoArray(c, co + 2 * ldc + 2 * LF);
        c22.intoArray(c, co + 2 * ldc + 4 * LF);
        c30.intoArray(c, co + 3 * ldc + 0 * LF);
        c31.intoArray(c, co + 3 * ldc + 2 * LF);
        c32.intoArray(c, co + 3 * ldc + 4 * LF);
        c40.intoArray(c, co + 4 * ldc + 0 * LF);
        c41.intoArray(c, co + 4 * ldc + 2 * LF);
        c42.intoArray(c, co + 4 * ldc + 4 * LF);
        c50.intoArray(c, co + 5 * ldc + 0 * LF);
        c51.intoArray(c, co + 5 * ldc + 2 * LF);
        c52.intoArray(c, co + 5 * ldc + 4 * LF);
        c60.intoArray(c, co + 6 * ldc + 0 * LF);
        c61.intoArray(c, co + 6 * ldc + 2 * LF);
        c62.intoArray(c, co + 6 * ldc + 4 * LF);
        c70.intoArray(c, co + 7 * ldc + 0 * LF);
        c71.intoArray(c, co + 7 * ldc + 2 * LF);
        c72.intoArray(c, co + 7 * ldc + 4 * LF);
    }

    /**
     * 12×(2·LF) tile over kq k-pairs: 16-bit lanes hold Σ a·b for even and odd k separately (exact
     * while kq·max|a·b| ≤ 2^15 − 1, the caller's chunk bound); the raw 16-bit accumulators are stored at
     * c[co + i·ldc ..] (2·NR shorts per row) for {@link #pairSums}.
     */
    static void kernel12x2(int[] pa, int ao, short[] pb, int bo, int kq, short[] c, int co, int ldc) {
        ShortVector c00 = ShortVector.zero(S), c01 = ShortVector.zero(S);
        ShortVector c10 = ShortVector.zero(S), c11 = ShortVector.zero(S);
        ShortVector c20 = ShortVector.zero(S), c21 = ShortVector.zero(S);
        ShortVector c30 = ShortVector.zero(S), c31 = ShortVector.zero(S);
        ShortVector c40 = ShortVector.zero(S), c41 = ShortVector.zero(S);
        ShortVector c50 = ShortVector.zero(S), c51 = ShortVector.zero(S);
        ShortVector c60 = ShortVector.zero(S), c61 = ShortVector.zero(S);
        ShortVector c70 = ShortVector.zero(S), c71 = ShortVector.zero(S);
        ShortVector c80 = ShortVector.zero(S), c81 = ShortVector.zero(S);
        ShortVector c90 = ShortVector.zero(S), c91 = ShortVector.zero(S);
        ShortVector c100 = ShortVector.zero(S), c101 = ShortVector.zero(S);
        ShortVector c110 = ShortVector.zero(S), c111 = ShortVector.zero(S);
        for (int q = 0; q < kq; q++, ao += 12, bo += 4 * LF) {
            ShortVector b0 = ShortVector.fromArray(S, pb, bo + 0 * LF);
            ShortVector b1 = ShortVector.fromArray(S, pb, bo + 2 * LF);
            ShortVector a0 = IntVector.broadcast(I, pa[ao + 0]).reinterpretAsShorts();
            c00 = c00.add(a0.mul(b0));
            c01 = c01.add(a0.mul(b1));
            ShortVector a1 = IntVector.broadcast(I, pa[ao + 1]).reinterpretAsShorts();
            c10 = c10.add(a1.mul(b0));
            c11 = c11.add(a1.mul(b1));
            ShortVector a2 = IntVector.broadcast(I, pa[ao + 2]).reinterpretAsShorts();
            c20 = c20.add(a2.mul(b0));
            c21 = c21.add(a2.mul(b1));
            ShortVector a3 = IntVector.broadcast(I, pa[ao + 3]).reinterpretAsShorts();
            c30 = c30.add(a3.mul(b0));
            c31 = c31.add(a3.mul(b1));
            ShortVector a4 = IntVector.broadcast(I, pa[ao + 4]).reinterpretAsShorts();
            c40 = c40.add(a4.mul(b0));
            c41 = c41.add(a4.mul(b1));
            ShortVector a5 = IntVector.broadcast(I, pa[ao + 5]).reinterpretAsShorts();
            c50 = c50.add(a5.mul(b0));
            c51 = c51.add(a5.mul(b1));
            ShortVector a6 = IntVector.broadcast(I, pa[ao + 6]).reinterpretAsShorts();
            c60 = c60.add(a6.mul(b0));
            c61 = c61.add(a6.mul(b1));
            ShortVector a7 = IntVector.broadcast(I, pa[ao + 7]).reinterpretAsShorts();
            c70 = c70.add(a7.mul(b0));
            c71 = c71.add(a7.mul(b1));
            ShortVector a8 = IntVector.broadcast(I, pa[ao + 8]).reinterpretAsShorts();
            c80 = c80.add(a8.mul(b0));
            c81 = c81.add(a8.mul(b1));
            ShortVector a9 = IntVector.broadcast(I, pa[ao + 9]).reinterpretAsShorts();
            c90 = c90.add(a9.mul(b0));
            c91 = c91.add(a9.mul(b1));
            ShortVector a10 = IntVector.broadcast(I, pa[ao + 10]).reinterpretAsShorts();
            c100 = c100.add(a10.mul(b0));
            c101 = c101.add(a10.mul(b1));
            ShortVector a11 = IntVector.broadcast(I, pa[ao + 11]).reinterpretAsShorts();
            c110 = c110.add(a11.mul(b0));
            c111 = c111.add(a11.mul(b1));
        }
        c00.intoArray(c, co + 0 * ldc + 0 * LF);
        c01.intoArray(c, co + 0 * ldc + 2 * LF);
        c10.intoArray(c, co + 1 * ldc + 0 * LF);
        c11.intoArray(c, co + 1 * ldc + 2 * LF);
        c20.intoArray(c, co + 2 * ldc + 0 * LF);
        c21.intoArray(c, co + 2 * ldc + 2 * LF);
        c30.intoArray(c, co + 3 * ldc + 0 * LF);
        c31.intoArray(c, co + 3 * ldc + 2 * LF);
        c40.intoArray(c, co + 4 * ldc + 0 * LF);
        c41.intoArray(c, co + 4 * ldc + 2 * LF);
        c50.intoArray(c, co + 5 * ldc + 0 * LF);
        c51.intoArray(c, co + 5 * ldc + 2 * LF);
        c60.intoArray(c, co + 6 * ldc + 0 * LF);
        c61.intoArray(c, co + 6 * ldc + 2 * LF);
        c70.intoArray(c, co + 7 * ldc + 0 * LF);
        c71.intoArray(c, co + 7 * ldc + 2 * LF);
        c80.intoArray(c, co + 8 * ldc + 0 * LF);
        c81.intoArray(c, co + 8 * ldc + 2 * LF);
        c90.intoArray(c, co + 9 * ldc + 0 * LF);
        c91.intoArray(c, co + 9 * ldc + 2 * LF);
        c100.intoArray(c, co + 10 * ldc + 0 * LF);
        c101.intoArray(c, co + 10 * ldc + 2 * LF);
        c110.intoArray(c, co + 11 * ldc + 0 * LF);
        c111.intoArray(c, co + 11 * ldc + 2 * LF);
    }
    // GENERATED END
}
