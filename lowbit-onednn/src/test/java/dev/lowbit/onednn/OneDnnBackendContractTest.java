package dev.lowbit.onednn;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackendContract;

/**
 * The SPI contract ({@link GemmBackendContract}, lowbit-core's test-jar) on the oneDNN backend: b ≤ 8 (or 7) on oneDNN,
 * everything else delegated to simd. Runs whether or not oneDNN is available — unavailable, the backend must still meet the
 * contract by delegation.
 */
class OneDnnBackendContractTest extends GemmBackendContract {
    @Override
    protected GemmBackend backend(int threads) {
        return new OneDnnGemmBackend(threads);
    }
}
