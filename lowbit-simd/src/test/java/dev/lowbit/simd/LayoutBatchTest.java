package dev.lowbit.simd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.gemm.ScalarGemmBackend;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The NN/TN layouts, the batch entry point and the vectorized rescale against their scalar twins. */
class LayoutBatchTest {
    static final int[][] SHAPES = {{1, 1, 1}, {1, 70, 5}, {9, 1, 700}, {8, 64, 16}, {17, 65, 33}, {64, 24, 64}, {41, 97, 513}};

    /** The NT operands of op(a, b) stored in {@code layout}: a is m×k or k×m, b is n×k or k×n. */
    static FloatMatrix[] stored(GemmLayout layout, FloatMatrix a, FloatMatrix b) {
        FloatMatrix sa = layout == GemmLayout.TN ? a.transpose() : a;
        FloatMatrix sb = layout == GemmLayout.NT ? b : b.transpose();
        return new FloatMatrix[] {sa, sb};
    }


    @Test
    void everyLayoutMatchesTheScalarTwinOfTheNtProduct() {
        long seed = 7;
        for (int[] s : SHAPES) {
            FloatMatrix a = RandomMatrices.gaussian(s[0], s[2], seed++);
            FloatMatrix b = RandomMatrices.studentT(s[1], s[2], 3, seed++);
            FloatMatrix twin = FloatMatrix.zeros(s[0], s[1]);
            ScalarTwin.f32(a, b, twin);
            for (GemmLayout layout : GemmLayout.values()) {
                FloatMatrix[] st = stored(layout, a, b);
                for (int t : new int[] {1, 2, 3}) {
                    FloatMatrix got = Gemm.f32(layout, st[0], st[1], new SimdGemmBackend(t));
                    assertArrayEquals(twin.data(), got.data(), layout + " " + Arrays.toString(s) + " threads " + t);
                }
                // the scalar backend's defaults (transposed copies) agree too
                assertArrayEquals(Gemm.f32(a, b, new ScalarGemmBackend()).data(),
                        Gemm.f32(layout, st[0], st[1], new ScalarGemmBackend()).data(), layout + " scalar " + Arrays.toString(s));
            }
        }
    }

    @Test
    void stridedViewsInEveryLayout() {
        // operands as column blocks of a wider matrix (attention's per-head views)
        FloatMatrix wide = RandomMatrices.gaussian(64, 3 * 96, 3);
        FloatMatrix q = wide.view(0, 24, 64, 24);
        FloatMatrix k = wide.view(0, 96 + 24, 64, 24);
        FloatMatrix twin = FloatMatrix.zeros(64, 64);
        ScalarTwin.f32(q.copy(), k.copy(), twin);
        assertArrayEquals(twin.data(), Gemm.f32(GemmLayout.NT, q, k, new SimdGemmBackend(2)).data());
        FloatMatrix twinTn = FloatMatrix.zeros(24, 24);
        ScalarTwin.f32(q.transpose(), k.transpose(), twinTn);
        assertArrayEquals(twinTn.data(), Gemm.f32(GemmLayout.TN, q, k, new SimdGemmBackend(2)).data());
        FloatMatrix p = RandomMatrices.gaussian(64, 64, 4);
        FloatMatrix twinNn = FloatMatrix.zeros(64, 24);
        ScalarTwin.f32(p, k.transpose(), twinNn);
        assertArrayEquals(twinNn.data(), Gemm.f32(GemmLayout.NN, p, k, new SimdGemmBackend(2)).data());
    }

    @Test
    void aBatchEqualsItsSingleCallsForAnyThreadCount() {
        int count = 7;
        for (GemmLayout layout : GemmLayout.values()) {
            FloatMatrix[] a = new FloatMatrix[count];
            FloatMatrix[] b = new FloatMatrix[count];
            FloatMatrix[] expected = new FloatMatrix[count];
            for (int i = 0; i < count; i++) {
                int m = 1 + 9 * i;
                int n = 64 - 5 * i;
                int k = 1 + 13 * i;
                FloatMatrix[] st = stored(layout, RandomMatrices.gaussian(m, k, 10 + i), RandomMatrices.gaussian(n, k, 20 + i));
                a[i] = st[0];
                b[i] = st[1];
                expected[i] = Gemm.f32(layout, a[i], b[i], new SimdGemmBackend(1));
            }
            for (int t : new int[] {1, 2, 3, 8}) {
                FloatMatrix[] out = new FloatMatrix[count];
                for (int i = 0; i < count; i++) {
                    out[i] = FloatMatrix.zeros(expected[i].rows(), expected[i].cols());
                }
                Gemm.f32Batch(layout, a, b, out, new SimdGemmBackend(t));
                for (int i = 0; i < count; i++) {
                    assertArrayEquals(expected[i].data(), out[i].data(), layout + " item " + i + " threads " + t);
                }
            }
        }
    }

    @Test
    void batchOutputsIntoInterleavedViewsOfOneMatrix() {
        FloatMatrix big = FloatMatrix.zeros(8, 12);
        FloatMatrix[] out = {big.view(0, 0, 8, 6), big.view(0, 6, 8, 6)};
        FloatMatrix[] a = {RandomMatrices.gaussian(8, 5, 1), RandomMatrices.gaussian(8, 5, 2)};
        FloatMatrix[] b = {RandomMatrices.gaussian(6, 5, 3), RandomMatrices.gaussian(6, 5, 4)};
        Gemm.f32Batch(GemmLayout.NT, a, b, out, new SimdGemmBackend(2));
        assertArrayEquals(Gemm.f32(a[1], b[1], new SimdGemmBackend(1)).data(), out[1].copy().data());
        FloatMatrix[] overlapping = {big.view(0, 0, 8, 6), big.view(0, 3, 8, 6)};
        assertThatThrownBy(() -> Gemm.f32Batch(GemmLayout.NT, a, b, overlapping, new SimdGemmBackend(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap");
    }

    @Test
    void layoutShapeErrorsNameTheLayout() {
        assertThatThrownBy(() -> Gemm.f32(GemmLayout.TN, FloatMatrix.zeros(3, 4), FloatMatrix.zeros(5, 6), new SimdGemmBackend(1)))
                .hasMessageContaining("TN");
    }

    @Test
    void vectorRescaleEqualsItsScalarTwin() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[] {0, 1, 3, 7, 8, 9, 16, 31, 64, 100}) {
            long[] c = new long[n + 3];
            double[] s = new double[n + 5];
            for (int i = 0; i < c.length; i++) {
                c[i] = switch (i % 6) {
                    case 0 -> 0;
                    case 1 -> rnd.nextLong(); // beyond 2^53: long→double rounds
                    case 2 -> -rnd.nextLong(1L << 40);
                    case 3 -> Long.MAX_VALUE;
                    case 4 -> (1L << 53) + 1;
                    default -> rnd.nextLong(-1000, 1000);
                };
            }
            for (int i = 0; i < s.length; i++) {
                s[i] = Math.scalb(1 + rnd.nextDouble(), rnd.nextInt(-60, 60));
            }
            for (double si : new double[] {1, 3.7e-5, 1.23e17, Math.scalb(1.0, -1000)}) {
                float[] vec = new float[n + 2];
                float[] twin = new float[n + 2];
                Rescale.row(c, 3, si, s, 5, vec, 2, n);
                Rescale.scalar(c, 3, si, s, 5, twin, 2, n);
                assertArrayEquals(twin, vec, "n " + n + " si " + si);
            }
        }
    }

    @Test
    void intCostsFollowThePathOrder() {
        SimdGemmBackend be = new SimdGemmBackend(1);
        assertThat(be.intCostPerMac(4)).isLessThan(be.intCostPerMac(8));
        assertThat(be.intCostPerMac(8)).isLessThan(be.intCostPerMac(16));
        assertThat(new ScalarGemmBackend().intCostPerMac(4)).isEqualTo(1.0);
    }
}
