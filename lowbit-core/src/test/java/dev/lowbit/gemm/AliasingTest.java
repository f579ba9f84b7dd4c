package dev.lowbit.gemm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.quant.QuantParams;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * EJML's rule for every public entry that writes a caller's matrix (issue 16 item 4): an output that shares storage with an
 * input is rejected up front with {@link IllegalArgumentException} (nothing written), and aliased <em>inputs</em> (a·aᵀ, the
 * same matrix twice) are accepted and give the same result as distinct copies.
 */
class AliasingTest {
    private static final GemmBackend BE = GemmBackends.scalar();

    /** A 6×6 buffer whose top-left 3×4 is the input and bottom-right 3×3 the output: disjoint views of one array. */
    private static final FloatMatrix BUF = RandomMatrices.gaussian(6, 6, 1);
    private static final FloatMatrix A = BUF.view(0, 0, 3, 4);
    private static final FloatMatrix OUT = BUF.view(3, 3, 3, 3);
    private static final FloatMatrix B = RandomMatrices.gaussian(3, 4, 2);

    @Test
    void outputsThatShareStorageWithAnInputAreRejectedBeforeAnythingIsWritten() {
        float[] before = BUF.data().clone();
        FloatMatrix bNn = RandomMatrices.gaussian(4, 3, 3);
        List<Executable> calls = List.of(
                () -> Gemm.f32(A, B, OUT, BE),
                () -> Gemm.f32(B, A, OUT, BE),
                () -> Gemm.f32(GemmLayout.NT, A, B, OUT, BE),
                () -> Gemm.f32Nn(A, bNn, OUT, BE),
                () -> Gemm.f32Batch(GemmLayout.NT, new FloatMatrix[] {A}, new FloatMatrix[] {B}, new FloatMatrix[] {OUT}, BE),
                () -> ScalarGemm.gemmF32(A, B, OUT),
                () -> ImUnpackGemm.multiplyInto(A, B, ImUnpackSpec.of(QuantParams.P95_N15, 4, dev.lowbit.unpack.UnpackStrategy.ROW), BE, OUT),
                () -> FastImUnpack.multiplyInto(A, B, QuantParams.P95_N15, QuantParams.P95_N15, 4, 4, BE, OUT));
        for (int i = 0; i < calls.size(); i++) {
            Executable call = calls.get(i);
            assertThatThrownBy(call::execute).as("call %d", i).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("output must not share storage with an input");
            assertThat(BUF.data()).as("call %d wrote nothing", i).containsExactly(before);
        }
        IntMatrix ints = IntMatrix.wrap(new int[36], 6, 6);
        assertThatThrownBy(() -> Gemm.lowBit(ints.view(0, 0, 3, 4), ints.view(0, 0, 3, 4), 4, ints.view(3, 3, 3, 3), BE))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("output must not share storage with an input");
        FloatMatrix shared = FloatMatrix.zeros(4, 3);
        assertThatThrownBy(() -> Gemm.f32Batch(GemmLayout.NT, new FloatMatrix[] {A, A}, new FloatMatrix[] {B, B},
                new FloatMatrix[] {shared.view(0, 0, 3, 3), shared.view(1, 0, 3, 3)}, BE))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("batch outputs 0 and 1 overlap");
    }

    @Test
    void aliasedInputsAreAllowedAndEqualDistinctCopies() {
        FloatMatrix a = RandomMatrices.gaussian(5, 7, 4);
        assertThat(Gemm.f32(a, a, BE).data()).containsExactly(Gemm.f32(a, a.copy(), BE).data());
        IntMatrix x = IntMatrix.wrap(new int[] {-7, 7, 3, 0, 5, -1, 2, -7}, 2, 4);
        LongMatrix got = Gemm.lowBit(x, x, 4, BE);
        assertThat(got.data()).containsExactly(Gemm.lowBit(x, x.copy(), 4, BE).data());
        FloatMatrix out = FloatMatrix.zeros(5, 5);
        ImUnpackGemm.multiplyInto(a, a, ImUnpackSpec.of(QuantParams.P95_N15, 4, dev.lowbit.unpack.UnpackStrategy.ROW), BE, out);
        FloatMatrix out2 = FloatMatrix.zeros(5, 5);
        ImUnpackGemm.multiplyInto(a, a.copy(), ImUnpackSpec.of(QuantParams.P95_N15, 4, dev.lowbit.unpack.UnpackStrategy.ROW), BE, out2);
        assertThat(out.data()).containsExactly(out2.data());
    }
}
