package dev.lowbit.simd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ImUnpackResult;
import dev.lowbit.gemm.ImUnpackSpec;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import dev.lowbit.unpack.UnpackStrategy;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The vector kernels against their scalar twins, path by path, at the width this JVM runs (see the pom). */
class SimdKernelTest {
    static final int[][] SHAPES = {{1, 1, 1}, {1, 70, 5}, {9, 1, 700}, {8, 64, 16}, {17, 65, 33}, {41, 97, 513}, {3, 200, 1100}};

    @Test
    void f32MatchesItsScalarTwinBitForBit() {
        long seed = 100;
        for (int[] s : SHAPES) {
            FloatMatrix a = RandomMatrices.gaussian(s[0], s[2], seed++);
            FloatMatrix b = RandomMatrices.studentT(s[1], s[2], 3, seed++);
            FloatMatrix twin = FloatMatrix.zeros(s[0], s[1]);
            ScalarTwin.f32(a, b, twin);
            for (int t : new int[] {1, 2, 3}) {
                FloatMatrix got = FloatMatrix.zeros(s[0], s[1]);
                new SimdGemmBackend(t).gemmF32(dev.lowbit.gemm.GemmLayout.NT, a, b, got);
                assertArrayEquals(twin.data(), got.data(), java.util.Arrays.toString(s) + " threads " + t);
            }
        }
    }

    @Test
    void f32PropagatesNanAndInfinity() {
        FloatMatrix a = RandomMatrices.gaussian(9, 20, 1);
        FloatMatrix b = RandomMatrices.gaussian(40, 20, 2);
        a.set(2, 3, Float.NaN);
        b.set(5, 7, Float.POSITIVE_INFINITY);
        FloatMatrix got = FloatMatrix.zeros(9, 40);
        new SimdGemmBackend(2).gemmF32(dev.lowbit.gemm.GemmLayout.NT, a, b, got);
        FloatMatrix twin = FloatMatrix.zeros(9, 40);
        ScalarTwin.f32(a, b, twin);
        assertArrayEquals(twin.data(), got.data());
        assertThat(got.get(2, 0)).isNaN();
    }

    @ParameterizedTest
    @EnumSource(SimdGemmBackend.Path.class)
    void everyIntPathIsExactUpToItsBitLimit(SimdGemmBackend.Path path) {
        SplittableRandom r = new SplittableRandom(path.ordinal());
        for (int bits = 2; bits <= path.maxBits(); bits++) {
            for (int[] s : SHAPES) {
                IntMatrix a = BackendContractTest.randomBits(s[0], s[2], bits, r);
                IntMatrix b = BackendContractTest.randomBits(s[1], s[2], bits, r);
                LongMatrix ref = BackendContractTest.reference(a, b);
                for (int t : new int[] {1, 3}) {
                    LongMatrix got = LongMatrix.zeros(s[0], s[1]);
                    new SimdGemmBackend(t).gemmInt(a, b, bits, new dev.lowbit.gemm.IntEpilogue.ToLong(got), path);
                    assertArrayEquals(ref.data(), got.data(), path + " bits " + bits + " " + java.util.Arrays.toString(s) + " threads " + t);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = SimdGemmBackend.Path.class, names = {"SWAR", "I16", "F32"})
    void operandsBeyondTheDeclaredBitsAreRejectedWhilePacking(SimdGemmBackend.Path path) {
        IntMatrix a = IntMatrix.zeros(5, 10);
        IntMatrix b = IntMatrix.zeros(40, 10);
        b.set(33, 9, 9);
        assertThatThrownBy(() -> new SimdGemmBackend(1).gemmInt(a, b, 4, new dev.lowbit.gemm.IntEpilogue.ToLong(LongMatrix.zeros(5, 40)), path))
                .isInstanceOf(LowbitException.class).hasMessageContaining("exceeds the declared bound");
        b.set(33, 9, 0);
        a.set(4, 0, Integer.MIN_VALUE);
        assertThatThrownBy(() -> new SimdGemmBackend(1).gemmInt(a, b, 4, new dev.lowbit.gemm.IntEpilogue.ToLong(LongMatrix.zeros(5, 40)), path))
                .isInstanceOf(LowbitException.class);
    }

    @Test
    void pathTooNarrowForTheBitsIsRefused() {
        IntMatrix a = IntMatrix.zeros(2, 2);
        assertThatThrownBy(() -> new SimdGemmBackend(1).gemmInt(a, a.copy(), 9, new dev.lowbit.gemm.IntEpilogue.ToLong(LongMatrix.zeros(2, 2)), SimdGemmBackend.Path.I16))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(UnpackStrategy.class)
    void fusedFoldEqualsTheScalarFoldAndTheExactProduct(UnpackStrategy strategy) {
        SimdGemmBackend simd = new SimdGemmBackend(2);
        for (int bits : new int[] {2, 3, 4, 5, 8, 12}) {
            FloatMatrix x = RandomMatrices.studentT(37, 150, 3, bits);
            FloatMatrix w = RandomMatrices.outlierChannels(70, 150, 4, 30, bits + 100);
            ImUnpackSpec spec = ImUnpackSpec.of(QuantParams.P95_N15, bits, strategy);
            ImUnpackResult fast = ImUnpackGemm.multiply(x, w, spec, simd, true);
            ImUnpackResult slow = ImUnpackGemm.multiply(x, w, spec, GemmBackends.scalar(), true);
            assertThat(fast.exact()).as("bits %d", bits).isTrue();
            assertThat(slow.exact()).isTrue();
            assertArrayEquals(slow.outF64(), fast.outF64(), "bits " + bits);
        }
    }

    @Test
    void fusedFoldWithKBlocksOutermost() {
        // k = 1100 in float32 lanes: the A block no longer fits the L2 budget, so k-blocks run outermost
        for (UnpackStrategy strategy : new UnpackStrategy[] {UnpackStrategy.COLUMN, UnpackStrategy.ROW}) {
            FloatMatrix x = RandomMatrices.outlierChannels(45, 1100, 40, 50, 1);
            FloatMatrix w = RandomMatrices.studentT(67, 1100, 3, 2);
            ImUnpackSpec spec = ImUnpackSpec.of(QuantParams.P95_N15, 8, strategy);
            ImUnpackResult fast = ImUnpackGemm.multiply(x, w, spec, new SimdGemmBackend(3), true);
            assertThat(fast.exact()).isTrue();
            assertArrayEquals(ImUnpackGemm.multiply(x, w, spec, GemmBackends.scalar(), false).outF64(), fast.outF64());
        }
    }

    @ParameterizedTest
    @EnumSource(UnpackStrategy.class)
    void multiplyIntoIsBitIdenticalToMultiply(UnpackStrategy strategy) {
        for (dev.lowbit.gemm.GemmBackend be : List.of(new SimdGemmBackend(2), GemmBackends.scalar())) {
            for (int bits : new int[] {2, 4, 8, 12}) {
                for (dev.lowbit.format.Granularity g : List.of(dev.lowbit.format.Granularity.TENSOR, dev.lowbit.format.Granularity.ROW,
                        dev.lowbit.format.Granularity.group(64))) {
                    FloatMatrix x = RandomMatrices.outlierChannels(29, 150, 13, 100, bits);
                    FloatMatrix w = RandomMatrices.gaussian(41, 150, bits + 1);
                    ImUnpackSpec spec = new ImUnpackSpec(QuantParams.P95_N15.withGranularity(g),
                            new dev.lowbit.quant.QuantParams(1.0, 15, g, false), bits, strategy);
                    FloatMatrix big = FloatMatrix.zeros(35, 50);
                    FloatMatrix out = big.view(3, 4, 29, 41);
                    double ratio = ImUnpackGemm.multiplyInto(x, w, spec, be, out);
                    ImUnpackResult ref = ImUnpackGemm.multiply(x, w, spec, be, false);
                    assertThat(out.contentEquals(ref.out())).as("%s bits %d %s", be.name(), bits, g).isTrue();
                    assertThat(ratio).isEqualTo(ref.stats().ratio());
                }
            }
        }
    }

    @Test
    void fusedFoldDetectsInt64Overflow() {
        // codes near 2^61: the product overflows int64; the fold must say so, never wrap
        LongMatrix a = LongMatrix.zeros(2, 3);
        LongMatrix b = LongMatrix.zeros(2, 3);
        for (int p = 0; p < 3; p++) {
            a.set(0, p, 1L << 61);
            b.set(0, p, 1L << 2);
        }
        assertThatThrownBy(() -> ImUnpackGemm.exactProduct(a, b, 8, UnpackStrategy.ROW, new SimdGemmBackend(1)))
                .isInstanceOf(LowbitException.class).hasMessageContaining("overflow");
        // just below: exact
        LongMatrix c = LongMatrix.zeros(2, 3);
        c.set(0, 0, (1L << 40) + 12345);
        c.set(1, 2, -(1L << 33) - 7);
        LongMatrix d = LongMatrix.zeros(2, 3);
        d.set(0, 0, -(1L << 20) + 3);
        d.set(1, 2, 1L << 19);
        d.set(1, 1, 99);
        assertThat(ImUnpackGemm.exactProduct(c, d, 3, UnpackStrategy.ROW, new SimdGemmBackend(2)).contentEquals(ScalarGemm.exact(c, d))).isTrue();
    }

    @Test
    void speciesHonoursTheForcedWidth() {
        String forced = System.getProperty("lowbit.vectorBits");
        if (forced != null && !forced.isBlank()) {
            assertThat(Species.BITS).isEqualTo(Integer.parseInt(forced));
        }
        assertThat(Species.LF * 32).isEqualTo(Species.BITS);
    }
}
