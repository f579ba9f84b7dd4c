package dev.lowbit.quant;

import dev.lowbit.tensor.ByteMatrix;

/**
 * {@link RtnQuantizer.RowIntCodes} held in the narrowest integer storage (issue 17 item 2): the codes of a weight quantized
 * once, as int8 when every |code| ≤ 127 — then {@link #codes()} is the {@link ByteMatrix} the backends' byte kernels read
 * directly ({@code GemmBackend.gemmInt(IntMatrix, ByteMatrix, …)}) — else as int16 ({@link #codes()} null), with the same
 * scales and maxima. The int32 form ({@link #widen}, {@link #toIntArray}) is made only for a call that unpacks the weight
 * (the unpacker reads it), and dropped after it.
 *
 * @param codes the int8 codes, or null when they are held as int16
 * @param shorts the int16 codes (row-major, compact), or null when they are held as int8
 */
public record PackedRowCodes(ByteMatrix codes, short[] shorts, int rows, int cols, double[] scales, double[] alphas, int maxAbs,
                             int[] rowMax, int[] colMax, long heavy) {

    /** Largest |code| held as int16. */
    public static final int MAX_ABS_SHORT = Short.MAX_VALUE;

    /** {@code q}'s codes as int8 or int16, or null when some |code| exceeds {@link #MAX_ABS_SHORT}. */
    public static PackedRowCodes of(RtnQuantizer.RowIntCodes q) {
        if (q.maxAbs() <= ByteMatrix.MAX_ABS) {
            ByteMatrix b = ByteMatrix.narrow(q.codes(), q.rows(), q.cols());
            return new PackedRowCodes(b, null, q.rows(), q.cols(), q.scales(), q.alphas(), q.maxAbs(), q.rowMax(), q.colMax(),
                    q.heavy());
        }
        if (q.maxAbs() > MAX_ABS_SHORT) {
            return null;
        }
        int[] c = q.codes();
        short[] s = new short[c.length];
        for (int i = 0; i < c.length; i++) {
            s[i] = (short) c[i];
        }
        return new PackedRowCodes(null, s, q.rows(), q.cols(), q.scales(), q.alphas(), q.maxAbs(), q.rowMax(), q.colMax(), q.heavy());
    }

    /** Bits per stored code: 8 or 16. */
    public int storageBits() {
        return codes != null ? 8 : 16;
    }

    /** The codes as a fresh row-major int32 array. */
    public int[] toIntArray() {
        if (codes != null) {
            return codes.toIntArray();
        }
        int[] out = new int[shorts.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = shorts[i];
        }
        return out;
    }

    /** The codes as a fresh row-major float32 array (exact). */
    public float[] toFloatArray() {
        if (codes != null) {
            return codes.toFloatArray();
        }
        float[] out = new float[shorts.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = shorts[i];
        }
        return out;
    }

    /** The same codes as a transient int32 {@link RtnQuantizer.RowIntCodes} (a fresh array). */
    public RtnQuantizer.RowIntCodes widen() {
        return new RtnQuantizer.RowIntCodes(toIntArray(), rows, cols, scales, alphas, maxAbs, rowMax, colMax, heavy);
    }

    /** Bytes held: the int8 or int16 codes, the scales and alphas, and the row/column maxima (array headers included). */
    public long residentBytes() {
        long codeBytes = codes != null ? codes.residentBytes() : arrayBytes(shorts.length, 2);
        return codeBytes + arrayBytes(scales.length, 8) + arrayBytes(alphas.length, 8) + arrayBytes(rowMax.length, 4)
                + arrayBytes(colMax.length, 4);
    }

    private static long arrayBytes(int length, int bytes) {
        return 16L + (long) length * bytes;
    }
}
