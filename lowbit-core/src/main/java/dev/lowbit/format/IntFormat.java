package dev.lowbit.format;

import dev.lowbit.LowbitException;
import dev.lowbit.round.Rounding;
import java.util.Objects;

/**
 * A b-bit integer format (b ∈ 2..16) with a float scale per tensor, row, column or group
 * ({@link Granularity}), symmetric or asymmetric. For each scale cell:
 *
 * <pre>
 *   symmetric:  qmax = 2^(b−1) − 1,  s = max|x| / qmax,            q = clamp(round(x/s), −qmax, qmax),      x' = q·s
 *   asymmetric: lo = min(min x, 0), hi = max(max x, 0),  s = (hi − lo)/(2^b − 1),
 *               z = clamp(rint(−lo/s), 0, 2^b − 1),      q = clamp(round(x/s) + z, 0, 2^b − 1),  x' = (q − z)·s
 * </pre>
 * in double, with s = 1 when the cell is all zero; x' is rounded once to float. The range includes 0
 * exactly. Symmetric codes exclude −2^(b−1) (a restricted range: the grid is symmetric). Non-finite input
 * is an error. Inside a {@link BlockFormat} an IntFormat is an element instead: the sign-magnitude fixed
 * point value k/2^(b−2), |k| ≤ 2^(b−1) − 1 (MXINT8: k/64), and its own granularity is ignored.
 */
public record IntFormat(int bits, boolean symmetric, Granularity granularity) implements NumberFormat {

    public IntFormat {
        if (bits < 2 || bits > 16) {
            throw new LowbitException("integer formats need 2..16 bits, got " + bits);
        }
        Objects.requireNonNull(granularity, "granularity");
    }

    public static IntFormat symmetric(int bits) {
        return new IntFormat(bits, true, Granularity.TENSOR);
    }

    public int qmin() {
        return symmetric ? -qmaxSym() : 0;
    }

    public int qmax() {
        return symmetric ? qmaxSym() : (1 << bits) - 1;
    }

    private int qmaxSym() {
        return (1 << (bits - 1)) - 1;
    }

    @Override
    public String name() {
        StringBuilder sb = new StringBuilder("int").append(bits);
        if (!symmetric) {
            sb.append("-asym");
        }
        switch (granularity.kind()) {
            case TENSOR -> { }
            case ROW -> sb.append("-row");
            case COLUMN -> sb.append("-col");
            case GROUP -> sb.append("-g").append(granularity.groupSize());
        }
        return sb.toString();
    }

    @Override
    public FormatInfo info() {
        return new FormatInfo(name(), bits, qmax(), 1, 1, 1, false, false,
                (symmetric ? "symmetric" : "asymmetric") + " integer, " + granularity + " scale (values in scale units)");
    }

    /** The scale (and zero point) of one cell, from its min and max. */
    record Cell(double scale, int zero) {}

    Cell cell(double min, double max) {
        if (symmetric) {
            double amax = Math.max(Math.abs(min), Math.abs(max));
            double s = amax / qmaxSym();
            return new Cell(s == 0 ? 1 : s, 0);
        }
        double lo = Math.min(min, 0);
        double hi = Math.max(max, 0);
        double s = (hi - lo) / ((1 << bits) - 1);
        if (s == 0) {
            s = 1;
        }
        int z = (int) Math.max(0, Math.min((1 << bits) - 1, Math.rint(-lo / s)));
        return new Cell(s, z);
    }

    /** The cells of a rows × cols array, cell (sr, sc) at {@code sr · scaleCols + sc}. */
    Cell[] cells(float[] x, int rows, int cols) {
        int sRows = granularity.scaleRows(rows);
        int sCols = granularity.scaleCols(cols);
        int gw = granularity.groupCols(cols);
        double[] mins = new double[sRows * sCols];
        double[] maxs = new double[sRows * sCols];
        for (int r = 0; r < rows; r++) {
            int base = (sRows == 1 ? 0 : r) * sCols;
            for (int c = 0; c < cols; c++) {
                float v = x[r * cols + c];
                if (!Float.isFinite(v)) {
                    throw new LowbitException(name() + " needs finite input: element " + (r * cols + c) + " is " + v);
                }
                int k = base + c / gw;
                mins[k] = Math.min(mins[k], v);
                maxs[k] = Math.max(maxs[k], v);
            }
        }
        Cell[] out = new Cell[mins.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = cell(mins[i], maxs[i]);
        }
        return out;
    }

    int cellIndex(int r, int c, int rows, int cols) {
        int sRows = granularity.scaleRows(rows);
        return (sRows == 1 ? 0 : r) * granularity.scaleCols(cols) + c / granularity.groupCols(cols);
    }

    /** The code of x in a cell; {@code sat[0]} counts clamps. */
    int code(double x, Cell cell, Rounding rounding, long index, long[] sat) {
        double q = rounding.round(x / cell.scale(), index) + cell.zero();
        if (q < qmin()) {
            sat[0]++;
            return qmin();
        }
        if (q > qmax()) {
            sat[0]++;
            return qmax();
        }
        return (int) q;
    }

    static float value(int code, Cell cell) {
        return (float) ((code - cell.zero()) * cell.scale());
    }

    @Override
    public RoundStats round(float[] x, float[] out, int rows, int cols, Rounding rounding, int threads) {
        Math.multiplyExact(rows, cols);
        Cell[] cells = cells(x, rows, cols);
        return RoundStats.overRanges(threads, rows, cols, (t, r0, r1) -> {
            long[] sat = new long[1];
            for (int r = r0; r < r1; r++) {
                for (int c = 0; c < cols; c++) {
                    int i = r * cols + c;
                    Cell cell = cells[cellIndex(r, c, rows, cols)];
                    out[i] = value(code(x[i], cell, rounding, i, sat), cell);
                }
            }
            return new RoundStats((long) (r1 - r0) * cols, sat[0], 0);
        });
    }

    /** Integer codes with their per-cell scales and zero points. */
    public record Encoded(IntFormat format, int rows, int cols, int[] codes, double[] scales, int[] zeroPoints) {}

    public Encoded encode(float[] x, int rows, int cols, Rounding rounding) {
        Cell[] cells = cells(x, rows, cols);
        int[] codes = new int[rows * cols];
        long[] sat = new long[1];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                codes[i] = code(x[i], cells[cellIndex(r, c, rows, cols)], rounding, i, sat);
            }
        }
        double[] scales = new double[cells.length];
        int[] zeros = new int[cells.length];
        for (int i = 0; i < cells.length; i++) {
            scales[i] = cells[i].scale();
            zeros[i] = cells[i].zero();
        }
        return new Encoded(this, rows, cols, codes, scales, zeros);
    }

    public float[] decode(Encoded e) {
        float[] out = new float[e.rows() * e.cols()];
        for (int r = 0; r < e.rows(); r++) {
            for (int c = 0; c < e.cols(); c++) {
                int k = cellIndex(r, c, e.rows(), e.cols());
                int i = r * e.cols() + c;
                out[i] = value(e.codes()[i], new Cell(e.scales()[k], e.zeroPoints()[k]));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ as a block element

    /** Fraction bits of the element interpretation: b − 2. */
    int fractionBits() {
        return bits - 2;
    }

    /** Largest element magnitude (2^(b−1) − 1) / 2^(b−2). */
    double elementMax() {
        return Math.scalb((double) qmaxSym(), -fractionBits());
    }

    /** Element rounding: clamp(round(v · 2^(b−2)), ±(2^(b−1) − 1)) / 2^(b−2); a zero result is +0. */
    double roundElement(double v, Rounding rounding, long index) {
        double k = rounding.round(Math.scalb(v, fractionBits()), index);
        k = Math.max(-qmaxSym(), Math.min(qmaxSym(), k));
        return k == 0 ? 0.0 : Math.scalb(k, -fractionBits());
    }

    /** Two's complement b-bit code of an element value k/2^(b−2). */
    int elementCode(double value) {
        int k = (int) Math.scalb(value, fractionBits());
        return k & ((1 << bits) - 1);
    }

    double elementValue(int code) {
        int k = (code << (32 - bits)) >> (32 - bits);
        return Math.scalb((double) k, -fractionBits());
    }
}
