package dev.lowbit.simd;

import static dev.lowbit.simd.Species.F;
import static dev.lowbit.simd.Species.LF;

import dev.lowbit.tensor.IntMatrix;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Exact integer GEMM with two products per float32 lane (SWAR), for small operands |x| ≤ M.
 *
 * <p>A B panel covers 2·NR columns: float lane j holds {@code b[j,p] + 2^12 · b[j+NR,p]} (an integer below
 * 2^15, exact). One fma with a broadcast a[i,p] then adds {@code a·b[j] + 2^12 · a·b[j+NR]} exactly, so a
 * lane accumulates {@code T = Lo + 2^12 · Hi} with Lo, Hi the two column sums. With chunks of at most
 * {@code floor(2047 / M²)} steps, |Lo| ≤ 2047 &lt; 2^11 and |Hi| ≤ 2047, so |T| ≤ 2047·4097 &lt; 2^24: every
 * fma is exact and T decodes uniquely: {@code Hi = rint(T / 2^12)} (|Lo / 2^12| &lt; 1/2), computed as
 * {@code (T·2^−12 + 1.5·2^23) − 1.5·2^23}, and {@code Lo = T − 2^12·Hi}. The decoded sums are added into a
 * float tile (exact integers: a k-block has at most {@link #KC_MAX}·M² &lt; 2^24), then into the int64 output.
 *
 * <p>So one fma does two multiply-adds: twice the FP32 rate, less the decode every chunk. The chunk is
 * 2047, 227, 41 steps for b = 2, 3, 4.
 */
final class SwarGemm {
    static final int MR = F32Gemm.MR;
    /** Packed lanes per panel (two vectors); a panel covers 2·NR output columns. */
    static final int NR = 2 * LF;
    static final int KC_MAX = 512;
    static final int SHIFT = 12;
    private static final float SCALE = 1 << SHIFT;
    private static final float INV = 1f / SCALE;
    private static final float MAGIC = 0x1.8p23f;

    private SwarGemm() {}

    /** Steps per chunk for |x| ≤ maxAbs: floor(2047 / maxAbs²) (0: not applicable). */
    static int chunk(long maxAbs) {
        return (int) Math.min(KC_MAX, maxAbs == 0 ? KC_MAX : 2047 / (maxAbs * maxAbs));
    }

    static void exactInt(IntMatrix a, IntMatrix b, long maxAbs, IntSink out, int threads) {
        int chunk = chunk(maxAbs);
        if (chunk < 1) {
            throw new IllegalArgumentException("operands with |x| ≤ " + maxAbs + " are too wide for two products per float lane");
        }
        Tiled.run(new Eng(a, b, maxAbs, chunk, out), a.rows(), b.rows(), a.cols(), threads);
    }

    /** dst[off + p·NR + j] = x[j0+j, p] + 2^12·x[j0+NR+j, p] for the columns that exist (others 0). */
    static void packB(IntMatrix x, long maxAbs, float[] dst, int off, int j0, int cols, int k) {
        Arrays.fill(dst, off, off + k * NR, 0f);
        int[] d = x.data();
        int lim = (int) maxAbs;
        for (int t = 0; t < cols; t++) {
            int s = x.index(j0 + t, 0);
            float w = t < NR ? 1f : SCALE;
            int o = off + (t < NR ? t : t - NR);
            int bad = 0;
            for (int p = 0; p < k; p++, o += NR) {
                int v = d[s + p];
                bad |= lim - Math.abs(v);
                dst[o] += w * v;
            }
            if (bad < 0) {
                throw Bounds.outOfRange(x, j0 + t, 0, k, maxAbs);
            }
        }
    }

    private static final class Eng implements Tiled.Engine {
        final IntMatrix a;
        final IntMatrix b;
        final long maxAbs;
        final int chunk;
        final IntSink out;
        final int k;
        final int[] cuts;
        float[] pb;

        Eng(IntMatrix a, IntMatrix b, long maxAbs, int chunk, IntSink out) {
            this.a = a;
            this.b = b;
            this.maxAbs = maxAbs;
            this.chunk = chunk;
            this.out = out;
            this.k = a.cols();
            this.cuts = out.cuts(k, KC_MAX, 1);
        }

        @Override
        public int mr() {
            return MR;
        }

        @Override
        public int nr() {
            return 2 * NR;
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
            SwarGemm.packB(b, maxAbs, pb, jp * k * NR, j0, cols, k);
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
            return new Work(this, new float[slivers * MR * units]);
        }
    }

    private static final class Work implements Tiled.Work {
        final Eng e;
        final float[] pa;
        final float[] t = new float[MR * 2 * NR];
        final int[] ti = new int[MR * 2 * NR];
        final float[] raw = new float[MR * NR];
        final F32Gemm.RowsI src;

        Work(Eng e, float[] pa) {
            this.e = e;
            this.pa = pa;
            this.src = new F32Gemm.RowsI(e.a, e.maxAbs);
        }

        @Override
        public void packA(int s, int i0, int rows, int b0, int b1) {
            int span = e.cuts[b1] - e.cuts[b0];
            src.pack(pa, s * span * MR, MR, i0, rows, e.cuts[b0], span);
        }

        @Override
        public void tile(int s, int jp, int blk, int b0, int b1, int i0, int j0, int rows, int cols, boolean first) {
            int[] cuts = e.cuts;
            int kc = cuts[blk + 1] - cuts[blk];
            int ao = (s * (cuts[b1] - cuts[b0]) + cuts[blk] - cuts[b0]) * MR;
            Arrays.fill(t, 0f);
            kernel(pa, ao, e.pb, jp * e.k * NR + cuts[blk] * NR, kc, e.chunk, raw, t);
            Widen.floats(t, ti, MR * 2 * NR);
            e.out.tile(ti, 2 * NR, i0, j0, rows, cols, first, blk);
        }
    }

    static void kernel(float[] pa, int ao, float[] pb, int bo, int kc, int chunk, float[] raw, float[] t) {
        if (MR == 8) {
            kernel8(pa, ao, pb, bo, kc, chunk, raw, t);
        } else if (MR == 6) {
            kernel6(pa, ao, pb, bo, kc, chunk, raw, t);
        } else {
            kernel4(pa, ao, pb, bo, kc, chunk, raw, t);
        }
    }

    /**
     * Splits each raw lane T = Lo + 2^12·Hi (row i of raw at i·NR) and adds Lo to t[i·2NR + j], Hi to
     * t[i·2NR + NR + j].
     */
    static void split(float[] raw, float[] t) {
        for (int i = 0; i < MR; i++) {
            for (int j = 0; j < NR; j += LF) {
                FloatVector acc = FloatVector.fromArray(F, raw, i * NR + j);
                FloatVector hi = acc.mul(INV).add(MAGIC).sub(MAGIC);
                FloatVector lo = acc.sub(hi.mul(SCALE));
                int off = i * 2 * NR + j;
                FloatVector.fromArray(F, t, off).add(lo).intoArray(t, off);
                FloatVector.fromArray(F, t, off + NR).add(hi).intoArray(t, off + NR);
            }
        }
    }

    // GENERATED BEGIN (tools/gen_kernels.py)
    /**
     * 4×2NR tile over kc steps in chunks: float lane j of the packed B holds columns j (low field) and
     * j + NR (times 2^SHIFT); after each chunk the accumulators are split into both fields and added to t
     * (row i at t[i·2NR ..]; t holds exact integers).
     */
    static void kernel4(float[] pa, int ao, float[] pb, int bo, int kc, int chunk, float[] raw, float[] t) {
        for (int p0 = 0; p0 < kc; p0 += chunk) {
            int p1 = Math.min(kc, p0 + chunk);
            FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
            FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
            FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
            FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
            for (int p = p0; p < p1; p++, ao += 4, bo += NR) {
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
            c00.intoArray(raw, 0 * NR);
            c01.intoArray(raw, 0 * NR + LF);
            c10.intoArray(raw, 1 * NR);
            c11.intoArray(raw, 1 * NR + LF);
            c20.intoArray(raw, 2 * NR);
            c21.intoArray(raw, 2 * NR + LF);
            c30.intoArray(raw, 3 * NR);
            c31.intoArray(raw, 3 * NR + LF);
            split(raw, t);
        }
    }

    /**
     * 6×2NR tile over kc steps in chunks: float lane j of the packed B holds columns j (low field) and
     * j + NR (times 2^SHIFT); after each chunk the accumulators are split into both fields and added to t
     * (row i at t[i·2NR ..]; t holds exact integers).
     */
    static void kernel6(float[] pa, int ao, float[] pb, int bo, int kc, int chunk, float[] raw, float[] t) {
        for (int p0 = 0; p0 < kc; p0 += chunk) {
            int p1 = Math.min(kc, p0 + chunk);
            FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
            FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
            FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
            FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
            FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
            FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
            for (int p = p0; p < p1; p++, ao += 6, bo += NR) {
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
            c00.intoArray(raw, 0 * NR);
            c01.intoArray(raw, 0 * NR + LF);
            c10.intoArray(raw, 1 * NR);
            c11.intoArray(raw, 1 * NR + LF);
            c20.intoArray(raw, 2 * NR);
            c21.intoArray(raw, 2 * NR + LF);
            c30.intoArray(raw, 3 * NR);
            c31.intoArray(raw, 3 * NR + LF);
            c40.intoArray(raw, 4 * NR);
            c41.intoArray(raw, 4 * NR + LF);
            c50.intoArray(raw, 5 * NR);
            c51.intoArray(raw, 5 * NR + LF);
            split(raw, t);
        }
    }

    /**
     * 8×2NR tile over kc steps in chunks: float lane j of the packed B holds columns j (low field) and
     * j + NR (times 2^SHIFT); after each chunk the accumulators are split into both fields and added to t
     * (row i at t[i·2NR ..]; t holds exact integers).
     */
    static void kernel8(float[] pa, int ao, float[] pb, int bo, int kc, int chunk, float[] raw, float[] t) {
        for (int p0 = 0; p0 < kc; p0 += chunk) {
            int p1 = Math.min(kc, p0 + chunk);
            FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
            FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
            FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
            FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
            FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
            FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
            FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
            FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
            for (int p = p0; p < p1; p++, ao += 8, bo += NR) {
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
            c00.intoArray(raw, 0 * NR);
            c01.intoArray(raw, 0 * NR + LF);
            c10.intoArray(raw, 1 * NR);
            c11.intoArray(raw, 1 * NR + LF);
            c20.intoArray(raw, 2 * NR);
            c21.intoArray(raw, 2 * NR + LF);
            c30.intoArray(raw, 3 * NR);
            c31.intoArray(raw, 3 * NR + LF);
            c40.intoArray(raw, 4 * NR);
            c41.intoArray(raw, 4 * NR + LF);
            c50.intoArray(raw, 5 * NR);
            c51.intoArray(raw, 5 * NR + LF);
            c60.intoArray(raw, 6 * NR);
            c61.intoArray(raw, 6 * NR + LF);
            c70.intoArray(raw, 7 * NR);
            c71.intoArray(raw, 7 * NR + LF);
            split(raw, t);
        }
    }
    // GENERATED END
}
