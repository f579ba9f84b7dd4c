package dev.lowbit.simd;

import static dev.lowbit.simd.Species.F;
import static dev.lowbit.simd.Species.LF;

import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Float32-lane GEMM on the {@link Tiled} driver: B packed into panels of {@link #NR} columns
 * ({@code pb[panel][p][j]}), A into slivers of {@link #MR} rows ({@code pa[sliver][p][i]}), an MR×NR
 * register tile of {@code fma(a, b, acc)}.
 *
 * <p><b>Order of operations</b> (what makes results reproducible): k is cut into blocks that depend
 * only on k; within a block each output accumulates {@code acc = fma(a[i,p], b[j,p], acc)} for p
 * ascending from {@code acc = 0}, and the block's acc is then stored (first block) or added
 * ({@code out + acc}). {@link ScalarTwin#f32} does exactly this in scalar code, so the two agree bit for
 * bit at every vector width and thread count.
 *
 * <p><b>Exact integers in float lanes</b> ({@link #exactInt}): when every operand is an integer with
 * |x| ≤ M and a k-block has at most {@code floor(2^24 / M²)} steps, every partial sum is an integer of
 * magnitude ≤ 2^24, which float32 represents exactly, so every fma is exact; each block's tile is then
 * converted to int32 (|block sum| ≤ 2^24) and added in int64 (|result| ≤ k·M² &lt; 2^62 for any k &lt; 2^31 and M &lt; 2^15).
 */
final class F32Gemm {
    /** Register tile rows ({@link Species#MR}). */
    static final int MR = Species.MR;
    /** Register tile columns: two vectors. */
    static final int NR = 2 * LF;
    /** Largest k-block for float GEMMs. */
    static final int KC_MAX = 512;

    private F32Gemm() {}

    /** Largest k-block for exact integers with |x| ≤ maxAbs: floor(2^24 / maxAbs²), at most {@link #KC_MAX}. */
    static int exactBlock(long maxAbs) {
        return (int) Math.min(KC_MAX, maxAbs == 0 ? KC_MAX : (1L << 24) / (maxAbs * maxAbs));
    }

    /** out = a·bᵀ (a m×k, b n×k). */
    static void nt(FloatMatrix a, FloatMatrix b, FloatMatrix out, int threads) {
        Tiled.run(new Eng(new RowsF(a), new RowsF(b), a.cols(), KC_MAX, out, null), a.rows(), b.rows(), a.cols(), threads);
    }

    /** out = a·b (a m×k, b k×n). */
    static void nn(FloatMatrix a, FloatMatrix b, FloatMatrix out, int threads) {
        Tiled.run(new Eng(new RowsF(a), new ColsF(b), a.cols(), KC_MAX, out, null), a.rows(), b.cols(), a.cols(), threads);
    }

    /** out = aᵀ·b (a k×m, b k×n): both operands are packed from their columns. */
    static void tn(FloatMatrix a, FloatMatrix b, FloatMatrix out, int threads) {
        Tiled.run(new Eng(new ColsF(a), new ColsF(b), a.rows(), KC_MAX, out, null), a.cols(), b.cols(), a.rows(), threads);
    }

    /** Exact out = a·bᵀ for integer operands with |x| ≤ maxAbs ≤ 4096 (k-blocks of {@link #exactBlock}). */
    static void exactInt(IntMatrix a, IntMatrix b, long maxAbs, IntSink out, int threads) {
        int kc = exactBlock(maxAbs);
        if (kc < 1) {
            throw new IllegalArgumentException("operands with |x| ≤ " + maxAbs + " cannot be multiplied exactly in float32 lanes");
        }
        Tiled.run(new Eng(new RowsI(a, maxAbs), new RowsI(b, maxAbs), a.cols(), kc, null, out), a.rows(), b.rows(), a.cols(), threads);
    }

    /** As {@link #exactInt(IntMatrix, IntMatrix, long, IntSink, int)} with b's int8 codes packed into the panels as they are. */
    static void exactInt(IntMatrix a, ByteMatrix b, long maxAbs, IntSink out, int threads) {
        int kc = exactBlock(maxAbs);
        if (kc < 1) {
            throw new IllegalArgumentException("operands with |x| ≤ " + maxAbs + " cannot be multiplied exactly in float32 lanes");
        }
        Tiled.run(new Eng(new RowsI(a, maxAbs), new RowsB(b, maxAbs), a.cols(), kc, null, out), a.rows(), b.rows(), a.cols(), threads);
    }

    // ------------------------------------------------------------------ sources

    /** Something that packs into float panels. */
    interface Src {
        /** dst[off + p·w + t] = X(row0 + t, p0 + p) for t &lt; rows, p &lt; kc; columns rows..w−1 are zero. */
        void pack(float[] dst, int off, int w, int row0, int rows, int p0, int kc);
    }

    /** Rows of a row-major m×k (or n×k) matrix. */
    record RowsF(FloatMatrix x) implements Src {
        @Override
        public void pack(float[] dst, int off, int w, int row0, int rows, int p0, int kc) {
            float[] d = x.data();
            for (int t = 0; t < rows; t++) {
                int s = x.index(row0 + t, p0);
                for (int p = 0, o = off + t; p < kc; p++, o += w) {
                    dst[o] = d[s + p];
                }
            }
            zeroPad(dst, off, w, rows, kc);
        }
    }

    /** Columns of a k×n row-major matrix (B in the NN layout): X(r, p) = x(p, r). */
    record ColsF(FloatMatrix x) implements Src {
        @Override
        public void pack(float[] dst, int off, int w, int row0, int rows, int p0, int kc) {
            float[] d = x.data();
            for (int p = 0; p < kc; p++) {
                System.arraycopy(d, x.index(p0 + p, row0), dst, off + p * w, rows);
            }
            zeroPad(dst, off, w, rows, kc);
        }
    }

    /** Rows of an int matrix converted to float; entries beyond ±maxAbs are rejected (never a silent wrong result). */
    record RowsI(IntMatrix x, long maxAbs) implements Src {
        @Override
        public void pack(float[] dst, int off, int w, int row0, int rows, int p0, int kc) {
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
            zeroPad(dst, off, w, rows, kc);
        }
    }

    /** Rows of an int8 matrix (packed codes) converted to float; entries beyond ±maxAbs are rejected. */
    record RowsB(ByteMatrix x, long maxAbs) implements Src {
        @Override
        public void pack(float[] dst, int off, int w, int row0, int rows, int p0, int kc) {
            byte[] d = x.data();
            int lim = (int) Math.min(maxAbs, Integer.MAX_VALUE);
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
            zeroPad(dst, off, w, rows, kc);
        }
    }

    static void zeroPad(float[] dst, int off, int w, int rows, int kc) {
        if (rows < w) {
            for (int p = 0; p < kc; p++) {
                Arrays.fill(dst, off + p * w + rows, off + p * w + w, 0f);
            }
        }
    }

    // ------------------------------------------------------------------ engine

    private static final class Eng implements Tiled.Engine {
        final Src a;
        final Src b;
        final int k;
        final int[] cuts;
        final FloatMatrix outF;
        final IntSink outL;
        float[] pb;

        Eng(Src a, Src b, int k, int kcMax, FloatMatrix outF, IntSink outL) {
            this.a = a;
            this.b = b;
            this.k = k;
            this.outF = outF;
            this.outL = outL;
            this.cuts = outL == null ? Tiled.evenCuts(k, kcMax, 1) : outL.cuts(k, kcMax, 1);
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
            return 4;
        }

        @Override
        public void allocB(int panels) {
            pb = new float[Math.multiplyExact(panels * NR, k)];
        }

        @Override
        public void packB(int jp, int j0, int cols) {
            b.pack(pb, jp * k * NR, NR, j0, cols, 0, k);
        }

        @Override
        public void zeroOut() {
            if (outF != null) {
                for (int i = 0; i < outF.rows(); i++) {
                    Arrays.fill(outF.data(), outF.index(i, 0), outF.index(i, 0) + outF.cols(), 0f);
                }
            } else {
                outL.zeroOut();
            }
        }

        @Override
        public boolean forceRows() {
            return outL != null && outL.forceRows();
        }

        @Override
        public boolean forceInner() {
            return outL != null && outL.forceInner();
        }

        @Override
        public Tiled.Work work(int slivers, int units) {
            return new Work(this, new float[slivers * MR * units]);
        }
    }

    private static final class Work implements Tiled.Work {
        final Eng e;
        final float[] pa;
        final float[] tileF = new float[MR * NR];
        final int[] tileI = new int[MR * NR];

        Work(Eng e, float[] pa) {
            this.e = e;
            this.pa = pa;
        }

        @Override
        public void packA(int s, int i0, int rows, int b0, int b1) {
            int span = e.cuts[b1] - e.cuts[b0];
            e.a.pack(pa, s * span * MR, MR, i0, rows, e.cuts[b0], span);
        }

        @Override
        public void tile(int s, int jp, int blk, int b0, int b1, int i0, int j0, int rows, int cols, boolean first) {
            int[] cuts = e.cuts;
            int kc = cuts[blk + 1] - cuts[blk];
            int ao = (s * (cuts[b1] - cuts[b0]) + cuts[blk] - cuts[b0]) * MR;
            int bo = jp * e.k * NR + cuts[blk] * NR;
            if (e.outF != null) {
                FloatMatrix o = e.outF;
                if (rows == MR && cols == NR) {
                    kernel(pa, ao, e.pb, bo, kc, o.data(), o.index(i0, j0), o.stride(), !first);
                } else {
                    kernel(pa, ao, e.pb, bo, kc, tileF, 0, NR, false);
                    float[] d = o.data();
                    for (int i = 0; i < rows; i++) {
                        int at = o.index(i0 + i, j0);
                        for (int j = 0; j < cols; j++) {
                            d[at + j] = first ? tileF[i * NR + j] : d[at + j] + tileF[i * NR + j];
                        }
                    }
                }
            } else {
                kernel(pa, ao, e.pb, bo, kc, tileF, 0, NR, false);
                Widen.floats(tileF, tileI, MR * NR);
                e.outL.tile(tileI, NR, i0, j0, rows, cols, first, blk);
            }
        }
    }

    // ------------------------------------------------------------------ micro-kernels

    static void kernel(float[] pa, int ao, float[] pb, int bo, int kc, float[] c, int co, int ldc, boolean add) {
        if (MR == 8) {
            kernel8(pa, ao, pb, bo, kc, c, co, ldc, add);
        } else if (MR == 6) {
            kernel6(pa, ao, pb, bo, kc, c, co, ldc, add);
        } else {
            kernel4(pa, ao, pb, bo, kc, c, co, ldc, add);
        }
    }

    // GENERATED BEGIN (tools/gen_kernels.py)
    /** 4×NR tile: acc = Σ_p fma(a[p·4+i], b[p·NR+j]), p ascending from 0; then stored (or added) at c[co + i·ldc + j]. */
    static void kernel4(float[] pa, int ao, float[] pb, int bo, int kc, float[] c, int co, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++, ao += 4, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, pb, bo);
            FloatVector b1 = FloatVector.fromArray(F, pb, bo + LF);
            FloatVector a0 = FloatVector.broadcast(F, pa[ao + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        if (add) {
            c00 = c00.add(FloatVector.fromArray(F, c, co + 0 * ldc));
            c01 = c01.add(FloatVector.fromArray(F, c, co + 0 * ldc + LF));
            c10 = c10.add(FloatVector.fromArray(F, c, co + 1 * ldc));
            c11 = c11.add(FloatVector.fromArray(F, c, co + 1 * ldc + LF));
            c20 = c20.add(FloatVector.fromArray(F, c, co + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(F, c, co + 2 * ldc + LF));
            c30 = c30.add(FloatVector.fromArray(F, c, co + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(F, c, co + 3 * ldc + LF));
        }
        c00.intoArray(c, co + 0 * ldc);
        c01.intoArray(c, co + 0 * ldc + LF);
        c10.intoArray(c, co + 1 * ldc);
        c11.intoArray(c, co + 1 * ldc + LF);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + LF);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + LF);
    }

    /** 6×NR tile: acc = Σ_p fma(a[p·6+i], b[p·NR+j]), p ascending from 0; then stored (or added) at c[co + i·ldc + j]. */
    static void kernel6(float[] pa, int ao, float[] pb, int bo, int kc, float[] c, int co, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++, ao += 6, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, pb, bo);
            FloatVector b1 = FloatVector.fromArray(F, pb, bo + LF);
            FloatVector a0 = FloatVector.broadcast(F, pa[ao + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, pa[ao + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, pa[ao + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        if (add) {
            c00 = c00.add(FloatVector.fromArray(F, c, co + 0 * ldc));
            c01 = c01.add(FloatVector.fromArray(F, c, co + 0 * ldc + LF));
            c10 = c10.add(FloatVector.fromArray(F, c, co + 1 * ldc));
            c11 = c11.add(FloatVector.fromArray(F, c, co + 1 * ldc + LF));
            c20 = c20.add(FloatVector.fromArray(F, c, co + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(F, c, co + 2 * ldc + LF));
            c30 = c30.add(FloatVector.fromArray(F, c, co + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(F, c, co + 3 * ldc + LF));
            c40 = c40.add(FloatVector.fromArray(F, c, co + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(F, c, co + 4 * ldc + LF));
            c50 = c50.add(FloatVector.fromArray(F, c, co + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(F, c, co + 5 * ldc + LF));
        }
        c00.intoArray(c, co + 0 * ldc);
        c01.intoArray(c, co + 0 * ldc + LF);
        c10.intoArray(c, co + 1 * ldc);
        c11.intoArray(c, co + 1 * ldc + LF);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + LF);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + LF);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + LF);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + LF);
    }

    /** 8×NR tile: acc = Σ_p fma(a[p·8+i], b[p·NR+j]), p ascending from 0; then stored (or added) at c[co + i·ldc + j]. */
    static void kernel8(float[] pa, int ao, float[] pb, int bo, int kc, float[] c, int co, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        for (int p = 0; p < kc; p++, ao += 8, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(F, pb, bo);
            FloatVector b1 = FloatVector.fromArray(F, pb, bo + LF);
            FloatVector a0 = FloatVector.broadcast(F, pa[ao + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(F, pa[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(F, pa[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(F, pa[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(F, pa[ao + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(F, pa[ao + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(F, pa[ao + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(F, pa[ao + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        if (add) {
            c00 = c00.add(FloatVector.fromArray(F, c, co + 0 * ldc));
            c01 = c01.add(FloatVector.fromArray(F, c, co + 0 * ldc + LF));
            c10 = c10.add(FloatVector.fromArray(F, c, co + 1 * ldc));
            c11 = c11.add(FloatVector.fromArray(F, c, co + 1 * ldc + LF));
            c20 = c20.add(FloatVector.fromArray(F, c, co + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(F, c, co + 2 * ldc + LF));
            c30 = c30.add(FloatVector.fromArray(F, c, co + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(F, c, co + 3 * ldc + LF));
            c40 = c40.add(FloatVector.fromArray(F, c, co + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(F, c, co + 4 * ldc + LF));
            c50 = c50.add(FloatVector.fromArray(F, c, co + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(F, c, co + 5 * ldc + LF));
            c60 = c60.add(FloatVector.fromArray(F, c, co + 6 * ldc));
            c61 = c61.add(FloatVector.fromArray(F, c, co + 6 * ldc + LF));
            c70 = c70.add(FloatVector.fromArray(F, c, co + 7 * ldc));
            c71 = c71.add(FloatVector.fromArray(F, c, co + 7 * ldc + LF));
        }
        c00.intoArray(c, co + 0 * ldc);
        c01.intoArray(c, co + 0 * ldc + LF);
        c10.intoArray(c, co + 1 * ldc);
        c11.intoArray(c, co + 1 * ldc + LF);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + LF);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + LF);
        c40.intoArray(c, co + 4 * ldc);
        c41.intoArray(c, co + 4 * ldc + LF);
        c50.intoArray(c, co + 5 * ldc);
        c51.intoArray(c, co + 5 * ldc + LF);
        c60.intoArray(c, co + 6 * ldc);
        c61.intoArray(c, co + 6 * ldc + LF);
        c70.intoArray(c, co + 7 * ldc);
        c71.intoArray(c, co + 7 * ldc + LF);
    }
    // GENERATED END
}
