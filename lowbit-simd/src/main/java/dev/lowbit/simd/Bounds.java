package dev.lowbit.simd;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.IntMatrix;

/** Operand range errors raised while packing (the kernels' exactness proofs assume the bound). */
final class Bounds {
    private Bounds() {}

    static LowbitException outOfRange(IntMatrix x, int row, int p0, int kc, long maxAbs) {
        for (int p = p0; p < p0 + kc; p++) {
            int v = x.get(row, p);
            if (Math.abs((long) v) > maxAbs) {
                return new LowbitException("integer GEMM operand " + v + " at (" + row + ", " + p + ") exceeds the declared bound |x| ≤ " + maxAbs);
            }
        }
        return new LowbitException("integer GEMM operand in row " + row + " exceeds the declared bound |x| ≤ " + maxAbs);
    }

    static LowbitException outOfRange(ByteMatrix x, int row, int p0, int kc, long maxAbs) {
        for (int p = p0; p < p0 + kc; p++) {
            int v = x.get(row, p);
            if (Math.abs(v) > maxAbs) {
                return new LowbitException("integer GEMM operand " + v + " at (" + row + ", " + p + ") exceeds the declared bound |x| ≤ " + maxAbs);
            }
        }
        return new LowbitException("integer GEMM operand in row " + row + " exceeds the declared bound |x| ≤ " + maxAbs);
    }
}
