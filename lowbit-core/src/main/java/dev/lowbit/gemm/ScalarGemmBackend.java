package dev.lowbit.gemm;

import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;

/** The scalar reference as a backend (name {@code scalar}, priority 0): slow, simple, exact. */
public final class ScalarGemmBackend implements GemmBackend {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemmF32(FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        ScalarGemm.gemmF32(a, b, out);
    }

    @Override
    public void gemmInt(IntMatrix a, IntMatrix b, int bits, LongMatrix out) {
        ScalarGemm.gemmInt(a, b, out);
    }
}
