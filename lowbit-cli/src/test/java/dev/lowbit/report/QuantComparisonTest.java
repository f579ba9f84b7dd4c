package dev.lowbit.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.ScalarGemmBackend;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class QuantComparisonTest {

    @Test
    void comparisonRunsEveryMethod() {
        FloatMatrix x = RandomMatrices.outlierChannels(32, 64, 2, 20, 7);
        FloatMatrix w = RandomMatrices.studentT(24, 64, 3, 8);
        List<QuantComparison.MethodResult> rs = QuantComparison.run(
                new QuantComparison.Inputs(x, w, x, 4, 1, new ScalarGemmBackend()), QuantComparison.parseMethods("all"));
        assertThat(rs).extracting(QuantComparison.MethodResult::name).containsExactlyElementsOf(QuantComparison.METHODS.keySet());
        var byName = rs.stream().collect(Collectors.toMap(QuantComparison.MethodResult::name, r -> r));
        for (var r : rs) {
            assertThat(r.relErrorVsFp32()).as(r.name()).isFinite().isPositive().isLessThan(1.5);
        }
        assertThat(byName.get("imunpack").relErrorVsFp32()).isLessThan(byName.get("rtn-clip").relErrorVsFp32() / 3);
        assertThat(byName.get("gptq").relErrorVsFp32()).isLessThanOrEqualTo(byName.get("rtn-weight").relErrorVsFp32());
        assertThat(byName.get("imunpack").unpackRatio()).isGreaterThanOrEqualTo(1.0);
        assertThat(byName.get("gptq").lhsSqnrDb()).isInfinite();
        assertThatThrownBy(() -> QuantComparison.parseMethods("gptq,nope")).isInstanceOf(LowbitException.class).hasMessageContaining("nope");
    }

}
