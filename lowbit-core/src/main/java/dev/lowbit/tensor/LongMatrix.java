package dev.lowbit.tensor;

import java.util.Arrays;

/** Dense row-major {@code long} matrix, possibly a view (offset/stride) into a larger array. */
public final class LongMatrix extends MatrixLayout {
    private final long[] data;

    public LongMatrix(long[] data, int rows, int cols, int offset, int stride) {
        super(rows, cols, offset, stride, data.length);
        this.data = data;
    }

    /** A zero matrix of the given shape. */
    public static LongMatrix zeros(int rows, int cols) {
        return new LongMatrix(new long[checkedSize(rows, cols, 8, "int64")], rows, cols, 0, cols);
    }

    /** Wraps a row-major array of exactly {@code rows * cols} elements (no copy). */
    public static LongMatrix wrap(long[] data, int rows, int cols) {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("array of length " + data.length + " is not " + rows + "x" + cols);
        }
        return new LongMatrix(data, rows, cols, 0, cols);
    }

    /** Builds a matrix from rows given as arrays (copied); all rows must have the same length. */
    public static LongMatrix of(long[]... rowArrays) {
        int r = rowArrays.length;
        int c = r == 0 ? 0 : rowArrays[0].length;
        LongMatrix m = zeros(r, c);
        for (int i = 0; i < r; i++) {
            if (rowArrays[i].length != c) {
                throw new IllegalArgumentException("row " + i + " has " + rowArrays[i].length + " entries, expected " + c);
            }
            System.arraycopy(rowArrays[i], 0, m.data, i * c, c);
        }
        return m;
    }

    public long[] data() {
        return data;
    }

    @Override
    public Object backingArray() {
        return data;
    }

    public long get(int r, int c) {
        return data[index(r, c)];
    }

    public void set(int r, int c, long v) {
        data[index(r, c)] = v;
    }

    /** A view of the block starting at (r0, c0) that shares this matrix's storage. */
    public LongMatrix view(int r0, int c0, int nRows, int nCols) {
        checkView(r0, c0, nRows, nCols);
        return new LongMatrix(data, nRows, nCols, offset + r0 * stride + c0, stride);
    }

    /** Row r as a fresh array. */
    public long[] row(int r) {
        int i = index(r, 0);
        return Arrays.copyOfRange(data, i, i + cols);
    }

    /** A compact copy (offset 0, stride == cols). */
    public LongMatrix copy() {
        LongMatrix out = zeros(rows, cols);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data, index(r, 0), out.data, r * cols, cols);
        }
        return out;
    }

    /** All elements in row-major order as a fresh array. */
    public long[] toArray() {
        return copy().data;
    }

    /** Element-wise equality of shape and values (layout is ignored). */
    public boolean contentEquals(LongMatrix other) {
        if (rows != other.rows || cols != other.cols) {
            return false;
        }
        for (int r = 0; r < rows; r++) {
            if (!Arrays.equals(data, index(r, 0), index(r, 0) + cols, other.data, other.index(r, 0), other.index(r, 0) + cols)) {
                return false;
            }
        }
        return true;
    }
}
