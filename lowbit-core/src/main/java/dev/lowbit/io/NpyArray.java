package dev.lowbit.io;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.Arrays;

/**
 * An n-dimensional array as stored in a {@code .npy} file, in C order. Floating dtypes keep their
 * values in {@link #floats()} (exactly, as double), integer dtypes in {@link #ints()}.
 */
public record NpyArray(DType dtype, int[] shape, double[] floats, long[] ints) {

    public NpyArray {
        shape = shape.clone();
        long n = numel(shape);
        if (dtype.isFloating() ? floats == null || floats.length != n || ints != null
                : ints == null || ints.length != n || floats != null) {
            throw new IllegalArgumentException("data does not match dtype " + dtype + " and shape " + Arrays.toString(shape));
        }
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        return n;
    }

    public static NpyArray ofFloats(DType dtype, int[] shape, double[] values) {
        return new NpyArray(dtype, shape, values, null);
    }

    public static NpyArray ofInts(DType dtype, int[] shape, long[] values) {
        return new NpyArray(dtype, shape, null, values);
    }

    /** A float32 array holding the matrix's values. */
    public static NpyArray of(FloatMatrix m) {
        float[] f = m.toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return ofFloats(DType.F32, new int[] {m.rows(), m.cols()}, d);
    }

    /** An int64 array holding the matrix's values. */
    public static NpyArray of(LongMatrix m) {
        return ofInts(DType.I64, new int[] {m.rows(), m.cols()}, m.toArray());
    }

    public int numel() {
        return (int) numel(shape);
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Shape as "(3, 4)". */
    public String shapeString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /**
     * The array as a float32 matrix; it must be 2-D. Integer dtypes are converted to float (exact for
     * magnitudes below 2^24). {@code what} names the array in error messages.
     */
    public FloatMatrix toFloatMatrix(String what) {
        if (shape.length != 2) {
            throw new LowbitException(what + ": expected a 2-D array, got shape " + shapeString());
        }
        float[] out = new float[numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (floats != null ? floats[i] : ints[i]);
        }
        return FloatMatrix.wrap(out, shape[0], shape[1]);
    }

    /** The array as an int64 matrix; it must be 2-D and of an integer dtype. */
    public LongMatrix toLongMatrix(String what) {
        if (shape.length != 2) {
            throw new LowbitException(what + ": expected a 2-D array, got shape " + shapeString());
        }
        if (ints == null) {
            throw new LowbitException(what + ": expected an integer dtype, got " + dtype.shortName());
        }
        return LongMatrix.wrap(ints.clone(), shape[0], shape[1]);
    }
}
