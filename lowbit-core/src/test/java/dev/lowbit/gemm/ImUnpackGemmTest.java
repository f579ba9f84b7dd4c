package dev.lowbit.gemm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.Sqnr;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import dev.lowbit.unpack.UnpackStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImUnpackGemmTest {
    static final GemmBackend SCALAR = new ScalarGemmBackend();

    /** Dequantized product computed directly from the codes in float64: what IM-Unpack must reproduce. */
    static double[] dequantizedReference(QuantizedMatrix qa, QuantizedMatrix qw) {
        int m = qa.rows();
        int n = qw.rows();
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int c = 0; c < qa.cols(); c++) {
                    acc += qa.codes().get(i, c) / qa.scale(i, c) * (qw.codes().get(j, c) / qw.scale(j, c));
                }
                out[i * n + j] = acc;
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 8, 16})
    void resultIsExactAndIndependentOfBits(int bits) {
        FloatMatrix a = RandomMatrices.outlierChannels(24, 40, 3, 30, 1);
        FloatMatrix w = RandomMatrices.studentT(16, 40, 3, 2);
        ImUnpackResult base = ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(QuantParams.P95_N15, 8, UnpackStrategy.ROW), SCALAR, true);
        for (UnpackStrategy s : UnpackStrategy.values()) {
            ImUnpackResult r = ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(QuantParams.P95_N15, bits, s), SCALAR, true);
            assertThat(r.exact()).isTrue();
            assertArrayEquals(base.outF64(), r.outF64(), "b=" + bits + " " + s);
            assertThat(r.stats().ratio()).isGreaterThanOrEqualTo(1.0);
        }
        // per-tensor: out = exact codes product / (sA·sW), so it must match the float64 dequantized product closely
        double[] ref = dequantizedReference(base.lhsQuant(), base.rhsQuant());
        for (int i = 0; i < ref.length; i++) {
            assertThat(base.outF64()[i]).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-9 * (1 + Math.abs(ref[i]))));
        }
    }

    @Test
    void statsCountHeavyHittersAndShapes() {
        FloatMatrix a = RandomMatrices.gaussian(40, 50, 3);
        FloatMatrix w = RandomMatrices.gaussian(30, 50, 4);
        ImUnpackResult r = ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(QuantParams.P95_N15, 4, UnpackStrategy.ROW), SCALAR, true);
        QuantizedMatrix qa = RtnQuantizer.quantize(a, QuantParams.P95_N15);
        assertThat(r.stats().lhs().heavyHitters()).isEqualTo(qa.countAtLeast(8));
        assertThat(r.stats().lhs().heavyHitterFraction()).isEqualTo(qa.countAtLeast(8) / 2000.0);
        assertThat(r.stats().lhs().alpha()).isEqualTo(qa.alphas()[0]);
        assertThat(r.stats().lhs().scale()).isEqualTo(qa.scales()[0]);
        assertThat(r.stats().innerDim()).isEqualTo(50);
        assertThat(r.stats().unpackedInnerDim()).isEqualTo(50);
        assertThat(r.stats().ratio()).isEqualTo((double) r.stats().lhs().unpackedRows() * r.stats().rhs().unpackedRows() / (40 * 30));
        assertThat(r.stats().strategies()).isEqualTo("row");
        assertThat(r.stats().lhs().unpackedElements()).isEqualTo(r.stats().lhs().unpackedRows() * 50);
        assertThat(r.stats().rhs().unpackedElements()).isEqualTo(r.stats().rhs().unpackedRows() * 50);
    }

    @Test
    void scalesThatVaryAlongKAreHandledBySegments() {
        FloatMatrix a = RandomMatrices.studentT(12, 37, 3, 5);
        FloatMatrix w = RandomMatrices.studentT(9, 37, 3, 6);
        double[] fp = ScalarGemm.f64(a, w);
        for (Granularity g : new Granularity[] {Granularity.ROW, Granularity.COLUMN, Granularity.group(8)}) {
            QuantParams p = new QuantParams(0.95, 255, g, false);
            ImUnpackResult r = ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(p, 4, UnpackStrategy.COLUMN), SCALAR, true);
            assertThat(r.exact()).as("%s", g).isTrue();
            double[] ref = dequantizedReference(r.lhsQuant(), r.rhsQuant());
            for (int i = 0; i < ref.length; i++) {
                assertThat(r.outF64()[i]).isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-9 * (1 + Math.abs(ref[i]))));
            }
            assertThat(Sqnr.relativeError(r.outF64(), fp)).as("%s", g).isLessThan(0.02);
            // COLUMN keeps the rows: storage is rows × (k' summed over segments)
            assertThat(r.stats().lhs().unpackedElements()).isEqualTo(12L * r.stats().unpackedInnerDim());
        }
        assertThat(ImUnpackGemm.segmentCuts(37, Granularity.group(8), Granularity.ROW)).containsExactly(0, 8, 16, 24, 32, 37);
    }

    @Test
    void moreLevelsMeanLessError() {
        FloatMatrix a = RandomMatrices.studentT(32, 64, 3, 8);
        FloatMatrix w = RandomMatrices.gaussian(24, 64, 9);
        double[] fp = ScalarGemm.f64(a, w);
        double e15 = Sqnr.relativeError(ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(QuantParams.of(0.95, 15), 4, UnpackStrategy.ROW), SCALAR, false).outF64(), fp);
        double e255 = Sqnr.relativeError(ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(QuantParams.of(0.95, 255), 4, UnpackStrategy.ROW), SCALAR, false).outF64(), fp);
        double clip = Sqnr.relativeError(ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(QuantParams.of(0.95, 15).withClip(true), 4, UnpackStrategy.ROW), SCALAR, false).outF64(), fp);
        assertThat(e255).isLessThan(e15 / 8);
        assertThat(clip).as("clipping heavy hitters hurts").isGreaterThan(2 * e15);
    }

    @Test
    void emptyShapes() {
        for (int[] sh : new int[][] {{0, 3, 4}, {3, 0, 4}, {3, 4, 0}}) {
            FloatMatrix a = FloatMatrix.zeros(sh[0], sh[2]);
            FloatMatrix w = FloatMatrix.zeros(sh[1], sh[2]);
            ImUnpackResult r = ImUnpackGemm.multiply(a, w, ImUnpackSpec.of(QuantParams.P95_N15, 4, UnpackStrategy.BOTH), SCALAR, true);
            assertThat(r.exact()).isTrue();
            assertThat(r.out().rows()).isEqualTo(sh[0]);
            assertThat(r.out().cols()).isEqualTo(sh[1]);
            assertThat(r.stats().ratio()).isEqualTo(1.0);
        }
    }

    @Test
    void facadeValidates() {
        FloatMatrix a = FloatMatrix.zeros(2, 3);
        assertThatThrownBy(() -> Gemm.f32(a, FloatMatrix.zeros(2, 4), SCALAR)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("inner dimensions differ");
        FloatMatrix big = FloatMatrix.zeros(4, 4);
        FloatMatrix in = big.view(0, 0, 2, 2);
        assertThatThrownBy(() -> Gemm.f32(in, in, big.view(2, 2, 2, 2), SCALAR)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("share storage");
        IntMatrix x = IntMatrix.of(new int[] {8, 0});
        assertThatThrownBy(() -> Gemm.lowBit(x, x, 4, SCALAR)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("entry 8 at (0, 0) does not fit in 4 bits");
        IntMatrix ok = IntMatrix.of(new int[] {7, -7}, new int[] {1, 2});
        LongMatrix c = Gemm.lowBit(ok, ok, 4, SCALAR);
        assertArrayEquals(new long[] {98, -7, -7, 5}, c.toArray());
        assertThat(Gemm.f32(FloatMatrix.of(new float[] {1, 2}), FloatMatrix.of(new float[] {3, 4}), SCALAR).get(0, 0)).isEqualTo(11f);
    }

    @Test
    void backendsAreDiscovered() {
        assertThat(GemmBackends.all()).extracting(GemmBackend::name).contains("scalar");
        assertThat(GemmBackends.scalar()).isInstanceOf(ScalarGemmBackend.class);
        assertThatThrownBy(() -> GemmBackends.byName("nope")).isInstanceOf(LowbitException.class).hasMessageContaining("available");
    }
}
