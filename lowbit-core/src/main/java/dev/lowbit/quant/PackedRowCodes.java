package dev.lowbit.quant;

import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.IntMatrix;

/**
 * {@link RtnQuantizer.RowIntCodes} held as int8 (issue 17 item 2): the codes of a weight quantized once, one byte each,
 * with the same scales and maxima. The GEMM executor hands {@link #codes()} to the backend's byte kernels
 * ({@code GemmBackend.gemmInt(IntMatrix, ByteMatrix, …)}); the int32 form ({@link #widen}) is made only for a call that
 * unpacks the weight, and dropped after it.
 */
public record PackedRowCodes(ByteMatrix codes, double[] scales, double[] alphas, int maxAbs, int[] rowMax, int[] colMax,
                             long heavy) {

    /** {@code q}'s codes narrowed to bytes, or null when some |code| exceeds {@link ByteMatrix#MAX_ABS}. */
    public static PackedRowCodes of(RtnQuantizer.RowIntCodes q) {
        if (q.maxAbs() > ByteMatrix.MAX_ABS) {
            return null;
        }
        ByteMatrix b = ByteMatrix.narrow(q.codes(), q.rows(), q.cols());
        return b == null ? null : new PackedRowCodes(b, q.scales(), q.alphas(), q.maxAbs(), q.rowMax(), q.colMax(), q.heavy());
    }

    public int rows() {
        return codes.rows();
    }

    public int cols() {
        return codes.cols();
    }

    /** The same codes as a transient int32 {@link RtnQuantizer.RowIntCodes} (a fresh array). */
    public RtnQuantizer.RowIntCodes widen() {
        return new RtnQuantizer.RowIntCodes(codes.toIntArray(), rows(), cols(), scales, alphas, maxAbs, rowMax, colMax, heavy);
    }

    /** The codes as int32 (a fresh matrix). */
    public IntMatrix toIntMatrix() {
        return codes.toIntMatrix();
    }

    /** Bytes held: the int8 codes, the scales and alphas, and the row/column maxima (array headers included). */
    public long residentBytes() {
        return codes.residentBytes() + arrayBytes(scales.length, 8) + arrayBytes(alphas.length, 8) + arrayBytes(rowMax.length, 4)
                + arrayBytes(colMax.length, 4);
    }

    private static long arrayBytes(int length, int bytes) {
        return 16L + (long) length * bytes;
    }
}
