package dev.lowbit.gemm;

/** The SPI contract on the scalar control backend. */
class ScalarGemmBackendTest extends GemmBackendContract {
    @Override
    protected GemmBackend backend(int threads) {
        return new ScalarGemmBackend();
    }
}
