package dev.lowbit.gemm;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.MatrixLayout;
import dev.lowbit.unpack.Digits;

/**
 * Facade over {@link GemmBackend}: validates shapes, rejects an output that shares storage with an
 * input, checks integer operand bounds, allocates outputs, then calls the backend.
 */
public final class Gemm {
    private Gemm() {}

    /** Checks that {@code a} (m×k) and {@code b} (n×k) agree on k. */
    public static void checkShapes(MatrixLayout a, MatrixLayout b) {
        if (a.cols() != b.cols()) {
            throw new LowbitException("inner dimensions differ: lhs is " + a.shapeString() + ", rhs is " + b.shapeString()
                    + " (C = A·Bᵀ needs A m×k and B n×k)");
        }
    }

    /** Shapes agree, out is m×n, and out shares no storage with a or b. */
    public static void checkOut(MatrixLayout a, MatrixLayout b, MatrixLayout out) {
        checkShapes(a, b);
        if (out.rows() != a.rows() || out.cols() != b.rows()) {
            throw new IllegalArgumentException("output is " + out.shapeString() + ", expected " + a.rows() + "x" + b.rows());
        }
        if (out.sharesStorageWith(a) || out.sharesStorageWith(b)) {
            throw new IllegalArgumentException("output must not share storage with an input");
        }
    }

    public static FloatMatrix f32(FloatMatrix a, FloatMatrix b) {
        return f32(a, b, GemmBackends.preferred());
    }

    public static FloatMatrix f32(FloatMatrix a, FloatMatrix b, GemmBackend backend) {
        checkShapes(a, b);
        FloatMatrix out = FloatMatrix.zeros(a.rows(), b.rows());
        f32(a, b, out, backend);
        return out;
    }

    public static void f32(FloatMatrix a, FloatMatrix b, FloatMatrix out, GemmBackend backend) {
        checkOut(a, b, out);
        backend.gemmF32(GemmLayout.NT, a, b, out);
    }

    /** Exact {@code a·bᵀ} of b-bit operands (every entry |x| &lt; 2^(bits−1), checked). */
    public static LongMatrix lowBit(IntMatrix a, IntMatrix b, int bits, GemmBackend backend) {
        checkShapes(a, b);
        LongMatrix out = LongMatrix.zeros(a.rows(), b.rows());
        lowBit(a, b, bits, out, backend);
        return out;
    }

    public static void lowBit(IntMatrix a, IntMatrix b, int bits, LongMatrix out, GemmBackend backend) {
        Digits.checkBits(bits);
        checkOut(a, b, out);
        checkBound(a, bits, "lhs");
        checkBound(b, bits, "rhs");
        backend.gemmInt(a, b, bits, new IntEpilogue.ToLong(out));
    }

    /** As {@link #lowBit(IntMatrix, IntMatrix, int, LongMatrix, GemmBackend)} with b held as int8 (bits 2..8, checked). */
    public static void lowBit(IntMatrix a, ByteMatrix b, int bits, LongMatrix out, GemmBackend backend) {
        Digits.checkBits(bits);
        if (bits > 8) {
            throw new IllegalArgumentException("the byte form takes b ≤ 8, got " + bits);
        }
        checkOut(a, b, out);
        checkBound(a, bits, "lhs");
        long s = Digits.base(bits);
        for (int r = 0; r < b.rows(); r++) {
            for (int c = 0; c < b.cols(); c++) {
                int v = b.get(r, c);
                if (v >= s || v <= -s) {
                    throw new LowbitException("rhs: entry " + v + " at (" + r + ", " + c + ") does not fit in " + bits + " bits (|x| < "
                            + s + ")");
                }
            }
        }
        backend.gemmInt(a, b, bits, new IntEpilogue.ToLong(out));
    }

    /** True when every exact result of a k-deep GEMM of b-bit operands fits in int32: k·(2^(b−1) − 1)² &lt; 2^31. */
    public static boolean fitsInt32(int k, int bits) {
        long m = Digits.base(bits) - 1;
        return (double) k * m * m < 0x1p31;
    }

    /** Exact {@code a·bᵀ} of b-bit operands into int32; the result must provably fit ({@link #fitsInt32}). */
    public static void lowBit(IntMatrix a, IntMatrix b, int bits, IntMatrix out, GemmBackend backend) {
        Digits.checkBits(bits);
        checkOut(a, b, out);
        if (!fitsInt32(a.cols(), bits)) {
            throw new LowbitException("an int32 output cannot hold every " + bits + "-bit GEMM result at k = " + a.cols()
                    + " (needs k·(2^(b−1)−1)² < 2^31); use an int64 output");
        }
        checkBound(a, bits, "lhs");
        checkBound(b, bits, "rhs");
        backend.gemmInt(a, b, bits, new IntEpilogue.ToInt(out));
    }

    /** {@code out = a·b} with b stored k×n (NN layout), float32. */
    public static FloatMatrix f32Nn(FloatMatrix a, FloatMatrix b, GemmBackend backend) {
        if (a.cols() != b.rows()) {
            throw new LowbitException("inner dimensions differ: lhs is " + a.shapeString() + ", rhs is " + b.shapeString()
                    + " (C = A·B needs A m×k and B k×n)");
        }
        FloatMatrix out = FloatMatrix.zeros(a.rows(), b.cols());
        if (out.sharesStorageWith(a) || out.sharesStorageWith(b)) {
            throw new IllegalArgumentException("output must not share storage with an input");
        }
        backend.gemmF32(GemmLayout.NN, a, b, out);
        return out;
    }

    /** {@code out = a·b} (NN layout) into a caller-supplied output, which must not alias an input. */
    public static void f32Nn(FloatMatrix a, FloatMatrix b, FloatMatrix out, GemmBackend backend) {
        if (a.cols() != b.rows()) {
            throw new LowbitException("inner dimensions differ: lhs is " + a.shapeString() + ", rhs is " + b.shapeString()
                    + " (C = A·B needs A m×k and B k×n)");
        }
        if (out.rows() != a.rows() || out.cols() != b.cols()) {
            throw new IllegalArgumentException("output is " + out.shapeString() + ", expected " + a.rows() + "x" + b.cols());
        }
        if (out.sharesStorageWith(a) || out.sharesStorageWith(b)) {
            throw new IllegalArgumentException("output must not share storage with an input");
        }
        backend.gemmF32(GemmLayout.NN, a, b, out);
    }

    /** {@code out = op(a, b)} in float32 for any {@link GemmLayout}, into a caller-supplied output. */
    public static void f32(GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out, GemmBackend backend) {
        checkLayout(layout, a, b, out);
        backend.gemmF32(layout, a, b, out);
    }

    /** {@code op(a, b)} in float32 for any {@link GemmLayout}. */
    public static FloatMatrix f32(GemmLayout layout, FloatMatrix a, FloatMatrix b, GemmBackend backend) {
        FloatMatrix out = FloatMatrix.zeros(layout.m(a), layout.n(b));
        f32(layout, a, b, out, backend);
        return out;
    }

    /**
     * A batch of float32 GEMMs in one layout ({@link GemmBackend#gemmF32Batch}); every output must be
     * distinct and share storage with no input.
     */
    public static void f32Batch(GemmLayout layout, FloatMatrix[] a, FloatMatrix[] b, FloatMatrix[] out, GemmBackend backend) {
        if (a.length != out.length || b.length != out.length) {
            throw new IllegalArgumentException("batch sizes differ: " + a.length + ", " + b.length + ", " + out.length);
        }
        for (int i = 0; i < out.length; i++) {
            checkLayout(layout, a[i], b[i], out[i]);
            for (int j = 0; j < i; j++) {
                if (out[i].sharesStorageWith(out[j]) && overlaps(out[i], out[j])) {
                    throw new IllegalArgumentException("batch outputs " + j + " and " + i + " overlap");
                }
            }
        }
        backend.gemmF32Batch(layout, a, b, out);
    }

    private static boolean overlaps(FloatMatrix x, FloatMatrix y) {
        // views of one array overlap unless their element ranges are disjoint (conservative for strided views)
        long x0 = x.index(0, 0);
        long x1 = x.rows() == 0 || x.cols() == 0 ? x0 : x.index(x.rows() - 1, x.cols() - 1);
        long y0 = y.index(0, 0);
        long y1 = y.rows() == 0 || y.cols() == 0 ? y0 : y.index(y.rows() - 1, y.cols() - 1);
        if (x1 < y0 || y1 < x0) {
            return false;
        }
        // interleaved views (same stride, disjoint column ranges) do not overlap either
        if (x.stride() == y.stride() && x.rows() > 0 && y.rows() > 0) {
            long xs = x0 % x.stride();
            long ys = y0 % y.stride();
            return !(xs + x.cols() <= ys || ys + y.cols() <= xs);
        }
        return true;
    }

    private static void checkLayout(GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        if (layout.k(a) != layout.kOfB(b)) {
            throw new LowbitException("inner dimensions differ in a " + layout + " GEMM: lhs is " + a.shapeString() + ", rhs is "
                    + b.shapeString());
        }
        if (out.rows() != layout.m(a) || out.cols() != layout.n(b)) {
            throw new IllegalArgumentException("output is " + out.shapeString() + ", expected " + layout.m(a) + "x" + layout.n(b));
        }
        if (out.sharesStorageWith(a) || out.sharesStorageWith(b)) {
            throw new IllegalArgumentException("output must not share storage with an input");
        }
    }

    static void checkBound(IntMatrix x, int bits, String what) {
        long s = Digits.base(bits);
        for (int r = 0; r < x.rows(); r++) {
            for (int c = 0; c < x.cols(); c++) {
                int v = x.get(r, c);
                if (v >= s || v <= -s) {
                    throw new LowbitException(what + ": entry " + v + " at (" + r + ", " + c + ") does not fit in "
                            + bits + " bits (|x| < " + s + ")");
                }
            }
        }
    }
}
