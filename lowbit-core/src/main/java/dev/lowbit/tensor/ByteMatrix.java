package dev.lowbit.tensor;

/**
 * Dense row-major {@code byte} matrix of signed int8 codes, possibly a view (offset/stride): the packed storage of integer
 * codes with |x| ≤ 127 (issue 17 item 2). A weight quantized once is held in this form and handed to
 * {@code GemmBackend.gemmInt(IntMatrix, ByteMatrix, …)}, whose kernels read the bytes directly (oneDNN's s8 GEMM takes the
 * array as it is; the Vector API kernels pack their panels from it), so the model holds one byte per code instead of an
 * int32 (and no per-call narrowing copy).
 */
public final class ByteMatrix extends MatrixLayout {
    /** Largest |code| this storage holds: −128 is excluded so the codes are symmetric (what every b ≤ 8 bound allows). */
    public static final int MAX_ABS = 127;

    private final byte[] data;

    public ByteMatrix(byte[] data, int rows, int cols, int offset, int stride) {
        super(rows, cols, offset, stride, data.length);
        this.data = data;
    }

    /** Wraps a row-major array of exactly {@code rows * cols} elements (no copy). */
    public static ByteMatrix wrap(byte[] data, int rows, int cols) {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("array of length " + data.length + " is not " + rows + "x" + cols);
        }
        return new ByteMatrix(data, rows, cols, 0, cols);
    }

    /**
     * The row-major int32 {@code codes} ({@code rows × cols}) narrowed to bytes, or null when some |code| exceeds
     * {@link #MAX_ABS} (the caller keeps wider storage then).
     */
    public static ByteMatrix narrow(int[] codes, int rows, int cols) {
        if ((long) rows * cols != codes.length) {
            throw new IllegalArgumentException("array of length " + codes.length + " is not " + rows + "x" + cols);
        }
        byte[] d = new byte[checkedSize(rows, cols, 1, "int8")];
        int bad = 0;
        for (int i = 0; i < codes.length; i++) {
            int v = codes[i];
            bad |= MAX_ABS - Math.abs(v); // negative when |v| > 127 (or v = Integer.MIN_VALUE)
            d[i] = (byte) v;
        }
        return bad < 0 ? null : new ByteMatrix(d, rows, cols, 0, cols);
    }

    public byte[] data() {
        return data;
    }

    @Override
    public Object backingArray() {
        return data;
    }

    public int get(int r, int c) {
        return data[index(r, c)];
    }

    /** A view of the block starting at (r0, c0) that shares this matrix's storage. */
    public ByteMatrix view(int r0, int c0, int nRows, int nCols) {
        checkView(r0, c0, nRows, nCols);
        return new ByteMatrix(data, nRows, nCols, offset + r0 * stride + c0, stride);
    }

    /** A compact int32 copy (a transient widening for code that has no byte kernel). */
    public IntMatrix toIntMatrix() {
        return IntMatrix.wrap(toIntArray(), rows, cols);
    }

    /** All elements widened to int32 in row-major order, as a fresh array. */
    public int[] toIntArray() {
        int[] out = new int[checkedSize(rows, cols, 4, "int32")];
        for (int r = 0; r < rows; r++) {
            int s = index(r, 0);
            int o = r * cols;
            for (int c = 0; c < cols; c++) {
                out[o + c] = data[s + c];
            }
        }
        return out;
    }

    /** All elements as float32 in row-major order (exact: |x| ≤ 127), as a fresh array. */
    public float[] toFloatArray() {
        float[] out = new float[checkedSize(rows, cols, 4, "float32")];
        for (int r = 0; r < rows; r++) {
            int s = index(r, 0);
            int o = r * cols;
            for (int c = 0; c < cols; c++) {
                out[o + c] = data[s + c];
            }
        }
        return out;
    }

    /** Bytes the backing array occupies on the heap (array header included). */
    public long residentBytes() {
        return 16L + data.length;
    }

    /** Element-wise equality with int32 codes of the same shape (layout is ignored). */
    public boolean contentEquals(IntMatrix other) {
        if (rows != other.rows() || cols != other.cols()) {
            return false;
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (get(r, c) != other.get(r, c)) {
                    return false;
                }
            }
        }
        return true;
    }

}
