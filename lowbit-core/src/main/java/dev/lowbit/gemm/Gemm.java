package dev.lowbit.gemm;

import dev.lowbit.LowbitException;
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
        backend.gemmF32(a, b, out);
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
        backend.gemmInt(a, b, bits, out);
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
        backend.gemmInt(a, b, bits, out);
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
        backend.gemmF32Nn(a, b, out);
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
        backend.gemmF32Nn(a, b, out);
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
