package dev.lowbit.gemm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import org.junit.jupiter.api.Test;

/** The SPI contract on the scalar control backend, and choosing a backend by name. */
class ScalarGemmBackendTest extends GemmBackendContract {
    @Override
    protected GemmBackend backend(int threads) {
        return new ScalarGemmBackend();
    }

    @Test
    void selectTakesTheBestByDefaultAndRejectsUnknownNamesInOneLine() {
        assertThat(GemmBackends.select(null)).isSameAs(GemmBackends.all().getFirst());
        assertThat(GemmBackends.select(" scalar ").name()).isEqualTo("scalar");
        assertThat(new ScalarGemmBackend().whyUnavailable()).isNull();
        assertThatThrownBy(() -> GemmBackends.select("nope")).isInstanceOf(LowbitException.class)
                .hasMessage("unknown GEMM backend 'nope' (available: " + String.join(", ",
                        GemmBackends.all().stream().map(GemmBackend::name).sorted().toList()) + ")");
    }
}
