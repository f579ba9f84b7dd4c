package dev.lowbit.gemm;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.quant.DfpQuantizer.Dfp;

/**
 * The DFP16 GEMM of Das et al. (ICLR 2018): int16 × int16 products accumulated in an int32 accumulator, with the paper's
 * overflow management. A product of two int16 codes needs up to 31 bits (|a·b| ≤ 2^30), so an int32 accumulator can
 * overflow after as few as two full-scale products; the reduction is therefore cut into <em>bounded chunks</em> along k,
 * each accumulated in int32 with at most {@code c} products, where {@code c · max|a| · max|b| ≤ 2^31 − 1} guarantees
 * that no partial sum can leave int32; after each chunk the int32 partial sum is converted to float32 and added to a
 * float32 accumulator (the paper's partial INT32 → FP32 conversion), and the result is scaled by the two shared
 * exponents, {@code 2^(Ea + Eb)} (an exact power-of-two scaling of the float32 sum).
 *
 * <p>The bound {@code c} is taken per row of A from that row's largest code and B's ({@link #safeChunk}), so rows
 * without large codes accumulate longer runs in int32. Every int32 partial sum is exact, so the result differs from the
 * exact (int64) dot product only by the float32 additions of the partial sums; {@link #partialSumsExact} flushes the same
 * int32 chunks into int64 instead, which is exact and is what the tests compare with a long reference.
 */
public final class DfpGemm {
    private DfpGemm() {}

    /** Automatic chunk length: per output element from its two rows' maxima ({@link #safeChunk}). */
    public static final int AUTO_CHUNK = 0;

    /**
     * The longest run of products that an int32 accumulator holds without overflow when every |a| ≤ {@code maxA} and
     * every |b| ≤ {@code maxB}: {@code floor((2^31 − 1) / (maxA·maxB))}, between 1 and {@code k}.
     */
    public static int safeChunk(int maxA, int maxB, int k) {
        long p = (long) maxA * maxB;
        if (p == 0) {
            return Math.max(1, k);
        }
        if (p > Integer.MAX_VALUE) {
            throw new LowbitException("DFP GEMM: a single product " + maxA + " x " + maxB + " exceeds int32");
        }
        return (int) Math.max(1, Math.min(Math.max(1, k), Integer.MAX_VALUE / p));
    }

    /**
     * {@code C = A·Bᵀ} in float32 (A m×k, B n×k as DFP tensors, C m×n row-major in {@code out}): bounded int32 chunks
     * of at most {@code chunk} products ({@link #AUTO_CHUNK}: per row i of A, {@code safeChunk(max|A_i|, max|B|, k)};
     * an explicit chunk is checked against the safe bound of the two tensors' maxima), each converted to float32 and
     * summed in float32, then scaled by {@code 2^(Ea+Eb)}. The int32 accumulators of one row of C run side by side
     * (k-outer, j-inner: a vectorizable multiply-add per k), flushed to float32 together at each chunk's end. Rows are
     * shared out over {@code threads}; every element is computed the same way whatever the thread count.
     */
    public static void multiply(Dfp a, Dfp b, int chunk, float[] out, int threads) {
        int m = a.rows();
        int n = b.rows();
        int k = a.cols();
        check(a, b, chunk, out.length);
        int[] rowA = rowMaxima(a);
        int maxB = b.maxAbs();
        int scale = a.exponent() + b.exponent();
        short[] ca = a.codes();
        short[] bt = transpose(b); // k×n: B's column l is row l here
        int parts = Parallel.parts(threads, m, (long) n * k);
        Parallel.forRanges(parts, m, (t, from, to) -> {
            int[] acc = new int[n];
            float[] facc = new float[n];
            for (int i = from; i < to; i++) {
                int c = chunk == AUTO_CHUNK ? safeChunk(rowA[i], maxB, k) : chunk;
                java.util.Arrays.fill(facc, 0f);
                for (int l0 = 0; l0 < k; l0 += c) {
                    chunkRow(ca, i * k, bt, n, l0, Math.min(k, l0 + c), acc);
                    for (int j = 0; j < n; j++) {
                        facc[j] += (float) acc[j];
                    }
                }
                for (int j = 0; j < n; j++) {
                    out[i * n + j] = (float) Math.scalb((double) facc[j], scale);
                }
            }
        });
    }

    /**
     * One int32 chunk of a whole row of C: {@code acc[j] = Σ_{l0 ≤ l < l1} a[ao+l]·bt[l·n+j]}, accumulated in int32
     * exactly as a hardware int16 → int32 multiply-accumulate would (a sum beyond int32 wraps around; callers keep the
     * chunk within {@link #safeChunk}).
     */
    static void chunkRow(short[] a, int ao, short[] bt, int n, int l0, int l1, int[] acc) {
        java.util.Arrays.fill(acc, 0);
        for (int l = l0; l < l1; l++) {
            int x = a[ao + l];
            if (x == 0) {
                continue;
            }
            int base = l * n;
            for (int j = 0; j < n; j++) {
                acc[j] += x * bt[base + j];
            }
        }
    }

    /**
     * The same int32 chunks as {@link #multiply} (same chunk rule), each flushed into an int64 accumulator instead of
     * float32: the exact integer product of the codes whenever no chunk overflows int32 (always, for
     * {@link #AUTO_CHUNK} or any chunk within the safe bound). {@code chunk = k} with codes large enough shows what
     * accumulating the whole reduction in int32 would give (wrapped partial sums).
     */
    public static long[] partialSumsExact(Dfp a, Dfp b, int chunk) {
        int m = a.rows();
        int n = b.rows();
        int k = a.cols();
        if (a.cols() != b.cols()) {
            throw new LowbitException("DFP GEMM: inner dimensions differ (" + a.cols() + " vs " + b.cols() + ")");
        }
        int[] rowA = rowMaxima(a);
        short[] bt = transpose(b);
        long[] out = new long[m * n];
        int[] acc = new int[n];
        for (int i = 0; i < m; i++) {
            int c = chunk == AUTO_CHUNK ? safeChunk(rowA[i], b.maxAbs(), k) : chunk;
            for (int l0 = 0; l0 < k; l0 += c) {
                chunkRow(a.codes(), i * k, bt, n, l0, Math.min(k, l0 + c), acc);
                for (int j = 0; j < n; j++) {
                    out[i * n + j] += acc[j];
                }
            }
        }
        return out;
    }

    private static short[] transpose(Dfp b) {
        int n = b.rows();
        int k = b.cols();
        short[] src = b.codes();
        short[] t = new short[k * n];
        for (int j = 0; j < n; j++) {
            for (int l = 0; l < k; l++) {
                t[l * n + j] = src[j * k + l];
            }
        }
        return t;
    }

    private static void check(Dfp a, Dfp b, int chunk, int outLength) {
        if (a.cols() != b.cols()) {
            throw new LowbitException("DFP GEMM: inner dimensions differ (" + a.cols() + " vs " + b.cols() + ")");
        }
        if ((long) a.rows() * b.rows() != outLength) {
            throw new LowbitException("DFP GEMM: output holds " + outLength + " values, needs " + a.rows() + " x " + b.rows());
        }
        if (chunk < 0) {
            throw new LowbitException("DFP GEMM: chunk must be >= 0 (0: automatic), got " + chunk);
        }
        if (chunk != AUTO_CHUNK && chunk > safeChunk(a.maxAbs(), b.maxAbs(), Integer.MAX_VALUE)) {
            throw new LowbitException("DFP GEMM: chunk " + chunk + " can overflow the int32 accumulator (max |a| = " + a.maxAbs()
                    + ", max |b| = " + b.maxAbs() + ": at most " + safeChunk(a.maxAbs(), b.maxAbs(), Integer.MAX_VALUE) + " products)");
        }
    }

    private static int[] rowMaxima(Dfp x) {
        int[] m = new int[x.rows()];
        for (int r = 0; r < m.length; r++) {
            m[r] = x.rowMaxAbs(r);
        }
        return m;
    }
}
