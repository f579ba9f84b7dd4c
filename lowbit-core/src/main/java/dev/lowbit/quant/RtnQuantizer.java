package dev.lowbit.quant;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.format.Granularity;
import dev.lowbit.numeric.VectorMath;
import dev.lowbit.numeric.VectorMaths;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.Arrays;

/**
 * IM-Unpack's round-to-nearest quantizer with a percentile scale (the paper's reference code
 * semantics). For each scale cell with n elements:
 *
 * <pre>
 *   k_top = floor(n · (1 − beta))           (in double)
 *   alpha = k_top-th largest |x|            (k_top == 0 → max |x|);  alpha &lt; 1e-20 → 1e-20
 *   s     = (levels / 2) / alpha            (in double)
 *   q     = rint(x · s)                     (ties to even), no clipping
 * </pre>
 *
 * About (1 − beta) of the entries come out with |q| ≥ levels/2: the heavy hitters, kept exactly as
 * large integers. With {@link QuantParams#clip()} codes are clamped to ±floor((levels − 1)/2) instead
 * (the paper's ablation). NaN/Inf input, and codes beyond ±2^62 (which no exact int64 GEMM could
 * use), are errors.
 */
public final class RtnQuantizer {
    /** The element-wise kernels of {@link #quantizeIntRows}: the preferred VectorMath (SIMD when on the class path). */
    private static final class Kernels {
        static final VectorMath VM = VectorMaths.preferred();
    }

    /** Largest |code| accepted: beyond it the int64 GEMM of the codes could not be exact. */
    public static final double MAX_CODE = 0x1p62;
    static final double MIN_ALPHA = 1e-20;

    private RtnQuantizer() {}

    public static QuantizedMatrix quantize(FloatMatrix x, QuantParams p) {
        return quantize(x, p, "input");
    }

    /** Quantizes {@code x}; {@code what} names it in error messages. */
    public static QuantizedMatrix quantize(FloatMatrix x, QuantParams p, String what) {
        requireFinite(x, what);
        int rows = x.rows();
        int cols = x.cols();
        Granularity g = p.granularity();
        int sRows = g.scaleRows(rows);
        int sCols = g.scaleCols(cols);
        int gw = g.groupCols(cols);
        double[] scales = new double[sRows * sCols];
        double[] alphas = new double[sRows * sCols];
        LongMatrix codes = LongMatrix.zeros(rows, cols);
        double clipMax = Math.floor((p.levels() - 1) / 2.0);
        for (int sr = 0; sr < sRows; sr++) {
            int r0 = sRows == 1 ? 0 : sr;
            int r1 = sRows == 1 ? rows : sr + 1;
            for (int sc = 0; sc < sCols; sc++) {
                int c0 = sc * gw;
                int c1 = Math.min(cols, c0 + gw);
                float[] mags = new float[(r1 - r0) * Math.max(0, c1 - c0)];
                float[] xd = x.data();
                int n = 0;
                for (int r = r0; r < r1; r++) {
                    for (int c = c0, at = x.index(r, c0); c < c1; c++, at++) {
                        mags[n++] = Math.abs(xd[at]);
                    }
                }
                double alpha = percentileAlpha(mags, p.beta());
                if (alpha == MIN_ALPHA && p.nonZeroAlpha()) {
                    alpha = percentileAlpha(nonZero(mags), p.beta());
                }
                if (p.nonZeroAlpha() && !p.clip()) {
                    float mx = 0;
                    for (int i = 0; i < n; i++) {
                        mx = Math.max(mx, mags[i]);
                    }
                    alpha = trainingAlphaFloor(alpha, mx, p);
                }
                double s = (p.levels() / 2.0) / alpha;
                alphas[sr * sCols + sc] = alpha;
                scales[sr * sCols + sc] = s;
                long[] cd = codes.data();
                for (int r = r0; r < r1; r++) {
                    int at = x.index(r, c0);
                    int ct = codes.index(r, c0);
                    if (!p.clip()) {
                        // fast pass (no branch per element); the rare overflow is located below
                        double big = 0;
                        for (int c = c0; c < c1; c++) {
                            double q = Math.rint(xd[at + c - c0] * s);
                            big = Math.max(big, Math.abs(q));
                            cd[ct + c - c0] = (long) q;
                        }
                        if (big <= MAX_CODE) {
                            continue;
                        }
                    }
                    for (int c = c0; c < c1; c++) {
                        double q = Math.rint(x.get(r, c) * s);
                        if (p.clip()) {
                            q = Math.max(-clipMax, Math.min(clipMax, q));
                        } else if (Math.abs(q) > MAX_CODE) {
                            throw new LowbitException(what + ": quantized value " + q + " at (" + r + ", " + c
                                    + ") exceeds 2^62: alpha = " + alpha + " is tiny next to max|x|"
                                    + (alpha == MIN_ALPHA ? " (mostly zeros)" : "") + "; use a larger beta");
                        }
                        codes.set(r, c, (long) q);
                    }
                }
            }
        }
        return new QuantizedMatrix(codes, scales, alphas, p);
    }

    /**
     * Per-tensor RTN codes that fit in int32, with their scale: {@code x ≈ codes[r·cols + c] / scale}.
     *
     * @param codes row-major, compact ({@code rows × cols})
     * @param maxAbs the largest |code|
     * @param rowMax the largest |code| of each row
     * @param colMax the largest |code| of each column
     * @param heavy the number of codes with |code| ≥ the threshold asked for
     */
    public record IntCodes(int[] codes, int rows, int cols, double scale, double alpha, int maxAbs, int[] rowMax, int[] colMax,
                           long heavy) {
        /** Codes with their maxima and heavy-hitter count computed from them (tests, and codes from elsewhere). */
        public static IntCodes of(int[] codes, int rows, int cols, double scale, double alpha, long heavyThreshold) {
            int[] rowMax = new int[rows];
            int[] colMax = new int[cols];
            long heavy = 0;
            int max = 0;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int v = Math.abs(codes[r * cols + c]);
                    rowMax[r] = Math.max(rowMax[r], v);
                    colMax[c] = Math.max(colMax[c], v);
                    heavy += v >= heavyThreshold ? 1 : 0;
                    max = Math.max(max, v);
                }
            }
            return new IntCodes(codes, rows, cols, scale, alpha, max, rowMax, colMax, heavy);
        }

        /** The codes of the transposed matrix (same scale, alpha and counts; row and column maxima swap). */
        public IntCodes transposed() {
            return transposed(1);
        }

        /** As {@link #transposed()}, the columns shared out over {@code parallelism} tasks (same result for any). */
        public IntCodes transposed(int parallelism) {
            return new IntCodes(transpose(codes, rows, cols, parallelism), cols, rows, scale, alpha, maxAbs, colMax, rowMax, heavy);
        }
    }

    /** The cols × rows transpose of a compact row-major int matrix, in 16 × 16 blocks (one full cache line per write run). */
    static int[] transpose(int[] x, int rows, int cols) {
        return transpose(x, rows, cols, 1);
    }

    /** As above, column blocks (rows of the transpose) shared out over {@code parallelism} tasks. */
    static int[] transpose(int[] x, int rows, int cols, int parallelism) {
        int[] t = new int[x.length];
        int blocks = (cols + 15) / 16;
        Parallel.forRanges(Parallel.parts(parallelism, blocks, 16L * rows), blocks, (part, b0, b1) -> {
            for (int r0 = 0; r0 < rows; r0 += 16) {
                int r1 = Math.min(rows, r0 + 16);
                for (int c0 = 16 * b0; c0 < Math.min(cols, 16 * b1); c0 += 16) {
                    int c1 = Math.min(cols, c0 + 16);
                    for (int c = c0; c < c1; c++) {
                        int o = c * rows;
                        for (int r = r0; r < r1; r++) {
                            t[o + r] = x[r * cols + c];
                        }
                    }
                }
            }
        });
        return t;
    }

    /** Largest |code| {@link #quantizeInt} returns as int32 codes. */
    static final double MAX_INT_CODE = 0x1p30;

    /**
     * The same codes, scale and alpha as {@link #quantize} for a per-tensor setting, as int32 — or
     * {@code null} when the granularity is not per tensor or some |code| would exceed 2^30 (the caller then
     * uses {@link #quantize}, which also reports codes beyond 2^62).
     */
    public static IntCodes quantizeInt(FloatMatrix x, QuantParams p, String what) {
        return quantizeInt(x, p, what, false, Long.MAX_VALUE);
    }

    /**
     * As {@link #quantizeInt(FloatMatrix, QuantParams, String)}, in two passes over x: the first takes the
     * magnitudes with their row and column maxima (and detects NaN/Inf), the percentile is an O(n)
     * selection, the second rounds: {@code q = rint(x·s)} in double, exactly as in {@link #quantize}, so the
     * codes are bit-identical. Row and column maxima of |q| follow from those of |x| because rint is odd
     * and monotone: {@code max |rint(x·s)| = rint(max |x| · s)}.
     *
     * @param transpose write the codes of xᵀ (cols × rows): a per-tensor percentile does not depend on the
     *     layout, so these are exactly the codes of the transposed matrix, without a transposed float copy
     * @param heavyThreshold count the codes with |q| ≥ this
     */
    public static IntCodes quantizeInt(FloatMatrix x, QuantParams p, String what, boolean transpose, long heavyThreshold) {
        return quantizeInt(x, p, what, transpose, heavyThreshold, 1);
    }

    /**
     * As {@link #quantizeInt(FloatMatrix, QuantParams, String, boolean, long)}, both passes shared out over
     * {@code parallelism} parts on lowbit's worker pool ({@link dev.lowbit.Parallel}: contiguous row ranges of at
     * least 64 Ki entries; maxima merged by max, counts summed), so the result is the same for any parallelism. The
     * magnitudes and the rounding run on the {@link dev.lowbit.numeric.VectorMath} kernels of {@link #quantizeIntRows};
     * the percentile is {@link Selection#kthLargestBits}.
     */
    public static IntCodes quantizeInt(FloatMatrix x, QuantParams p, String what, boolean transpose, long heavyThreshold,
                                       int parallelism) {
        if (p.granularity().kind() != Granularity.Kind.TENSOR) {
            return null;
        }
        int rows = x.rows();
        int cols = x.cols();
        int n = rows * cols;
        float[] xd = x.data();
        VectorMath vm = Kernels.VM;
        int parts = Parallel.parts(parallelism, rows, cols);
        int[] magBits = new int[n];
        int[] rowMaxB = new int[rows];
        Parallel.forRanges(parts, rows, (t, r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                rowMaxB[r] = vm.absBits(xd, x.index(r, 0), magBits, r * cols, cols);
            }
        });
        int maxB = 0;
        for (int v : rowMaxB) {
            maxB = Math.max(maxB, v);
        }
        if (maxB > Float.floatToRawIntBits(Float.MAX_VALUE)) {
            requireFinite(x, what);
        }
        double alpha = cellAlpha(magBits, n, maxB, p, new int[n], vm, parallelism);
        double s = (p.levels() / 2.0) / alpha;
        double clipMax = p.clip() ? Math.floor((p.levels() - 1) / 2.0) : Double.POSITIVE_INFINITY;
        double qMax = Math.min(clipMax, Math.rint(Float.intBitsToFloat(maxB) * s)); // rint is monotone: the largest |code|
        if (qMax > MAX_INT_CODE) {
            return null;
        }
        int[] rowCode = new int[rows];
        for (int r = 0; r < rows; r++) {
            rowCode[r] = (int) Math.min(clipMax, Math.rint(Float.intBitsToFloat(rowMaxB[r]) * s));
        }
        int thr = (int) Math.max(0, Math.min(heavyThreshold, Integer.MAX_VALUE));
        int[] codes = magBits; // the magnitudes are not needed any more: their array takes the codes
        int[][] colMaxes = new int[parts][cols];
        long[] heavies = new long[parts];
        Parallel.forRanges(parts, rows, (t, r0, r1) -> {
            int[] colMax = colMaxes[t];
            long heavy = 0;
            for (int r = r0; r < r1; r++) {
                heavy += roundRow(x, r, s, p.clip(), clipMax, codes, colMax, thr, vm);
            }
            heavies[t] = heavy;
        });
        int[] colCode = colMaxes[0];
        long heavy = heavies[0];
        for (int t = 1; t < parts; t++) {
            heavy += heavies[t];
            for (int c = 0; c < cols; c++) {
                colCode[c] = Math.max(colCode[c], colMaxes[t][c]);
            }
        }
        if (transpose) {
            return new IntCodes(transpose(codes, rows, cols, parallelism), cols, rows, s, alpha, (int) qMax, colCode, rowCode, heavy);
        }
        return new IntCodes(codes, rows, cols, s, alpha, (int) qMax, rowCode, colCode, heavy);
    }

    /**
     * RTN codes in int32 with one scale per row, or one per block of rows: {@code x[r][c] ≈ codes[r·cols + c] / scales[r]}.
     *
     * @param codes row-major, compact ({@code rows × cols})
     * @param scales the scale of each row (rows of one block share it)
     * @param alphas the percentile magnitude of each row's cell ({@code scales[r] = (levels/2)/alphas[r]})
     * @param maxAbs the largest |code|
     * @param rowMax the largest |code| of each row
     * @param colMax the largest |code| of each column
     * @param heavy the number of codes with |code| ≥ the threshold asked for
     */
    public record RowIntCodes(int[] codes, int rows, int cols, double[] scales, double[] alphas, int maxAbs, int[] rowMax,
                              int[] colMax, long heavy) {
        /** Codes with their maxima and heavy-hitter count computed from them (alphas NaN: tests, and codes from elsewhere). */
        public static RowIntCodes of(int[] codes, int rows, int cols, double[] scales, long heavyThreshold) {
            IntCodes t = IntCodes.of(codes, rows, cols, 1, 1, heavyThreshold);
            double[] alphas = new double[rows];
            Arrays.fill(alphas, Double.NaN);
            return new RowIntCodes(codes, rows, cols, scales, alphas, t.maxAbs(), t.rowMax(), t.colMax(), t.heavy());
        }

        /** The codes as an int64 matrix (for the exact reference). */
        public LongMatrix toLongMatrix() {
            LongMatrix m = LongMatrix.zeros(rows, cols);
            long[] d = m.data();
            for (int i = 0; i < codes.length; i++) {
                d[i] = codes[i];
            }
            return m;
        }
    }

    /**
     * Int32 codes with one scale per row ({@code blocks == null}): the same codes, scales and alphas as
     * {@code quantize(x, p.withGranularity(Granularity.ROW))}; or one scale per block of rows {@code [blocks[i],
     * blocks[i+1])}: the codes of {@code quantize(x.view(block), p.withGranularity(Granularity.TENSOR))} for each block.
     * The granularity of {@code p} is not used. Returns {@code null} when some |code| would exceed 2^30 (the caller
     * then uses {@link #quantize}, which also reports codes beyond 2^62). NaN/Inf are a one-line error.
     *
     * <p>One pass per cell takes the magnitudes and the row maxima (and detects NaN/Inf), the percentile is a
     * selection, a second pass rounds {@code q = rint(x·s)} in double exactly as {@link #quantize} and keeps the
     * column maxima and the heavy-hitter count ({@code |q| ≥ heavyThreshold}).
     *
     * @param blocks row offsets starting at 0, non-decreasing, ending at {@code x.rows()}; or null for one scale per row
     */
    public static RowIntCodes quantizeIntRows(FloatMatrix x, QuantParams p, int[] blocks, long heavyThreshold, String what) {
        return quantizeIntRows(x, p, blocks, heavyThreshold, what, 1);
    }

    /**
     * As {@link #quantizeIntRows(FloatMatrix, QuantParams, int[], long, String)}, the cells shared out over
     * {@code parallelism} parts on lowbit's worker pool ({@link dev.lowbit.Parallel}: contiguous cell ranges; column
     * maxima merged by max, counts summed), so the result is the same for any parallelism.
     */
    public static RowIntCodes quantizeIntRows(FloatMatrix x, QuantParams p, int[] blocks, long heavyThreshold, String what,
                                              int parallelism) {
        int rows = x.rows();
        int cols = x.cols();
        if (blocks != null) {
            if (blocks.length < 1 || blocks[0] != 0 || blocks[blocks.length - 1] != rows) {
                throw new IllegalArgumentException("row blocks must run from 0 to " + rows + ", got " + Arrays.toString(blocks));
            }
            for (int i = 1; i < blocks.length; i++) {
                if (blocks[i] < blocks[i - 1]) {
                    throw new IllegalArgumentException("row blocks must not decrease: " + Arrays.toString(blocks));
                }
            }
        }
        int cells = blocks == null ? rows : blocks.length - 1;
        int[] codes = new int[rows * cols];
        double[] scales = new double[rows];
        double[] alphas = new double[rows];
        int[] rowMax = new int[rows];
        int thr = (int) Math.max(0, Math.min(heavyThreshold, Integer.MAX_VALUE));
        int parts = (int) Math.max(1, Math.min(parallelism, (long) cells * cols / 65536)); // ≥ 64 Ki entries per task
        if (parts == 1) {
            int[] colMax = new int[cols];
            long[] hm = cells(x, p, blocks, 0, cells, codes, scales, alphas, rowMax, colMax, thr, what);
            return hm == null ? null : new RowIntCodes(codes, rows, cols, scales, alphas, (int) hm[1], rowMax, colMax, hm[0]);
        }
        int[][] colMaxes = new int[parts][cols];
        long[][] results = new long[parts][];
        Parallel.forRanges(parts, cells, (t, c0, c1) -> results[t] = cells(x, p, blocks, c0, c1, codes, scales, alphas, rowMax,
                colMaxes[t], thr, what));
        int[] colMax = colMaxes[0];
        long heavy = 0;
        int maxAbs = 0;
        for (int t = 0; t < parts; t++) {
            if (results[t] == null) {
                return null;
            }
            heavy += results[t][0];
            maxAbs = (int) Math.max(maxAbs, results[t][1]);
            for (int c = 0; c < cols; c++) {
                colMax[c] = Math.max(colMax[c], colMaxes[t][c]);
            }
        }
        return new RowIntCodes(codes, rows, cols, scales, alphas, maxAbs, rowMax, colMax, heavy);
    }

    /**
     * Quantizes cells {@code [cell0, cell1)} into the given arrays (rows of those cells only; {@code colMax} merged by max);
     * returns {heavy count, largest |code|}, or null when some |code| would exceed 2^30.
     */
    private static long[] cells(FloatMatrix x, QuantParams p, int[] blocks, int cell0, int cell1, int[] codes, double[] scales,
                                double[] alphas, int[] rowMax, int[] colMax, int thr, String what) {
        int cols = x.cols();
        float[] xd = x.data();
        double clipMax = p.clip() ? Math.floor((p.levels() - 1) / 2.0) : Double.POSITIVE_INFINITY;
        long heavy = 0;
        int maxAbs = 0;
        int finiteMax = Float.floatToRawIntBits(Float.MAX_VALUE);
        int[] magBits = new int[0];
        int[] scratch = new int[0];
        int[] rowMaxB = new int[0];
        VectorMath vm = Kernels.VM;
        for (int cell = cell0; cell < cell1; cell++) {
            int r0 = blocks == null ? cell : blocks[cell];
            int r1 = blocks == null ? cell + 1 : blocks[cell + 1];
            if (r1 == r0) {
                continue;
            }
            int cn = (r1 - r0) * cols;
            boolean maxOnly = cn > 0 && percentileRank(cn, p.beta()) == 0; // absmax (beta = 1) or a tiny cell: no selection
            if (!maxOnly && magBits.length < cn) {
                magBits = new int[cn];
                scratch = new int[cn];
            }
            if (rowMaxB.length < r1 - r0) {
                rowMaxB = new int[r1 - r0];
            }
            int maxB = 0;
            for (int r = r0, i = 0; r < r1; r++, i += cols) {
                int rm = maxOnly ? vm.maxAbsBits(xd, x.index(r, 0), cols) : vm.absBits(xd, x.index(r, 0), magBits, i, cols);
                rowMaxB[r - r0] = rm;
                maxB = Math.max(maxB, rm);
            }
            if (maxB > finiteMax) {
                requireFinite(x, what);
            }
            double alpha = maxOnly ? maxAlpha(maxB, p) : cellAlpha(magBits, cn, maxB, p, scratch, vm, 1);
            double s = (p.levels() / 2.0) / alpha;
            double qMax = Math.min(clipMax, Math.rint(Float.intBitsToFloat(maxB) * s)); // rint is monotone: the largest |code|
            if (qMax > MAX_INT_CODE) {
                return null;
            }
            maxAbs = Math.max(maxAbs, (int) qMax);
            for (int r = r0; r < r1; r++) {
                scales[r] = s;
                alphas[r] = alpha;
                rowMax[r] = (int) Math.min(clipMax, Math.rint(Float.intBitsToFloat(rowMaxB[r - r0]) * s));
                heavy += roundRow(x, r, s, p.clip(), clipMax, codes, colMax, thr, vm);
            }
        }
        return new long[] {heavy, maxAbs};
    }

    /**
     * alpha of one scale's cell from the raw bits of its n magnitudes ({@code maxB}: their maximum): the percentile,
     * over the non-zero magnitudes when it falls on zeros and {@code p.nonZeroAlpha()}, then the training floor.
     */
    private static double cellAlpha(int[] magBits, int n, int maxB, QuantParams p, int[] scratch,
                                    VectorMath vm, int parallelism) {
        double alpha = percentileAlphaBits(magBits, n, maxB, p.beta(), scratch, vm, parallelism);
        if (alpha == MIN_ALPHA && p.nonZeroAlpha()) {
            int nz = 0;
            for (int i = 0; i < n; i++) {
                scratch[nz] = magBits[i];
                nz += magBits[i] != 0 ? 1 : 0;
            }
            int[] nonZero = Arrays.copyOf(scratch, Math.max(1, nz)); // a single 0 when there are none
            if (nz == 0) {
                nonZero[0] = 0;
            }
            alpha = percentileAlphaBits(nonZero, nonZero.length, maxB, p.beta(), new int[nonZero.length], vm, 1);
        }
        return trainingAlphaFloor(alpha, Float.intBitsToFloat(maxB), p);
    }

    /**
     * Row r of x rounded into {@code codes[r·cols …]} ({@code q = rint(x·s)}, clipped to ±clipMax when {@code clip}),
     * column maxima merged into {@code colMax}; returns the number of |code| ≥ thr.
     */
    private static long roundRow(FloatMatrix x, int r, double s, boolean clip, double clipMax, int[] codes, int[] colMax, int thr,
                                 VectorMath vm) {
        int cols = x.cols();
        float[] xd = x.data();
        int at = x.index(r, 0);
        int o = r * cols;
        if (!clip) {
            return vm.roundCodes(xd, at, s, codes, o, colMax, 0, thr, cols);
        }
        for (int c = 0; c < cols; c++) {
            codes[o + c] = (int) Math.max(-clipMax, Math.min(clipMax, Math.rint(xd[at + c] * s)));
        }
        return maxAndCount(codes, o, colMax, cols, thr);
    }

    /** {@code colMax[c] = max(colMax[c], |codes[o + c]|)} over one row; returns the number of |code| ≥ thr. */
    private static long maxAndCount(int[] codes, int o, int[] colMax, int cols, int thr) {
        int count = 0;
        int lim = thr - 1;
        for (int c = 0; c < cols; c++) {
            int a = Math.abs(codes[o + c]);
            colMax[c] = Math.max(colMax[c], a);
            count += (lim - a) >>> 31; // 1 iff a ≥ thr (a ≥ 0 and thr ≥ 1, so no overflow)
        }
        return count;
    }

    /**
     * {@link #percentileAlpha} of the magnitudes whose raw float bits are the first {@code n} entries of {@code bits}
     * ({@code maxBits}: their maximum), through {@link Selection#kthLargestBits}: the same alpha.
     */
    /**
     * The training rule's second guard ({@code nonZeroAlpha}, heavy hitters kept): alpha is raised to
     * {@code max|x|·(n/2)/2^61} when the percentile is so small next to the largest magnitude that the largest
     * code would pass 2^61 — e.g. a gradient whose 95 % smallest entries are ~1e-20 but not zero, as in
     * attention-score gradients behind saturated softmax rows. The strict rule (the paper's, used by
     * {@code unpack}) keeps the one-line error instead. A run that never came near 2^61 is unchanged bit for bit.
     */
    static double trainingAlphaFloor(double alpha, double maxAbs, QuantParams p) {
        if (!p.nonZeroAlpha() || p.clip()) {
            return alpha;
        }
        double floor = maxAbs * (p.levels() / 2.0) / 0x1p61;
        return alpha < floor ? floor : alpha;
    }

    /** The rank (0 = the largest) of the percentile magnitude among n: {@code floor(n·(1−beta))}, 0 for beta = 1. */
    static long percentileRank(int n, double beta) {
        return beta == 1 ? 0 : (long) Math.floor(n * (1.0 - beta));
    }

    /**
     * {@link #cellAlpha} when the percentile is the maximum ({@link #percentileRank} 0): the largest magnitude, floored at
     * 1e-20, then the training floor. The non-zero retry of cellAlpha cannot change it (the largest non-zero magnitude is the
     * maximum, and all-zero cells give the floor either way), so the magnitudes themselves are never needed.
     */
    private static double maxAlpha(int maxBits, QuantParams p) {
        double alpha = Float.intBitsToFloat(maxBits);
        return trainingAlphaFloor(alpha < MIN_ALPHA ? MIN_ALPHA : alpha, Float.intBitsToFloat(maxBits), p);
    }

    static double percentileAlphaBits(int[] bits, int n, int maxBits, double beta, int[] scratch, VectorMath vm,
                                      int parallelism) {
        if (n == 0) {
            return 1.0;
        }
        long kTop = percentileRank(n, beta);
        double alpha = Float.intBitsToFloat(kTop == 0 ? maxBits : Selection.kthLargestBits(bits, n, (int) kTop, scratch, vm, parallelism));
        return alpha < MIN_ALPHA ? MIN_ALPHA : alpha;
    }

    /**
     * alpha for magnitudes {@code mags} (reordered in place): the {@code floor(n·(1−beta))}-th largest,
     * the maximum when that index is 0, floored at 1e-20.
     */
    static double percentileAlpha(float[] mags, double beta) {
        int n = mags.length;
        if (n == 0) {
            return 1.0;
        }
        long kTop = beta == 1 ? 0 : (long) Math.floor(n * (1.0 - beta));
        double alpha;
        if (kTop == 0) {
            float max = 0;
            for (float v : mags) {
                max = Math.max(max, v);
            }
            alpha = max;
        } else {
            // the kTop-th largest is the (n − kTop)-th smallest (0-based)
            alpha = Selection.selectNonNegative(mags, (int) (n - kTop));
        }
        return alpha < MIN_ALPHA ? MIN_ALPHA : alpha;
    }

    /** The non-zero entries of {@code mags} (a fresh array; a single 0 when there are none). */
    static float[] nonZero(float[] mags) {
        int n = 0;
        for (float v : mags) {
            n += v != 0 ? 1 : 0;
        }
        float[] out = new float[Math.max(1, n)];
        int i = 0;
        for (float v : mags) {
            if (v != 0) {
                out[i++] = v;
            }
        }
        return out;
    }

    /** Throws a one-line error naming the first NaN or infinite entry. */
    public static void requireFinite(FloatMatrix x, String what) {
        float[] d = x.data();
        for (int r = 0; r < x.rows(); r++) {
            int at = x.index(r, 0);
            float sum = 0;
            for (int c = 0; c < x.cols(); c++) {
                sum += d[at + c] * 0f; // NaN iff some entry is NaN or infinite
            }
            if (sum != 0f) {
                for (int c = 0; c < x.cols(); c++) {
                    float v = x.get(r, c);
                    if (!Float.isFinite(v)) {
                        throw new LowbitException(what + ": non-finite value " + v + " at (" + r + ", " + c + ")");
                    }
                }
            }
        }
    }
}
