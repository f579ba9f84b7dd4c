package dev.lowbit.tensor;

import java.util.Arrays;

/** Dense row-major {@code float} matrix, possibly a view (offset/stride) into a larger array. */
public final class FloatMatrix extends MatrixLayout {
    private final float[] data;

    public FloatMatrix(float[] data, int rows, int cols, int offset, int stride) {
        super(rows, cols, offset, stride, data.length);
        this.data = data;
    }

    /** A zero matrix of the given shape. */
    public static FloatMatrix zeros(int rows, int cols) {
        return new FloatMatrix(new float[checkedSize(rows, cols, 4, "float32")], rows, cols, 0, cols);
    }

    /** Wraps a row-major array of exactly {@code rows * cols} elements (no copy). */
    public static FloatMatrix wrap(float[] data, int rows, int cols) {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("array of length " + data.length + " is not " + rows + "x" + cols);
        }
        return new FloatMatrix(data, rows, cols, 0, cols);
    }

    /** A compact matrix holding {@code values} (row-major, rows·cols of them) rounded to float32. */
    public static FloatMatrix ofDoubles(double[] values, int rows, int cols) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return wrap(f, rows, cols);
    }

    /** Builds a matrix from rows given as arrays (copied); all rows must have the same length. */
    public static FloatMatrix of(float[]... rowArrays) {
        int r = rowArrays.length;
        int c = r == 0 ? 0 : rowArrays[0].length;
        FloatMatrix m = zeros(r, c);
        for (int i = 0; i < r; i++) {
            if (rowArrays[i].length != c) {
                throw new IllegalArgumentException("row " + i + " has " + rowArrays[i].length + " entries, expected " + c);
            }
            System.arraycopy(rowArrays[i], 0, m.data, i * c, c);
        }
        return m;
    }

    public float[] data() {
        return data;
    }

    @Override
    public Object backingArray() {
        return data;
    }

    public float get(int r, int c) {
        return data[index(r, c)];
    }

    public void set(int r, int c, float v) {
        data[index(r, c)] = v;
    }

    /** A view of the block starting at (r0, c0) that shares this matrix's storage. */
    public FloatMatrix view(int r0, int c0, int nRows, int nCols) {
        checkView(r0, c0, nRows, nCols);
        return new FloatMatrix(data, nRows, nCols, offset + r0 * stride + c0, stride);
    }

    /** Row r as a fresh array. */
    public float[] row(int r) {
        int i = index(r, 0);
        return Arrays.copyOfRange(data, i, i + cols);
    }

    /** A compact copy (offset 0, stride == cols). */
    /** A compact transposed copy (cols × rows). */
    public FloatMatrix transpose() {
        FloatMatrix t = zeros(cols, rows);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t.data[c * rows + r] = get(r, c);
            }
        }
        return t;
    }

    public FloatMatrix copy() {
        FloatMatrix out = zeros(rows, cols);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(data, index(r, 0), out.data, r * cols, cols);
        }
        return out;
    }

    /** All elements in row-major order as a fresh array. */
    public float[] toArray() {
        return copy().data;
    }

    /** Element-wise equality of shape and values (layout is ignored). */
    public boolean contentEquals(FloatMatrix other) {
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
