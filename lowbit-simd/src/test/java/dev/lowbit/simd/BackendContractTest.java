package dev.lowbit.simd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackendContract;
import dev.lowbit.gemm.GemmBackends;
import org.junit.jupiter.api.Test;

/**
 * The SPI contract ({@link GemmBackendContract}, lowbit-core's test-jar) on the Vector API backend. Surefire runs this
 * class at the preferred vector width and again at 256 and 128 bits.
 */
class BackendContractTest extends GemmBackendContract {
    @Override
    protected GemmBackend backend(int threads) {
        return new SimdGemmBackend(threads);
    }

    @Test
    void bothBackendsAreRegisteredAndSimdOutranksScalar() {
        assertThat(GemmBackends.all()).extracting(GemmBackend::name).contains("scalar", "simd");
        assertThat(GemmBackends.byName("simd").priority()).isGreaterThan(GemmBackends.byName("scalar").priority());
    }
}
