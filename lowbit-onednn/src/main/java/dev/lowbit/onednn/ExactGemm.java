package dev.lowbit.onednn;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.gemm.FoldMap;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.Digits;
import java.util.Arrays;

/**
 * The exact integer GEMM on oneDNN's {@code gemm_s8s8s32}: int32 operands narrowed to int8, the product in int32 k-chunks
 * that provably cannot overflow, the chunks summed in int64, every {@link IntEpilogue} finished on the int32 (or int64) row
 * blocks as they come — the same values as {@link IntEpilogue#finish}, bit for bit.
 *
 * <p>Why the pieces are there:
 * <ul>
 *   <li><b>k-chunks</b> of at most {@code floor((2^31 − 1) / M²)} (M = 2^(b−1) − 1): each chunk's exact sum fits in int32,
 *       so oneDNN's int32 accumulator holds it exactly (with VNNI its internal +128 shift and compensation wrap modulo 2^32,
 *       which is harmless when the true sum fits). At b = 8 that is k ≤ 133 144 per chunk.
 *   <li><b>Row blocks</b>: oneDNN is called with {@link java.lang.foreign.Linker.Option#critical heap access} (no copies), and
 *       the JVM cannot reach a safepoint until such a call returns; blocks of rows keep each call to about 2^30
 *       multiply-adds (a few ms), so a GC is never held up for long, and the int32 block stays small.
 *   <li>The epilogue runs on each finished block, row-parallel where rows are independent; the checked fold (overflow
 *       possible) runs in the reference order, so even where the reference throws, this throws.
 * </ul>
 */
final class ExactGemm {
    /** Multiply-adds per oneDNN call (row blocks), to bound the time the JVM spends in one critical call. */
    static volatile long macsPerCall = 1L << 30;
    /** int32 results per row block (the block buffer). */
    static volatile int resultsPerBlock = 1 << 22;
    /** Test-only: a smaller k-chunk than the int32 bound (0 = the bound), to exercise the int64 chunk sums on small k. */
    static volatile int kChunkOverride;
    /** Narrowed operands up to this many bytes stay cached per thread. */
    private static final int KEEP_BYTES = 1 << 26;

    private static final class Buffers {
        byte[] a = new byte[0];
        byte[] b = new byte[0];
        int[] c = new int[0];
        long[] l = new long[0];
    }

    /**
     * Per-thread buffers, checked out for the length of a call: a part of a call's row-parallel epilogue (run on
     * the calling thread, {@link dev.lowbit.Parallel}) could itself call a GEMM on the same thread, which then finds none
     * and allocates.
     */
    private static final ThreadLocal<Buffers> BUFFERS = new ThreadLocal<>();

    private final OneDnn dnn;
    private final int threads;
    private final long macsPerThread;

    ExactGemm(OneDnn dnn, int threads) {
        this(dnn, threads, macsPerThreadDefault);
    }

    /** With {@code macsPerThread} 0 every call uses all {@code threads} (the self-test, which must cover the team kernels). */
    ExactGemm(OneDnn dnn, int threads, long macsPerThread) {
        this.dnn = dnn;
        this.threads = threads;
        this.macsPerThread = macsPerThread;
    }

    /** The longest k whose b-bit dot products always fit in int32: k·M² ≤ 2^31 − 1. */
    static int kChunk(int bits) {
        long m = Digits.base(bits) - 1;
        long k = Integer.MAX_VALUE / (m * m);
        int o = kChunkOverride;
        return (int) Math.min(o > 0 ? o : k, k);
    }

    /** Receives the exact sums of output rows i0..i0+rows−1 (all n columns, row i at {@code i·n}), in int32 or int64. */
    private interface BlockSink {
        void ints(int i0, int rows, int[] c);

        void longs(int i0, int rows, long[] c);
    }

    void run(IntMatrix a, IntMatrix b, int bits, IntEpilogue e) {
        Buffers buf = BUFFERS.get();
        BUFFERS.remove();
        if (buf == null) {
            buf = new Buffers();
        }
        try {
            run(a, narrow(b, buf, false), b.rows(), bits, e, buf);
        } finally {
            BUFFERS.set(buf);
        }
    }

    /**
     * As above with B held as int8 (packed weight codes): a compact B's array goes to {@code gemm_s8s8s32} as it is (no
     * narrowing copy); a strided view is copied compact first.
     */
    void run(IntMatrix a, ByteMatrix b, int bits, IntEpilogue e) {
        Buffers buf = BUFFERS.get();
        BUFFERS.remove();
        if (buf == null) {
            buf = new Buffers();
        }
        try {
            run(a, compact(b, buf), b.rows(), bits, e, buf);
        } finally {
            BUFFERS.set(buf);
        }
    }

    private void run(IntMatrix a, byte[] bn, int n, int bits, IntEpilogue e, Buffers buf) {
        int m = a.rows();
        int k = a.cols();
        byte[] an = narrow(a, buf, true);
        switch (e) {
            case IntEpilogue.ToLong t -> product(an, bn, m, n, k, 0, k, bits, buf, toLong(t.out()));
            case IntEpilogue.ToInt t -> toInt(an, bn, m, n, k, bits, buf, t.out());
            case IntEpilogue.Fold f -> fold(an, bn, m, n, k, bits, buf, f.fold(), f.out());
            case IntEpilogue.Rescale r when blockedRescale(r, m, n) -> rescaleBlocks(an, bn, m, n, k, bits, r);
            case IntEpilogue.Rescale r -> { // a general fold (rows unpacked, or overflow possible): checked fold, then rescale
                LongMatrix c = LongMatrix.zeros(r.rows(), r.cols());
                fold(an, bn, m, n, k, bits, buf, r.fold(), c);
                FloatMatrix out = r.out();
                rows(out.rows(), out.cols(), (i0, i1) -> {
                    for (int i = i0; i < i1; i++) {
                        IntEpilogue.rescaleRow(c.data(), c.index(i, 0), r.lhsScale()[i], r.rhsScale(), out.data(), out.index(i, 0),
                                out.cols());
                    }
                });
            }
        }
        if (an.length > KEEP_BYTES) {
            buf.a = new byte[0];
        }
        if (buf.b.length > KEEP_BYTES) {
            buf.b = new byte[0];
        }
    }

    /**
     * The exact product of columns {@code [c0, c1)} of the narrowed operands (row-major, leading dimension k), delivered to
     * {@code sink} block by block: one oneDNN call per (row block, k-chunk); a single chunk is handed over as int32, several
     * are summed in int64 first.
     */
    private void product(byte[] an, byte[] bn, int m, int n, int k, int c0, int c1, int bits, Buffers buf, BlockSink sink) {
        if (m == 0 || n == 0) {
            return;
        }
        int len = c1 - c0;
        int kc = kChunk(bits);
        int chunks = len == 0 ? 1 : (int) ((len + (long) kc - 1) / kc);
        int rowsPerBlock = rowsPerBlock(m, n, Math.min(len, kc));
        int[] c = grow(buf, rowsPerBlock * n);
        long[] acc = chunks > 1 ? growLong(buf, rowsPerBlock * n) : null;
        for (int i0 = 0; i0 < m; i0 += rowsPerBlock) {
            int rows = Math.min(rowsPerBlock, m - i0);
            for (int ch = 0; ch < chunks; ch++) {
                int p0 = c0 + (int) ((long) len * ch / chunks);
                int p1 = c0 + (int) ((long) len * (ch + 1) / chunks);
                dnn.setThreads(callThreads(rows, n, p1 - p0));
                dnn.gemmS8S8S32(rows, n, p1 - p0, an, i0 * k + p0, k, bn, p0, k, c, 0, n);
                if (acc != null) {
                    int size = rows * n;
                    if (ch == 0) {
                        for (int x = 0; x < size; x++) {
                            acc[x] = c[x];
                        }
                    } else {
                        for (int x = 0; x < size; x++) {
                            acc[x] += c[x];
                        }
                    }
                }
            }
            if (acc == null) {
                sink.ints(i0, rows, c);
            } else {
                sink.longs(i0, rows, acc);
            }
        }
        if (c.length > KEEP_BYTES / 4) {
            buf.c = new int[0];
        }
        if (acc != null && acc.length > KEEP_BYTES / 8) {
            buf.l = new long[0];
        }
    }

    /**
     * OpenMP threads for one call: one per {@link #macsPerThreadDefault} multiply-adds, at most the backend's. A passive OpenMP
     * team costs a wake-up per call (about 60 µs on a VM, see {@code OneDnn}); below about 2^25 multiply-adds (≈ 90 µs on one
     * VNNI core) one thread finishes first. Speed only: the integer result is the same for any thread count.
     */
    int callThreads(int rows, int n, int k) {
        if (macsPerThread <= 0) {
            return threads;
        }
        long macs = (long) rows * n * k;
        return (int) Math.max(1, Math.min(threads, macs / macsPerThread));
    }

    /** Multiply-adds per OpenMP thread of a call (see {@link #callThreads}); tests set 0 to run every call on all threads. */
    static volatile long macsPerThreadDefault = 1L << 25;

    /** Rows per oneDNN call: as many as the per-call multiply-add and block-size bounds allow, at least one. */
    static int rowsPerBlock(int m, int n, int kc) {
        long perRow = Math.max(1L, (long) n * Math.max(1, kc));
        long rows = Math.min(macsPerCall / perRow, resultsPerBlock / Math.max(1, n));
        return (int) Math.max(1, Math.min(m, rows));
    }

    /** int8 copies of the operand (values already bounded by |x| ≤ 127), compact with leading dimension k. */
    private byte[] narrow(IntMatrix x, Buffers buf, boolean lhs) {
        int rows = x.rows();
        int cols = x.cols();
        int need = rows * cols;
        byte[] d = lhs ? buf.a : buf.b;
        if (d.length < need) {
            d = new byte[need];
            if (lhs) {
                buf.a = d;
            } else {
                buf.b = d;
            }
        }
        byte[] dst = d;
        int[] src = x.data();
        rows(rows, cols, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                narrowRow(src, x.index(i, 0), dst, i * cols, cols);
            }
        });
        return d;
    }

    /** B's bytes with leading dimension k from offset 0: its own array when it is laid out so, else a compact copy. */
    private byte[] compact(ByteMatrix x, Buffers buf) {
        if (x.offset() == 0 && x.isContiguous()) {
            return x.data();
        }
        int rows = x.rows();
        int cols = x.cols();
        if (buf.b.length < rows * cols) {
            buf.b = new byte[rows * cols];
        }
        for (int i = 0; i < rows; i++) {
            System.arraycopy(x.data(), x.index(i, 0), buf.b, i * cols, cols);
        }
        return buf.b;
    }

    /** One row: a plain loop that C2 vectorizes (int → byte narrowing). */
    private static void narrowRow(int[] src, int s, byte[] dst, int d, int n) {
        for (int p = 0; p < n; p++) {
            dst[d + p] = (byte) src[s + p];
        }
    }

    private static int[] grow(Buffers buf, int size) {
        if (buf.c.length < size) {
            buf.c = new int[size];
        }
        return buf.c;
    }

    private static long[] growLong(Buffers buf, int size) {
        if (buf.l.length < size) {
            buf.l = new long[size];
        }
        return buf.l;
    }

    private interface RowRange {
        void run(int i0, int i1);
    }

    /** Rows shared out over the backend's threads when there is enough work (results are per row, so order-free). */
    private void rows(int m, long costPerRow, RowRange body) {
        Parallel.forRanges(Parallel.parts(threads, m, costPerRow), m, (t, i0, i1) -> body.run(i0, i1));
    }

    // ---- epilogues ----

    private BlockSink toLong(LongMatrix out) {
        int n = out.cols();
        long[] d = out.data();
        return new BlockSink() {
            @Override
            public void ints(int i0, int rows, int[] c) {
                rows(rows, n, (r0, r1) -> {
                    for (int i = r0; i < r1; i++) {
                        int at = out.index(i0 + i, 0);
                        int from = i * n;
                        for (int j = 0; j < n; j++) {
                            d[at + j] = c[from + j];
                        }
                    }
                });
            }

            @Override
            public void longs(int i0, int rows, long[] c) {
                for (int i = 0; i < rows; i++) {
                    System.arraycopy(c, i * n, d, out.index(i0 + i, 0), n);
                }
            }
        };
    }

    /**
     * int32 output: the caller proved every result fits ({@code Gemm.fitsInt32}), which is the k-chunk bound itself, so with
     * one chunk oneDNN writes straight into the output (any stride); only a test's smaller chunk override takes the sum.
     */
    private void toInt(byte[] an, byte[] bn, int m, int n, int k, int bits, Buffers buf, IntMatrix out) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k <= kChunk(bits)) {
            int rowsPerBlock = rowsPerBlock(m, n, k);
            for (int i0 = 0; i0 < m; i0 += rowsPerBlock) {
                int rows = Math.min(rowsPerBlock, m - i0);
                dnn.setThreads(callThreads(rows, n, k));
                dnn.gemmS8S8S32(rows, n, k, an, i0 * k, k, bn, 0, k, out.data(), out.index(i0, 0), out.stride());
            }
            return;
        }
        int[] d = out.data();
        product(an, bn, m, n, k, 0, k, bits, buf, new BlockSink() {
            @Override
            public void ints(int i0, int rows, int[] c) {
                for (int i = 0; i < rows; i++) {
                    System.arraycopy(c, i * n, d, out.index(i0 + i, 0), n);
                }
            }

            @Override
            public void longs(int i0, int rows, long[] c) {
                for (int i = 0; i < rows; i++) {
                    int at = out.index(i0 + i, 0);
                    for (int j = 0; j < n; j++) {
                        d[at + j] = Math.toIntExact(c[i * n + j]);
                    }
                }
            }
        });
    }

    /**
     * {@link IntEpilogue#rescaleRow} on int32 sums: {@code (double) int} equals {@code (double) (long) int}, so every IEEE
     * step — the conversion, {@code si · s[j]}, the quotient, the rounding to float — is the reference's.
     */
    static void rescaleRow(int[] c, int co, double si, double[] s, float[] d, int at, int n) {
        for (int j = 0; j < n; j++) {
            d[at + j] = (float) (c[co + j] / (si * s[j]));
        }
    }

    /**
     * The IM-Unpack fold, one column group after the other (each group's product complete before it is folded, as in the
     * reference). When {@link FoldMap#overflowFree} holds the adds are plain and, where no two unpacked rows share an output
     * row, row-parallel; otherwise they are checked and run in the reference's order (groups, then rows, then columns).
     */
    private void fold(byte[] an, byte[] bn, int m, int n, int k, int bits, Buffers buf, FoldMap f, LongMatrix out) {
        boolean parallel = f.overflowFree() && injective(f.lhsRow(), m, out.rows());
        int plain = 0;
        while (plain < n && plain < out.cols() && f.rhsRow()[plain] == plain && f.rhsExp()[plain] == 0) {
            plain++;
        }
        int plainCols = plain;
        for (int g = 0; g < f.groups(); g++) {
            int c0 = f.colGroupStart()[g];
            int c1 = f.colGroupStart()[g + 1];
            if (c1 == c0) {
                continue;
            }
            int groupExp = f.groupExp()[g];
            product(an, bn, m, n, k, c0, c1, bits, buf, new BlockSink() {
                @Override
                public void ints(int i0, int rows, int[] c) {
                    if (parallel) {
                        rows(rows, n, (r0, r1) -> {
                            for (int i = r0; i < r1; i++) {
                                foldRow(c, null, i * n, i0 + i, n, groupExp, f, out, plainCols);
                            }
                        });
                    } else {
                        for (int i = 0; i < rows; i++) {
                            foldRow(c, null, i * n, i0 + i, n, groupExp, f, out, plainCols);
                        }
                    }
                }

                @Override
                public void longs(int i0, int rows, long[] c) {
                    for (int i = 0; i < rows; i++) {
                        foldRow(null, c, i * n, i0 + i, n, groupExp, f, out, plainCols);
                    }
                }
            });
        }
    }

    private static boolean injective(int[] rowMap, int m, int outRows) {
        boolean[] seen = new boolean[outRows];
        for (int r = 0; r < m; r++) {
            if (seen[rowMap[r]]) {
                return false;
            }
            seen[rowMap[r]] = true;
        }
        return true;
    }

    /** Folds row r of a group's product (int32 {@code ci} or int64 {@code cl}, from offset {@code co}) into {@code out}. */
    private static void foldRow(int[] ci, long[] cl, int co, int r, int n, int groupExp, FoldMap f, LongMatrix out, int plainCols) {
        long[] d = out.data();
        int dst = f.lhsRow()[r];
        if (f.overflowFree()) {
            int s = f.digitShift() * (f.lhsExp()[r] + groupExp);
            int at = out.index(dst, 0);
            int j = 0;
            if (ci != null) {
                for (; j < plainCols; j++) {
                    d[at + j] += (long) ci[co + j] << s;
                }
                for (; j < n; j++) {
                    d[out.index(dst, f.rhsRow()[j])] += (long) ci[co + j] << f.shift(r, j, groupExp);
                }
            } else {
                for (; j < plainCols; j++) {
                    d[at + j] += cl[co + j] << s;
                }
                for (; j < n; j++) {
                    d[out.index(dst, f.rhsRow()[j])] += cl[co + j] << f.shift(r, j, groupExp);
                }
            }
            return;
        }
        try {
            for (int j = 0; j < n; j++) {
                long v = ci != null ? ci[co + j] : cl[co + j];
                if (v != 0) {
                    int at = out.index(dst, f.rhsRow()[j]);
                    d[at] = Math.addExact(d[at], Digits.shiftExact(v, f.shift(r, j, groupExp)));
                }
            }
        } catch (ArithmeticException e) {
            throw new LowbitException("int64 accumulator overflow in the IM-Unpack fold: the exact integer GEMM result does not fit in 64 bits");
        }
    }

    /** Output elements per block of {@link #rescaleBlocks}: an int32 and an int64 block stay within a core's L2 cache. */
    static volatile int fusedResults = 1 << 17;

    /**
     * Whether {@link #rescaleBlocks} applies: no fold (or a trivial one), or a fold whose unpacked rows are the output rows
     * (the COLUMN plan) and that cannot overflow int64 — then each output element is {@code Σ_g C_g << (b−1)·e_g}.
     */
    private static boolean blockedRescale(IntEpilogue.Rescale r, int m, int n) {
        FoldMap f = r.fold();
        return f == null || r.plain(m, n)
                || (f.overflowFree() && m == r.rows() && n == r.cols() && f.rowsAreIdentity(m, n));
    }

    /**
     * The fold and rescale fused per block of output rows, the blocks shared out over the backend's threads with one
     * single-threaded oneDNN call per (block, column group, k-chunk): every group's int32 product is shifted into an int64
     * block accumulator while it is still in cache, and the finished block is rescaled straight into the output. Compared
     * with folding whole m×n products into an int64 matrix and rescaling it afterwards, this reads and writes each output
     * element once instead of twice per group; the Java epilogue of one block runs while the other thread multiplies.
     * The same values as {@link IntEpilogue#finish}: the adds are the fold's (proved free of overflow), in any order.
     */
    private void rescaleBlocks(byte[] an, byte[] bn, int m, int n, int k, int bits, IntEpilogue.Rescale r) {
        if (m == 0 || n == 0) {
            return;
        }
        FoldMap f = r.fold() == null || r.plain(m, n) ? null : r.fold();
        int[] starts = f == null ? new int[] {0, k} : f.colGroupStart();
        int kc = kChunk(bits);
        int rowsPer = (int) Math.max(1, Math.min(m, fusedResults / n));
        int blocks = (m + rowsPer - 1) / rowsPer;
        if (f == null ? k <= kc : f.fitsInt32()) {
            rescaleBlocksInt(an, bn, m, n, k, starts, f, rowsPer, blocks, r);
            return;
        }
        int groups = starts.length - 1;
        FloatMatrix out = r.out();
        double[] sa = r.lhsScale();
        double[] sw = r.rhsScale();
        Parallel.forRanges(Math.min(threads, blocks), blocks, (t, b0, b1) -> {
            int[] c = new int[rowsPer * n];
            long[] acc = new long[rowsPer * n];
            for (int blk = b0; blk < b1; blk++) {
                int i0 = blk * rowsPer;
                int rows = Math.min(rowsPer, m - i0);
                int size = rows * n;
                boolean first = true;
                for (int g = 0; g < groups; g++) {
                    int shift = f == null ? 0 : f.digitShift() * f.groupExp()[g];
                    for (int p0 = starts[g], p1; p0 < starts[g + 1]; p0 = p1) {
                        p1 = (int) Math.min(starts[g + 1], (long) p0 + kc);
                        dnn.setThreads(1);
                        dnn.gemmS8S8S32(rows, n, p1 - p0, an, i0 * k + p0, k, bn, p0, k, c, 0, n);
                        accumulate(c, acc, size, shift, first);
                        first = false;
                    }
                }
                if (first) { // k = 0: the product is zero
                    Arrays.fill(acc, 0, size, 0L);
                }
                for (int i = 0; i < rows; i++) {
                    IntEpilogue.rescaleRow(acc, i * n, sa[i0 + i], sw, out.data(), out.index(i0 + i, 0), n);
                }
            }
        });
    }

    /**
     * {@link #rescaleBlocks} with an int32 accumulator (the caller proved the bound): the first group's product lands in the
     * accumulator itself when its shift is 0, the others are shifted and added in int32 lanes, and the block is rescaled
     * from int32 ({@code (double) int} is exact, so the values are the reference's).
     */
    private void rescaleBlocksInt(byte[] an, byte[] bn, int m, int n, int k, int[] starts, FoldMap f, int rowsPer, int blocks,
                                  IntEpilogue.Rescale r) {
        int groups = starts.length - 1;
        FloatMatrix out = r.out();
        double[] sa = r.lhsScale();
        double[] sw = r.rhsScale();
        Parallel.forRanges(Math.min(threads, blocks), blocks, (t, b0, b1) -> {
            int[] c = new int[rowsPer * n];
            int[] acc = new int[rowsPer * n];
            for (int blk = b0; blk < b1; blk++) {
                int i0 = blk * rowsPer;
                int rows = Math.min(rowsPer, m - i0);
                int size = rows * n;
                boolean first = true;
                for (int g = 0; g < groups; g++) {
                    int width = starts[g + 1] - starts[g];
                    if (width == 0) {
                        continue;
                    }
                    int shift = f == null ? 0 : f.digitShift() * f.groupExp()[g];
                    dnn.setThreads(1);
                    if (first && shift == 0) {
                        dnn.gemmS8S8S32(rows, n, width, an, i0 * k + starts[g], k, bn, starts[g], k, acc, 0, n);
                    } else {
                        dnn.gemmS8S8S32(rows, n, width, an, i0 * k + starts[g], k, bn, starts[g], k, c, 0, n);
                        accumulateInt(c, acc, size, shift, first);
                    }
                    first = false;
                }
                if (first) { // k = 0: the product is zero
                    Arrays.fill(acc, 0, size, 0);
                }
                for (int i = 0; i < rows; i++) {
                    rescaleRow(acc, i * n, sa[i0 + i], sw, out.data(), out.index(i0 + i, 0), n);
                }
            }
        });
    }

    /** {@code acc = c << shift} (first) or {@code acc += c << shift} in int32 (no overflow: the caller's bound). */
    private static void accumulateInt(int[] c, int[] acc, int size, int shift, boolean first) {
        if (first) {
            for (int x = 0; x < size; x++) {
                acc[x] = c[x] << shift;
            }
        } else {
            for (int x = 0; x < size; x++) {
                acc[x] += c[x] << shift;
            }
        }
    }

    /** {@code acc = c << shift} (first) or {@code acc += c << shift}: plain loops that C2 vectorizes. */
    private static void accumulate(int[] c, long[] acc, int size, int shift, boolean first) {
        if (first) {
            for (int x = 0; x < size; x++) {
                acc[x] = (long) c[x] << shift;
            }
        } else {
            for (int x = 0; x < size; x++) {
                acc[x] += (long) c[x] << shift;
            }
        }
    }

    /** Test and self-test helper: the plain exact product into a fresh int64 matrix. */
    LongMatrix product(IntMatrix a, IntMatrix b, int bits) {
        LongMatrix out = LongMatrix.zeros(a.rows(), b.rows());
        run(a, b, bits, new IntEpilogue.ToLong(out));
        return out;
    }
}
