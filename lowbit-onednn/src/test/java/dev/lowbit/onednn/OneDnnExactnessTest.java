package dev.lowbit.onednn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.FoldMap;
import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackendContract;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.UnpackStrategy;
import dev.lowbit.unpack.Unpacked;
import dev.lowbit.unpack.Unpacker;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The oneDNN path itself (b ≤ {@link OneDnnGemmBackend#maxExactBits}), against the scalar {@code long} reference and the
 * scalar backend, bit for bit: every b at full range, edge operands, shapes with 1s and odd sizes, strided views, the k split
 * and the row blocks (forced on small GEMMs through the test-only overrides), every epilogue, and many calls.
 */
class OneDnnExactnessTest {
    private static OneDnnGemmBackend backend;
    private static int maxBits;

    @BeforeAll
    static void requireOneDnn() {
        if (!OneDnnGemmBackend.available()) {
            System.out.println("oneDNN exactness tests skipped: " + OneDnnGemmBackend.unavailableReason());
        }
        Assumptions.assumeTrue(OneDnnGemmBackend.available(), () -> "oneDNN unavailable: " + OneDnnGemmBackend.unavailableReason());
        System.out.println(OneDnnGemmBackend.describe());
        backend = new OneDnnGemmBackend(2);
        maxBits = OneDnnGemmBackend.maxExactBits();
    }

    /** Every oneDNN call on all the backend's threads, however small (production runs small GEMMs on one). */
    @BeforeEach
    void teamKernels() {
        ExactGemm.macsPerThreadDefault = 0;
    }

    @AfterEach
    void restoreOverrides() {
        ExactGemm.kChunkOverride = 0;
        ExactGemm.macsPerCall = 1L << 30;
        ExactGemm.resultsPerBlock = 1 << 22;
        ExactGemm.macsPerThreadDefault = 1L << 25;
    }

    @Test
    void isRegisteredAndPreferredAndReportsItsWidth() {
        assertThat(GemmBackends.all().getFirst().name()).isEqualTo("onednn");
        assertThat(backend.priority()).isEqualTo(OneDnnGemmBackend.PRIORITY).isGreaterThan(GemmBackends.byName("simd").priority());
        OneDnn dnn = OneDnn.get().orElseThrow();
        assertThat(maxBits).isEqualTo(dnn.isaExactBits()).isEqualTo(dnn.hasVnni() ? 8 : 7);
        for (int b = 2; b <= 16; b++) {
            assertThat(backend.runsNative(b)).isEqualTo(b <= maxBits);
            assertThat(backend.intCostPerMac(b)).isEqualTo(b <= maxBits ? OneDnnGemmBackend.INT8_COST_PER_MAC
                    : GemmBackends.byName("simd").intCostPerMac(b));
        }
        assertThat(backend.runsNative(GemmBackend.WIDE_BITS)).isFalse();
        assertThat(backend.withThreads(3).threads()).isEqualTo(3);
    }

    @Test
    void everyWidthIsExactAtFullRangeIntoInt64AndInt32() {
        SplittableRandom r = new SplittableRandom(1);
        int[][] shapes = {{1, 1, 1}, {1, 9, 4}, {9, 1, 5}, {1, 1, 333}, {2, 3, 7}, {5, 9, 17}, {17, 33, 63}, {33, 70, 129}, {64, 64, 64},
            {70, 3, 1025}, {131, 67, 259}};
        for (int bits = 2; bits <= maxBits; bits++) {
            for (int[] s : shapes) {
                IntMatrix a = GemmBackendContract.randomBits(s[0], s[2], bits, r);
                IntMatrix b = GemmBackendContract.randomBits(s[1], s[2], bits, r);
                long[] want = GemmBackendContract.reference(a, b).data();
                for (int t : new int[] {1, 2}) {
                    String what = "bits " + bits + " " + Arrays.toString(s) + " threads " + t;
                    assertArrayEquals(want, Gemm.lowBit(a, b, bits, backend.withThreads(t)).data(), what);
                    IntMatrix out = IntMatrix.zeros(s[0], s[1]);
                    Gemm.lowBit(a, b, bits, out, backend.withThreads(t));
                    assertArrayEquals(want, widen(out.data()), "int32 " + what);
                }
            }
        }
    }

    @Test
    void edgeOperandsAreExact() {
        for (int bits = 2; bits <= maxBits; bits++) {
            int m = (1 << (bits - 1)) - 1;
            for (int k : new int[] {1, 2, 3, 4, 5, 63, 64, 65, 127, 128, 129, 1000, 4097}) {
                // all-max rows of both signs against all-max rows of both signs, alternating signs, a zero row
                IntMatrix a = IntMatrix.zeros(6, k);
                IntMatrix b = IntMatrix.zeros(5, k);
                for (int p = 0; p < k; p++) {
                    a.set(0, p, m);
                    a.set(1, p, -m);
                    a.set(2, p, p % 2 == 0 ? m : -m);
                    a.set(4, p, p % 3 == 0 ? -m : m);
                    a.set(5, p, p % (2 * m + 1) - m); // every value once
                    b.set(0, p, m);
                    b.set(1, p, -m);
                    b.set(2, p, p % 2 == 0 ? m : -m);
                    b.set(3, p, p % 2 == 0 ? -m : m);
                }
                long[] want = GemmBackendContract.reference(a, b).data();
                assertArrayEquals(want, Gemm.lowBit(a, b, bits, backend).data(), "bits " + bits + " k " + k);
                if (Gemm.fitsInt32(k, bits)) {
                    IntMatrix out = IntMatrix.zeros(6, 5);
                    Gemm.lowBit(a, b, bits, out, backend);
                    assertArrayEquals(want, widen(out.data()), "int32 bits " + bits + " k " + k);
                }
            }
        }
    }

    @Test
    void sumsAtTheInt32EdgeAreExact() {
        // one chunk of the largest k: every all-max dot product is 2^31 − 1 − ε, positive and negative
        int k = ExactGemm.kChunk(maxBits);
        int m = (1 << (maxBits - 1)) - 1;
        assertThat((long) k * m * m).isLessThanOrEqualTo(Integer.MAX_VALUE).isGreaterThan(Integer.MAX_VALUE - (long) m * m);
        IntMatrix a = IntMatrix.zeros(2, k);
        IntMatrix b = IntMatrix.zeros(2, k);
        Arrays.fill(a.data(), m);
        Arrays.fill(b.data(), 0, k, m);
        Arrays.fill(b.data(), k, 2 * k, -m);
        LongMatrix got = Gemm.lowBit(a, b, maxBits, backend);
        assertArrayEquals(new long[] {(long) k * m * m, -(long) k * m * m, (long) k * m * m, -(long) k * m * m}, got.data());
        IntMatrix out = IntMatrix.zeros(2, 2);
        Gemm.lowBit(a, b, maxBits, out, backend);
        assertArrayEquals(got.data(), widen(out.data()));
        // one step further needs the k split (two chunks summed in int64), and the result leaves int32
        IntMatrix a2 = IntMatrix.zeros(1, k + 1);
        IntMatrix b2 = IntMatrix.zeros(1, k + 1);
        Arrays.fill(a2.data(), m);
        Arrays.fill(b2.data(), m);
        assertThat(Gemm.lowBit(a2, b2, maxBits, backend).get(0, 0)).isEqualTo((long) (k + 1) * m * m).isGreaterThan(Integer.MAX_VALUE);
    }

    @Test
    void kSplitAndRowBlocksGiveTheSameBits() {
        SplittableRandom r = new SplittableRandom(3);
        for (int bits : new int[] {2, 5, maxBits}) {
            IntMatrix a = GemmBackendContract.randomBits(45, 301, bits, r);
            IntMatrix b = GemmBackendContract.randomBits(29, 301, bits, r);
            long[] want = GemmBackendContract.reference(a, b).data();
            for (int chunk : new int[] {1, 7, 64, 100, 300}) {
                for (long macs : new long[] {1, 5000, 1L << 30}) {
                    ExactGemm.kChunkOverride = chunk;
                    ExactGemm.macsPerCall = macs;
                    String what = "bits " + bits + " chunk " + chunk + " macs " + macs;
                    assertArrayEquals(want, Gemm.lowBit(a, b, bits, backend).data(), what);
                    IntMatrix out = IntMatrix.zeros(45, 29);
                    Gemm.lowBit(a, b, bits, out, backend);
                    assertArrayEquals(want, widen(out.data()), "int32 " + what);
                    assertArrayEquals(rescaledRef(want, 45, 29), rescaled(a, b, bits), "rescale " + what);
                }
            }
        }
    }

    @Test
    void stridedViewsInAndOut() {
        SplittableRandom r = new SplittableRandom(4);
        for (int bits = 2; bits <= maxBits; bits++) {
            IntMatrix big = GemmBackendContract.randomBits(60, 90, bits, r);
            IntMatrix a = big.view(2, 3, 19, 41);
            IntMatrix b = big.view(25, 40, 33, 41);
            long[] want = GemmBackendContract.reference(a.copy(), b.copy()).data();
            LongMatrix lo = LongMatrix.zeros(25, 40);
            Gemm.lowBit(a, b, bits, lo.view(3, 7, 19, 33), backend);
            assertThat(lo.view(3, 7, 19, 33).contentEquals(LongMatrix.wrap(want, 19, 33))).as("bits %d", bits).isTrue();
            assertThat(lo.get(0, 0)).isZero();
            assertThat(lo.get(24, 39)).isZero();
            IntMatrix io = IntMatrix.zeros(30, 50);
            Gemm.lowBit(a, b, bits, io.view(4, 9, 19, 33), backend);
            assertArrayEquals(want, widen(io.view(4, 9, 19, 33).toArray()), "int32 view bits " + bits);
            assertThat(io.get(3, 9)).isZero();
            assertThat(io.get(4, 8)).isZero();
            assertThat(io.get(4, 42)).isZero();
        }
    }

    @Test
    void foldAndRescaleEqualTheScalarBackend() {
        GemmBackend scalar = GemmBackends.scalar();
        SplittableRandom r = new SplittableRandom(6);
        for (int bits = 2; bits <= maxBits; bits++) {
            for (int[] s : new int[][] {{1, 1, 1}, {1, 9, 40}, {7, 5, 33}, {33, 17, 70}, {40, 60, 301}}) {
                LongMatrix ca = GemmBackendContract.heavyCodes(s[0], s[2], 40, r);
                LongMatrix cw = GemmBackendContract.heavyCodes(s[1], s[2], 40, r);
                double[] sa = GemmBackendContract.scales(s[0], r);
                double[] sw = GemmBackendContract.scales(s[1], r);
                for (UnpackStrategy st : new UnpackStrategy[] {UnpackStrategy.ROW, UnpackStrategy.COLUMN, UnpackStrategy.BOTH}) {
                    Unpacked u = Unpacker.unpack(ca, cw, bits, st);
                    if (u.plan().unpackedK() == 0) {
                        continue;
                    }
                    FoldMap fold = ImUnpackGemm.foldMap(u.plan());
                    for (FoldMap f : new FoldMap[] {fold, checked(fold)}) {
                        String what = "bits " + bits + " " + st + " " + Arrays.toString(s) + " overflowFree " + f.overflowFree();
                        LongMatrix want = LongMatrix.zeros(s[0], s[1]);
                        scalar.gemmInt(u.lhs(), u.rhs(), bits, new IntEpilogue.Fold(f, want));
                        assertThat(want.contentEquals(ScalarGemm.exact(ca, cw))).isTrue();
                        FloatMatrix wantScaled = FloatMatrix.zeros(s[0], s[1]);
                        scalar.gemmInt(u.lhs(), u.rhs(), bits, new IntEpilogue.Rescale(f, sa, sw, wantScaled));
                        for (int t : new int[] {1, 2}) {
                            LongMatrix got = LongMatrix.zeros(s[0], s[1]);
                            backend.withThreads(t).gemmInt(u.lhs(), u.rhs(), bits, new IntEpilogue.Fold(f, got));
                            assertArrayEquals(want.data(), got.data(), what);
                            FloatMatrix scaled = FloatMatrix.zeros(s[0], s[1]);
                            backend.withThreads(t).gemmInt(u.lhs(), u.rhs(), bits, new IntEpilogue.Rescale(f, sa, sw, scaled));
                            assertArrayEquals(wantScaled.data(), scaled.data(), "rescale " + what);
                        }
                        ExactGemm.kChunkOverride = 3; // the same with int64 chunk sums
                        LongMatrix got = LongMatrix.zeros(s[0], s[1]);
                        backend.gemmInt(u.lhs(), u.rhs(), bits, new IntEpilogue.Fold(f, got));
                        assertArrayEquals(want.data(), got.data(), "chunked " + what);
                        FloatMatrix scaled = FloatMatrix.zeros(s[0], s[1]);
                        backend.gemmInt(u.lhs(), u.rhs(), bits, new IntEpilogue.Rescale(f, sa, sw, scaled));
                        assertArrayEquals(wantScaled.data(), scaled.data(), "chunked rescale " + what);
                        ExactGemm.kChunkOverride = 0;
                    }
                }
                // the plain rescale (no fold) of b-bit operands
                IntMatrix a = GemmBackendContract.randomBits(s[0], s[2], bits, r);
                IntMatrix b = GemmBackendContract.randomBits(s[1], s[2], bits, r);
                FloatMatrix want = FloatMatrix.zeros(s[0], s[1]);
                scalar.gemmInt(a, b, bits, new IntEpilogue.Rescale(null, sa, sw, want));
                FloatMatrix got = FloatMatrix.zeros(s[0], s[1]);
                backend.gemmInt(a, b, bits, new IntEpilogue.Rescale(null, sa, sw, got));
                assertArrayEquals(want.data(), got.data(), "plain rescale bits " + bits);
            }
        }
    }

    @Test
    void checkedFoldOverflowThrowsLikeTheReference() {
        // one product of 7·7·3 = 147 shifted by 3·(20 + 20 + 20) = 180 bits cannot be held: both backends refuse
        IntMatrix a = IntMatrix.of(new int[] {7, 7, 7});
        IntMatrix b = IntMatrix.of(new int[] {7, 7, 7});
        FoldMap f = new FoldMap(new int[] {0}, new int[] {20}, new int[] {0}, new int[] {20}, 3, new int[] {0, 3}, new int[] {20}, false);
        assertThatThrownBy(() -> GemmBackends.scalar().gemmInt(a, b, 4, new IntEpilogue.Fold(f, LongMatrix.zeros(1, 1))))
                .isInstanceOf(LowbitException.class).hasMessageContaining("overflow");
        assertThatThrownBy(() -> backend.gemmInt(a, b, 4, new IntEpilogue.Fold(f, LongMatrix.zeros(1, 1))))
                .isInstanceOf(LowbitException.class).hasMessageContaining("overflow");
    }

    @Test
    void manyCallsDoNotGrowNativeMemory() {
        SplittableRandom r = new SplittableRandom(8);
        IntMatrix a = GemmBackendContract.randomBits(256, 256, maxBits, r);
        IntMatrix b = GemmBackendContract.randomBits(192, 256, maxBits, r);
        long[] want = GemmBackendContract.reference(a, b).data();
        LongMatrix out = LongMatrix.zeros(256, 192);
        OneDnn dnn = OneDnn.get().orElseThrow();
        Runnable call = () -> {
            backend.gemmInt(a, b, maxBits, new IntEpilogue.ToLong(out));
            try (var arena = java.lang.foreign.Arena.ofConfined()) { // the off-heap variant, one arena per call
                var na = arena.allocate(256L * 256);
                var nb = arena.allocate(192L * 256);
                var nc = arena.allocate(4L * 256 * 192);
                dnn.gemmS8S8S32(256, 192, 256, na, 256, nb, 256, nc, 192);
            }
        };
        for (int i = 0; i < 500; i++) { // oneDNN's kernels generated, the JIT mostly done
            call.run();
        }
        long before = nativeBytes();
        for (int i = 0; i < 2000; i++) {
            call.run();
        }
        long after = nativeBytes();
        assertArrayEquals(want, out.data());
        System.out.printf("2000 calls: malloc'ed bytes in use %d -> %d KiB%n", before >> 10, after >> 10);
        // a leak of any of a call's buffers (≥ 48 KiB each) would add ≥ 96 MiB; the JVM's own malloc use (its JIT) moves by MiBs
        assertThat(after - before).isLessThan(32L << 20);
    }

    // ---- helpers ----

    private float[] rescaled(IntMatrix a, IntMatrix b, int bits) {
        FloatMatrix out = FloatMatrix.zeros(a.rows(), b.rows());
        backend.gemmInt(a, b, bits, new IntEpilogue.Rescale(null, rowScales(a.rows()), rowScales(b.rows()), out));
        return out.data();
    }

    private static float[] rescaledRef(long[] c, int m, int n) {
        double[] sa = rowScales(m);
        double[] sb = rowScales(n);
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                out[i * n + j] = (float) (c[i * n + j] / (sa[i] * sb[j]));
            }
        }
        return out;
    }

    private static double[] rowScales(int n) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = 0.3 + i / 7.0;
        }
        return s;
    }

    static long[] widen(int[] x) {
        return Arrays.stream(x).asLongStream().toArray();
    }

    /**
     * Bytes in use from the C heap (glibc {@code mallinfo2()}: {@code uordblks + hblkhd}, all arenas) — oneDNN's allocations
     * and the JVM's own, but not the Java heap, so a leak per call shows up undiluted by GC.
     */
    private static long nativeBytes() {
        var linker = java.lang.foreign.Linker.nativeLinker();
        var fn = linker.defaultLookup().find("mallinfo2");
        Assumptions.assumeTrue(fn.isPresent(), "no mallinfo2 in this C library");
        var fields = new java.lang.foreign.MemoryLayout[10]; // struct mallinfo2: ten size_t
        Arrays.fill(fields, java.lang.foreign.ValueLayout.JAVA_LONG);
        var layout = java.lang.foreign.MemoryLayout.structLayout(fields);
        var handle = linker.downcallHandle(fn.get(), java.lang.foreign.FunctionDescriptor.of(layout));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var info = (java.lang.foreign.MemorySegment) handle.invoke((java.lang.foreign.SegmentAllocator) arena);
            return info.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, 7) + info.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG, 4);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same fold with the overflow checks on (the path taken when no bound proves the fold safe). */
    static FoldMap checked(FoldMap f) {
        return new FoldMap(f.lhsRow(), f.lhsExp(), f.rhsRow(), f.rhsExp(), f.digitShift(), f.colGroupStart(), f.groupExp(), false);
    }
}
