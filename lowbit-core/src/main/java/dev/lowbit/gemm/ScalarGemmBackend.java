package dev.lowbit.gemm;

import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;

/**
 * The scalar reference as a complete backend (name {@code scalar}, priority 0): slow, simple, exact — the control every
 * other backend is compared with. NN and TN products transpose into a copy and run the NT kernel (sequential k order).
 */
public final class ScalarGemmBackend implements GemmBackend {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemmF32(GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        switch (layout) {
            case NT -> ScalarGemm.gemmF32(a, b, out);
            case NN -> ScalarGemm.gemmF32(a, b.transpose(), out);
            case TN -> ScalarGemm.gemmF32(a.transpose(), b.transpose(), out);
        }
    }

    /** 1 for every b-bit bound; no fast wide kernel, so cost-based callers never choose the wide plan here. */
    @Override
    public double intCostPerMac(int bits) {
        return bits == WIDE_BITS ? Double.POSITIVE_INFINITY : 1.0;
    }

    @Override
    public void gemmInt(IntMatrix a, IntMatrix b, int bits, IntEpilogue epilogue) {
        IntEpilogue.finish(a, b, epilogue, ScalarGemm::gemmInt);
    }

}
