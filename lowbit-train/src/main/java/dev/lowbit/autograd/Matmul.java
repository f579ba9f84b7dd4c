package dev.lowbit.autograd;

import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.tensor.FloatMatrix;

/**
 * How the autograd ops run their GEMMs. The ops ({@link Ops#linear}, {@link Attention#apply}) only say which GEMM of the
 * step this is ({@link GemmSite} and {@link GemmPass}) and in which layer; the implementation — in training
 * {@code dev.lowbit.train.GemmExecutor}, driven by a precision policy — decides how each operand is quantized and which
 * backend multiplies. Owning this interface here keeps autograd below the training package (no package cycle).
 */
public interface Matmul {

    /** Whether {@code pass} of {@code site} runs in plain float32 (then any layout runs as is and batching is free). */
    boolean isPlainFp32(GemmSite site, GemmPass pass);

    /** A batch of independent GEMMs of one site, pass and layout (NT: A·Bᵀ, NN: A·B, TN: Aᵀ·B), e.g. one per (sequence, head). */
    FloatMatrix[] gemmBatch(GemmSite site, GemmPass pass, String layer, GemmLayout layout, FloatMatrix[] a, FloatMatrix[] b);

    /** The forward GEMM {@code C = A·Bᵀ} of {@code site}, with what its gradient GEMMs need. */
    Forward forward(GemmSite site, String layer, FloatMatrix a, FloatMatrix b);

    /** A forward GEMM's result and its two gradient GEMMs. */
    interface Forward {
        /** C = A·Bᵀ. */
        FloatMatrix out();

        /** The gradient of A, {@code dC·B} (m×k): the site's {@link GemmPass#GRAD_INPUT} GEMM. */
        FloatMatrix gradLhs(FloatMatrix dC);

        /** The gradient of B, {@code dCᵀ·A} (n×k): the site's {@link GemmPass#GRAD_WEIGHT} GEMM. */
        FloatMatrix gradRhs(FloatMatrix dC);
    }
}
