package dev.lowbit.autograd;

import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.tensor.FloatMatrix;

/**
 * How the autograd ops run their GEMMs. The ops ({@link Ops#linear}, {@link Attention#apply}) only say which GEMM of the
 * step this is ({@link GemmRole}) and in which layer; the implementation — in training
 * {@code dev.lowbit.train.GemmExecutor}, driven by a precision policy — decides how each operand is quantized and which
 * backend multiplies. Owning this interface here keeps autograd below the training package (no package cycle).
 */
public interface Matmul {

    /** Whether {@code role} runs in plain float32 (then any layout runs as is and batching is free). */
    boolean isPlainFp32(GemmRole role);

    /** A batch of independent GEMMs of one role and layout (NT: A·Bᵀ, NN: A·B, TN: Aᵀ·B), e.g. one per (sequence, head). */
    FloatMatrix[] gemmBatch(GemmRole role, String layer, GemmLayout layout, FloatMatrix[] a, FloatMatrix[] b);

    /** The forward GEMM {@code C = A·Bᵀ} of forward role {@code role}, with what its backward GEMMs need. */
    Forward forward(GemmRole role, String layer, FloatMatrix a, FloatMatrix b);

    /** A forward GEMM's result and its two backward GEMMs. */
    interface Forward {
        /** C = A·Bᵀ. */
        FloatMatrix out();

        /** The gradient of A, {@code dC·B} (m×k), as backward role {@code bwd} computes it. */
        FloatMatrix gradLhs(GemmRole bwd, FloatMatrix dC);

        /** The gradient of B, {@code dCᵀ·A} (n×k), as backward role {@code bwd} computes it. */
        FloatMatrix gradRhs(GemmRole bwd, FloatMatrix dC);
    }
}
