package dev.lowbit.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Exactness of the cuBLASLt int8 path against the int64 reference, bit for bit: b = 2..8 at full range with edge values,
 * forced and natural k-splits, unaligned shapes, and no device memory leaked over many calls. The discovery test runs
 * everywhere; the others need a GPU and are skipped with the reason without one.
 */
class CudaExactnessTest {
    private static void needsGpu() {
        assumeTrue(Cuda.available(), () -> "no GPU for lowbit-cuda: " + Cuda.unavailableReason());
    }

    /** Full-range b-bit codes, a third of them at ±(2^(b−1) − 1), some zero. */
    static IntMatrix codes(int rows, int cols, int bits, SplittableRandom r) {
        int m = (1 << (bits - 1)) - 1;
        IntMatrix x = IntMatrix.zeros(rows, cols);
        int[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            int c = r.nextInt(6);
            d[i] = c == 0 ? m : c == 1 ? -m : c == 2 ? 0 : r.nextInt(-m, m + 1);
        }
        return x;
    }

    static LongMatrix reference(IntMatrix a, IntMatrix b) {
        return Int8Gemm.reference(a, b);
    }

    @Test
    void discoveryNeverThrowsAndExplainsItselfInOneLine() {
        boolean ok = Cuda.available();
        String why = Cuda.unavailableReason();
        CudaGemmBackend be = new CudaGemmBackend(1);
        assertThat(be.name()).isEqualTo("cuda");
        if (ok) {
            assertThat(why).isNull();
            assertThat(be.priority()).isEqualTo(CudaGemmBackend.PRIORITY);
            System.out.println(CudaGemmBackend.describe());
        } else {
            assertThat(why).isNotBlank().doesNotContain("\n");
            assertThat(be.whyUnavailable()).isEqualTo(why);
            assertThat(be.priority()).isNegative();
            System.out.println("lowbit-cuda unavailable here: " + why);
        }
        assertThat(be.priority()).isLessThan(10); // never above simd
        // unavailable or not, the backend answers (by delegation where there is no GPU)
        IntMatrix a = codes(5, 9, 8, new SplittableRandom(1));
        IntMatrix b = codes(4, 9, 8, new SplittableRandom(2));
        assertArrayEquals(reference(a, b).data(), Gemm.lowBit(a, b, 8, be).data());
    }

    @Test
    void searchDirectoriesExistAndDoNotThrow() {
        assertThat(Cuda.searchDirs()).allMatch(java.nio.file.Files::isDirectory);
        assertThat(Cuda.sitePackages()).allMatch(java.nio.file.Files::isDirectory);
    }

    @Test
    void everyWidthUpTo8AtFullRangeIsExact() {
        needsGpu();
        GemmBackend be = new CudaGemmBackend(2);
        SplittableRandom r = new SplittableRandom(19);
        int[][] shapes = {{1, 1, 1}, {1, 17, 3}, {3, 1, 5}, {7, 13, 31}, {33, 65, 129}, {64, 64, 64}, {17, 250, 1000},
            {129, 3, 4097}, {300, 301, 302}};
        for (int bits = 2; bits <= 8; bits++) {
            for (int[] s : shapes) {
                IntMatrix a = codes(s[0], s[2], bits, r);
                IntMatrix b = codes(s[1], s[2], bits, r);
                assertArrayEquals(reference(a, b).data(), Gemm.lowBit(a, b, bits, be).data(),
                        "bits " + bits + " " + Arrays.toString(s));
            }
        }
    }

    @Test
    void forcedKSplitsAreExact() {
        needsGpu();
        GemmBackend be = new CudaGemmBackend(1);
        SplittableRandom r = new SplittableRandom(7);
        try {
            for (int chunk : new int[] {16, 48, 1000}) {
                Int8Gemm.kChunkOverride = chunk;
                for (int bits : new int[] {2, 5, 8}) {
                    for (int[] s : new int[][] {{9, 11, 17}, {40, 33, 500}, {5, 70, 3001}}) {
                        IntMatrix a = codes(s[0], s[2], bits, r);
                        IntMatrix b = codes(s[1], s[2], bits, r);
                        assertArrayEquals(reference(a, b).data(), Gemm.lowBit(a, b, bits, be).data(),
                                "chunk " + chunk + " bits " + bits + " " + Arrays.toString(s));
                    }
                }
            }
        } finally {
            Int8Gemm.kChunkOverride = 0;
        }
    }

    @Test
    void sumsBeyondInt32SplitKNaturally() {
        needsGpu();
        // k = 140 001 products of 127·127 (and mixed signs): |sum| up to 2.26e9 > 2^31 − 1, so the int32 bound forces two chunks
        int k = 140_001;
        IntMatrix a = IntMatrix.zeros(3, k);
        IntMatrix b = IntMatrix.zeros(5, k);
        Arrays.fill(a.data(), 127);
        Arrays.fill(a.data(), k, 2 * k, -127);
        Arrays.fill(b.data(), 127);
        for (int j = 2 * k; j < 3 * k; j += 2) {
            b.data()[j] = -127;
        }
        LongMatrix got = Gemm.lowBit(a, b, 8, new CudaGemmBackend(1));
        assertThat(got.get(0, 0)).isEqualTo(140_001L * 127 * 127);
        assertArrayEquals(reference(a, b).data(), got.data());
    }

    @Test
    void rowBlocksOfTheOutputAreExact() {
        needsGpu();
        int saved = Int8Gemm.MAX_C_INTS;
        try {
            Int8Gemm.MAX_C_INTS = 16 * 7; // 7 rows per device block of n' = 16
            SplittableRandom r = new SplittableRandom(3);
            IntMatrix a = codes(50, 40, 8, r);
            IntMatrix b = codes(13, 40, 8, r);
            LongMatrix big = LongMatrix.zeros(60, 20);
            new CudaGemmBackend(1).gemmInt(a, b, 8, new IntEpilogue.ToLong(big.view(5, 4, 50, 13)));
            LongMatrix ref = reference(a, b);
            for (int i = 0; i < 50; i++) {
                for (int j = 0; j < 13; j++) {
                    assertThat(big.get(5 + i, 4 + j)).isEqualTo(ref.get(i, j));
                }
            }
            assertThat(big.get(4, 4)).isZero();
            assertThat(big.get(5, 17)).isZero();
        } finally {
            Int8Gemm.MAX_C_INTS = saved;
        }
    }

    @Test
    void manyCallsLeakNoDeviceMemory() {
        needsGpu();
        Cuda cuda = Cuda.get().orElseThrow();
        GemmBackend be = new CudaGemmBackend(1);
        SplittableRandom r = new SplittableRandom(11);
        // warm up (cuBLASLt's own lazily loaded kernels and caches), then measure
        Gemm.lowBit(codes(64, 64, 8, r), codes(64, 64, 8, r), 8, be);
        long live = Cuda.liveAllocations();
        long free0 = cuda.memInfo()[0];
        for (int call = 0; call < 500; call++) {
            int m = 1 + r.nextInt(200);
            int n = 1 + r.nextInt(200);
            int k = 1 + r.nextInt(600);
            IntMatrix a = codes(m, k, 8, r);
            IntMatrix b = codes(n, k, 8, r);
            LongMatrix got = Gemm.lowBit(a, b, 8, be);
            if (call % 50 == 0) {
                assertArrayEquals(reference(a, b).data(), got.data(), "call " + call);
            }
        }
        // 8 MB of 16 MB operands: each call's 3 buffers freed
        IntMatrix a = codes(1024, 4096, 8, r);
        IntMatrix b = codes(1024, 4096, 8, r);
        for (int call = 0; call < 20; call++) {
            Gemm.lowBit(a, b, 8, be);
        }
        assertThat(Cuda.liveAllocations()).isEqualTo(live);
        long free1 = cuda.memInfo()[0];
        assertThat(free0 - free1).as("device memory lost over 520 calls").isLessThan(64L << 20);
        System.out.printf("leak test: %d live allocations, free device memory %d → %d MiB%n", live, free0 >> 20, free1 >> 20);
    }
}
