package dev.lowbit.tensor;

import dev.lowbit.LowbitException;
import java.util.Locale;

/**
 * Shape and memory layout shared by all matrix types: {@code rows × cols} elements, element (r, c) at
 * {@code offset + r * stride + c} of the backing array. A view shares the array of its parent.
 */
public abstract sealed class MatrixLayout permits ByteMatrix, FloatMatrix, IntMatrix, LongMatrix {
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

    static int checkedSize(int rows, int cols, int bytesPerElement, String type) {
        if (rows < 0 || cols < 0) {
            throw new LowbitException("matrix shape must be non-negative, got " + rows + "x" + cols);
        }
        return requireAllocatable("matrix", rows, cols, bytesPerElement, type);
    }

    /**
     * Resource limits up front (issue 16): the number of elements of a {@code rows × cols} array of {@code type}
     * ({@code bytesPerElement} each) that is about to be allocated, or a one-line {@link LowbitException} with the computed
     * size when it cannot be: more elements than a Java array holds, or more bytes than this JVM's heap limit
     * ({@code -Xmx}) — allocating it would only end in an {@link OutOfMemoryError}. Called before anything is allocated,
     * with sizes computed in {@code long}, so no count can wrap.
     *
     * @param what names the array in the message (e.g. "the unpacked lhs")
     */
    public static int requireAllocatable(String what, long rows, long cols, int bytesPerElement, String type) {
        double n = (double) rows * cols; // exact enough to compare; a long product could wrap
        if (n > Integer.MAX_VALUE - 16) {
            throw new LowbitException(what + " " + rows + "x" + cols + " is too large (" + String.format(Locale.ROOT, "%.0f", n)
                    + " elements; a Java array holds at most 2^31 − 17)");
        }
        long bytes = (long) n * bytesPerElement;
        long max = Runtime.getRuntime().maxMemory();
        if (bytes > max) {
            throw new LowbitException(what + " " + rows + "x" + cols + " " + type + " needs " + human(bytes)
                    + ", more than this JVM's heap limit of " + human(max) + " (raise it with JAVA_OPTS=-Xmx…)");
        }
        return (int) n;
    }

    /** Bytes in binary units, e.g. {@code 8.6 GiB}. */
    public static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
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
