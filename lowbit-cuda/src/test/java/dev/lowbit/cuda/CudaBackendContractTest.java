package dev.lowbit.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackendContract;
import org.junit.jupiter.api.BeforeEach;

/**
 * The SPI contract ({@link GemmBackendContract}, lowbit-core's test-jar) on the CUDA backend: b ≤ 8 on the GPU, everything
 * else delegated to simd. Skipped (with the one-line reason) where no GPU or CUDA library is found, as on CI.
 */
class CudaBackendContractTest extends GemmBackendContract {
    @BeforeEach
    void needsGpu() {
        assumeTrue(Cuda.available(), () -> "no GPU for lowbit-cuda: " + Cuda.unavailableReason());
    }

    @Override
    protected GemmBackend backend(int threads) {
        return new CudaGemmBackend(threads);
    }
}
