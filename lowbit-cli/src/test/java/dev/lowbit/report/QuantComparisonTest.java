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

    /** OS+ against its own baseline (the same absmax RTN without the transform) on asymmetric outlier channels. */
    @Test
    void osPlusBeatsItsBaselineOnAsymmetricOutlierChannels() {
        FloatMatrix x = RandomMatrices.gaussian(48, 64, 11);
        FloatMatrix calib = RandomMatrices.gaussian(64, 64, 12);
        for (FloatMatrix m : List.of(x, calib)) {
            for (int c : new int[] {5, 30}) {
                for (int i = 0; i < m.rows(); i++) {
                    m.set(i, c, 12 + 6 * m.get(i, c)); // an offset channel with a wide spread, as LayerNorm outputs have
                }
            }
        }
        FloatMatrix w = RandomMatrices.gaussian(24, 64, 13);
        for (int bits : new int[] {8, 4}) {
            var rs = QuantComparison.run(new QuantComparison.Inputs(x, w, calib, bits, 1, new ScalarGemmBackend()),
                    QuantComparison.parseMethods("rtn-absmax,os+"));
            System.out.printf("b = %d: rtn-absmax %.4g, os+ %.4g (%s)%n", bits, rs.get(0).relErrorVsFp32(), rs.get(1).relErrorVsFp32(),
                    rs.get(1).description());
            assertThat(rs.get(1).relErrorVsFp32()).isLessThan(rs.get(0).relErrorVsFp32() / 2);
            assertThat(rs.get(1).lhsSqnrDb()).isGreaterThan(rs.get(0).lhsSqnrDb());
        }
    }

}
