package dev.lowbit.tensor;

import dev.lowbit.LowbitException;

/**
 * Shape and memory layout shared by all matrix types: {@code rows × cols} elements, element (r, c) at
 * {@code offset + r * stride + c} of the backing array. A view shares the array of its parent.
 */
public abstract sealed class MatrixLayout permits FloatMatrix, IntMatrix, LongMatrix {
    protected final int rows;
    protected final int cols;
    protected final int offset;
    protected final int stride;

    protected MatrixLayout(int rows, int cols, int offset, int stride, int backingLength) {
        if (rows < 0 || cols < 0) {
            throw new LowbitException("matrix shape must be non-negative, got " + rows + "x" + cols);
        }
        if (offset < 0 || stride < cols) {
            throw new IllegalArgumentException("bad layout: offset " + offset + ", stride " + stride + " for " + cols + " columns");
        }
        // an empty view may sit anywhere (e.g. a column run of a matrix with no rows)
        long last = rows == 0 || cols == 0 ? 0 : offset + (long) (rows - 1) * stride + cols;
        if (last > backingLength) {
            throw new IllegalArgumentException("layout " + rows + "x" + cols + " (offset " + offset + ", stride " + stride
                    + ") exceeds backing array of length " + backingLength);
        }
        this.rows = rows;
        this.cols = cols;
        this.offset = offset;
        this.stride = stride;
    }

    static int checkedSize(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new LowbitException("matrix shape must be non-negative, got " + rows + "x" + cols);
        }
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 16) {
            throw new LowbitException("matrix " + rows + "x" + cols + " is too large (" + n + " elements)");
        }
        return (int) n;
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    public final int offset() {
        return offset;
    }

    public final int stride() {
        return stride;
    }

    public final long size() {
        return (long) rows * cols;
    }

    /** Index of element (r, c) in the backing array. */
    public final int index(int r, int c) {
        return offset + r * stride + c;
    }

    /** True when the rows are stored back to back (stride == cols). */
    public final boolean isContiguous() {
        return stride == cols || rows <= 1;
    }

    /** "rows x cols", as used in error messages. */
    public final String shapeString() {
        return rows + "x" + cols;
    }

    protected final void checkView(int r0, int c0, int nRows, int nCols) {
        if (r0 < 0 || c0 < 0 || nRows < 0 || nCols < 0 || r0 + nRows > rows || c0 + nCols > cols) {
            throw new IndexOutOfBoundsException("view [" + r0 + "+" + nRows + ", " + c0 + "+" + nCols + "] outside " + shapeString());
        }
    }

    /** Backing array identity, used to reject aliasing between inputs and outputs. */
    public abstract Object backingArray();

    /** True when this matrix and {@code other} share a backing array. */
    public final boolean sharesStorageWith(MatrixLayout other) {
        return backingArray() == other.backingArray();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + shapeString() + "]";
    }
}
