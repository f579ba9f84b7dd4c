package dev.lowbit.cuda;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.Digits;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The exact integer product C = a·bᵀ (row-major, b-bit operands with b ≤ 8) on cuBLASLt's int8 × int8 → int32 GEMM.
 *
 * <ul>
 *   <li><b>Layout.</b> cuBLAS is column-major: the row-major m×n product C = A·Bᵀ is the column-major n×m product
 *       Cᵀ = B·Aᵀ, and a row-major n×k B read column-major is the k×n matrix Bᵀ. So the call is cuBLAS "TN":
 *       op(A) = (stored k×n, ld k')ᵀ, op(B) = stored k×m, ld k', D n'×m with ld n' — the layout cuBLASLt's int8 kernels
 *       want (IMMA needs A transposed and B not).
 *   <li><b>Alignment.</b> k and n are padded with zeros to multiples of {@link #ALIGN} (16 bytes: int8 leading dimensions
 *       must be multiples of 4, and every k-chunk's start pointer stays 16-byte aligned); zeros add nothing to a sum.
 *   <li><b>Exactness.</b> Every k-chunk holds at most {@code floor((2^31 − 1)/M²)} columns (M = 2^(b−1) − 1, 133 136 at
 *       b = 8 after rounding down to 16): the exact sum fits in int32, so the tensor cores' int32 accumulation is exact
 *       whatever its order; several chunks are summed in int64 on the host.
 *   <li><b>Memory.</b> Each call's device buffers belong to one confined {@link Arena}, freed when the call returns
 *       (also on failure); the output goes through device blocks of at most {@link #MAX_C_INTS} int32.
 * </ul>
 */
final class Int8Gemm {
    /** Padding of k and n (elements = bytes for int8). */
    static final int ALIGN = 16;
    /** int32 results per device output block (256 MiB). */
    static volatile int MAX_C_INTS = 1 << 26;
    /** Calls of {@link #product} so far (tests check that work reached the GPU). */
    static final AtomicLong CALLS = new AtomicLong();
    /** Test-only: a smaller k-chunk than the int32 bound (0 = the bound), to force k-splits on small k. */
    static volatile int kChunkOverride;

    private Int8Gemm() {}

    /** The longest k (a multiple of {@link #ALIGN}) whose b-bit dot products always fit in int32: k·M² ≤ 2^31 − 1. */
    static int kChunk(int bits) {
        long m = Digits.base(bits) - 1;
        long k = Integer.MAX_VALUE / Math.max(1, m * m);
        int o = kChunkOverride;
        long c = Math.min(o > 0 ? o : k, k);
        return (int) Math.max(ALIGN, c / ALIGN * ALIGN);
    }

    static int roundUp(int x, int to) {
        return (int) (((long) x + to - 1) / to * to);
    }

    /**
     * The element types of a cuBLASLt matmul: A and B ({@code in}), D ({@code out}), the compute type and the type of
     * alpha/beta ({@code scale}). {@link #INT8}: the exact integer product; {@link #FP8_E4M3} and {@link #BF16}: the float
     * recipes' GEMMs (float32 accumulation and output, see {@link FloatGemm}).
     */
    record Types(String name, int in, int out, int compute, int scale, int inBytes) {
        static final Types INT8 = new Types("int8", Cuda.CUDA_R_8I, Cuda.CUDA_R_32I, Cuda.CUBLAS_COMPUTE_32I, Cuda.CUDA_R_32I, 1);
        static final Types FP8_E4M3 = new Types("fp8 e4m3", Cuda.CUDA_R_8F_E4M3, Cuda.CUDA_R_32F, Cuda.CUBLAS_COMPUTE_32F,
                Cuda.CUDA_R_32F, 1);
        static final Types BF16 = new Types("bf16", Cuda.CUDA_R_16BF, Cuda.CUDA_R_32F, Cuda.CUBLAS_COMPUTE_32F, Cuda.CUDA_R_32F, 2);
    }

    /**
     * A prepared cuBLASLt matmul in column-major terms: D (rows×cols, ld {@code ldd}) = alpha·op(A)·B with op(A) = Aᵀ, A
     * stored k×rows (ld {@code ldab}) and B stored k×cols (ld {@code ldab}), element types {@link Types} (int8 by default).
     * Its descriptors and chosen algorithm live until {@link #close}.
     */
    static final class Plan implements AutoCloseable {
        private final Cuda cuda;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment desc;
        private final MemorySegment aDesc;
        private final MemorySegment bDesc;
        private final MemorySegment dDesc;
        private final MemorySegment alpha;
        private final MemorySegment beta;
        private final MemorySegment algo;
        private final long workspaceBytes;

        Plan(Cuda cuda, long rows, long cols, long k, long ldab, long ldd) {
            this(cuda, Types.INT8, rows, cols, k, ldab, ldd, 1f);
        }

        Plan(Cuda cuda, Types t, long rows, long cols, long k, long ldab, long ldd, float alphaValue) {
            this.cuda = cuda;
            MemorySegment d = MemorySegment.NULL;
            MemorySegment la = MemorySegment.NULL;
            MemorySegment lb = MemorySegment.NULL;
            MemorySegment ld = MemorySegment.NULL;
            try {
                MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                Cuda.checkLt((int) cuda.ltMatmulDescCreate.invokeExact(out, t.compute(), t.scale()),
                        "cublasLtMatmulDescCreate");
                d = out.get(ValueLayout.ADDRESS, 0);
                MemorySegment op = arena.allocate(ValueLayout.JAVA_INT);
                op.set(ValueLayout.JAVA_INT, 0, Cuda.OP_T);
                Cuda.checkLt((int) cuda.ltMatmulDescSetAttribute.invokeExact(d, Cuda.DESC_TRANSA, op, 4L), "set TRANSA");
                MemorySegment opN = arena.allocate(ValueLayout.JAVA_INT);
                opN.set(ValueLayout.JAVA_INT, 0, Cuda.OP_N);
                Cuda.checkLt((int) cuda.ltMatmulDescSetAttribute.invokeExact(d, Cuda.DESC_TRANSB, opN, 4L), "set TRANSB");
                la = layout(t.in(), k, rows, ldab);
                lb = layout(t.in(), k, cols, ldab);
                ld = layout(t.out(), rows, cols, ldd);
                alpha = arena.allocate(ValueLayout.JAVA_INT);
                beta = arena.allocate(ValueLayout.JAVA_INT);
                if (t.scale() == Cuda.CUDA_R_32F) {
                    alpha.set(ValueLayout.JAVA_FLOAT, 0, alphaValue);
                    beta.set(ValueLayout.JAVA_FLOAT, 0, 0f);
                } else {
                    alpha.set(ValueLayout.JAVA_INT, 0, 1);
                    beta.set(ValueLayout.JAVA_INT, 0, 0);
                }
                MemorySegment pref;
                MemorySegment pout = arena.allocate(ValueLayout.ADDRESS);
                Cuda.checkLt((int) cuda.ltMatmulPreferenceCreate.invokeExact(pout), "cublasLtMatmulPreferenceCreate");
                pref = pout.get(ValueLayout.ADDRESS, 0);
                try {
                    MemorySegment ws = arena.allocate(ValueLayout.JAVA_LONG);
                    ws.set(ValueLayout.JAVA_LONG, 0, Cuda.WORKSPACE_BYTES);
                    Cuda.checkLt((int) cuda.ltMatmulPreferenceSetAttribute.invokeExact(pref, Cuda.PREF_MAX_WORKSPACE_BYTES, ws, 8L),
                            "set MAX_WORKSPACE_BYTES");
                    MemorySegment results = arena.allocate(Cuda.HEURISTIC_BYTES, 8);
                    MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
                    Cuda.checkLt((int) cuda.ltMatmulAlgoGetHeuristic.invokeExact(cuda.ltHandle(), d, la, lb, ld, ld, pref, 1,
                            results, count), "cublasLtMatmulAlgoGetHeuristic");
                    if (count.get(ValueLayout.JAVA_INT, 0) < 1) {
                        throw new LowbitException("cuBLASLt has no " + t.name() + " algorithm for " + rows + "×" + cols + "×" + k);
                    }
                    algo = results.asSlice(0, 64);
                    workspaceBytes = Math.min(Cuda.WORKSPACE_BYTES, results.get(ValueLayout.JAVA_LONG, 64));
                } finally {
                    int ignored = (int) cuda.ltMatmulPreferenceDestroy.invokeExact(pref);
                }
            } catch (Throwable e) {
                destroy(d, la, lb, ld);
                arena.close();
                throw e instanceof LowbitException le ? le : new LowbitException("cuBLASLt plan failed: " + Cuda.oneLine(e));
            }
            desc = d;
            aDesc = la;
            bDesc = lb;
            dDesc = ld;
        }

        private MemorySegment layout(int type, long rows, long cols, long ld) throws Throwable {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            Cuda.checkLt((int) cuda.ltMatrixLayoutCreate.invokeExact(out, type, rows, cols, ld), "cublasLtMatrixLayoutCreate");
            return out.get(ValueLayout.ADDRESS, 0);
        }

        /** Enqueues D = op(A)·B on the default stream (device pointers). */
        void run(MemorySegment a, MemorySegment b, MemorySegment d) {
            try {
                Cuda.checkLt((int) cuda.ltMatmul.invokeExact(cuda.ltHandle(), desc, alpha, a, aDesc, b, bDesc, beta, d, dDesc, d,
                        dDesc, algo, cuda.workspace(), workspaceBytes, MemorySegment.NULL), "cublasLtMatmul");
            } catch (LowbitException e) {
                throw e;
            } catch (Throwable e) {
                throw new LowbitException("cublasLtMatmul failed: " + Cuda.oneLine(e));
            }
        }

        private void destroy(MemorySegment d, MemorySegment la, MemorySegment lb, MemorySegment ld) {
            try {
                for (MemorySegment l : new MemorySegment[] {la, lb, ld}) {
                    if (!l.equals(MemorySegment.NULL)) {
                        int ignored = (int) cuda.ltMatrixLayoutDestroy.invokeExact(l);
                    }
                }
                if (!d.equals(MemorySegment.NULL)) {
                    int ignored = (int) cuda.ltMatmulDescDestroy.invokeExact(d);
                }
            } catch (Throwable e) {
                // best effort
            }
        }

        @Override
        public void close() {
            destroy(desc, aDesc, bDesc, dDesc);
            arena.close();
        }
    }

    /** int8 copy of x (|x| ≤ 127), rows padded to {@code rowsPadded} and columns to {@code kp} with zeros. */
    static byte[] narrow(IntMatrix x, int rowsPadded, int kp) {
        int rows = x.rows();
        int cols = x.cols();
        byte[] d = new byte[Math.multiplyExact(rowsPadded, kp)];
        int[] src = x.data();
        for (int i = 0; i < rows; i++) {
            int s = x.index(i, 0);
            int at = i * kp;
            for (int p = 0; p < cols; p++) {
                d[at + p] = (byte) src[s + p];
            }
        }
        return d;
    }

    /** {@code out = a·bᵀ} exactly (out any view), b-bit operands, b ≤ 8. */
    static void product(Cuda cuda, IntMatrix a, IntMatrix b, int bits, LongMatrix out) {
        CALLS.incrementAndGet();
        int m = a.rows();
        int n = b.rows();
        int k = a.cols();
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(out.data(), out.index(i, 0), out.index(i, 0) + n, 0L);
            }
            return;
        }
        int kp = roundUp(k, ALIGN);
        int np = roundUp(n, ALIGN);
        byte[] ah = narrow(a, m, kp);
        byte[] bh = narrow(b, np, kp);
        int kc = kChunk(bits);
        int chunks = (int) ((kp + (long) kc - 1) / kc); // long: at b = 2 the chunk is ~2^31 and kp + kc would wrap
        int rowsPer = Math.max(1, Math.min(m, MAX_C_INTS / np));
        int[] ch = new int[rowsPer * np];
        long[] acc = chunks > 1 ? new long[rowsPer * np] : null;
        long[] d = out.data();
        Map<Long, Plan> plans = new HashMap<>();
        synchronized (cuda) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ad = cuda.malloc((long) m * kp, arena);
                MemorySegment bd = cuda.malloc((long) np * kp, arena);
                MemorySegment cd = cuda.malloc((long) rowsPer * np * 4, arena);
                cuda.toDevice(ad, MemorySegment.ofArray(ah), ah.length);
                cuda.toDevice(bd, MemorySegment.ofArray(bh), bh.length);
                for (int i0 = 0; i0 < m; i0 += rowsPer) {
                    int rows = Math.min(rowsPer, m - i0);
                    for (int c = 0; c < chunks; c++) {
                        int p0 = c * kc;
                        int p1 = (int) Math.min(kp, (long) p0 + kc);
                        int width = p1 - p0;
                        long key = ((long) rows << 32) | width;
                        Plan plan = plans.get(key);
                        if (plan == null) {
                            plan = new Plan(cuda, np, rows, width, kp, np);
                            plans.put(key, plan);
                        }
                        plan.run(bd.asSlice(p0), ad.asSlice((long) i0 * kp + p0), cd);
                        cuda.toHost(MemorySegment.ofArray(ch), cd, (long) rows * np * 4);
                        if (acc != null) {
                            int size = rows * np;
                            if (c == 0) {
                                for (int x = 0; x < size; x++) {
                                    acc[x] = ch[x];
                                }
                            } else {
                                for (int x = 0; x < size; x++) {
                                    acc[x] += ch[x];
                                }
                            }
                        }
                    }
                    for (int i = 0; i < rows; i++) {
                        int at = out.index(i0 + i, 0);
                        int from = i * np;
                        if (acc == null) {
                            for (int j = 0; j < n; j++) {
                                d[at + j] = ch[from + j];
                            }
                        } else {
                            System.arraycopy(acc, from, d, at, n);
                        }
                    }
                }
            } finally {
                for (Plan p : plans.values()) {
                    p.close();
                }
            }
        }
    }

    /** The start-up self-test: edge values and a forced k-split against the int64 reference; null or what failed. */
    static String selfTest(Cuda cuda) {
        try {
            SplittableRandom r = new SplittableRandom(19);
            int[][] shapes = {{37, 45, 300}, {1, 1, 1}, {3, 2, 140_000}};
            for (int[] s : shapes) {
                IntMatrix a = IntMatrix.zeros(s[0], s[2]);
                IntMatrix b = IntMatrix.zeros(s[1], s[2]);
                for (int x = 0; x < a.data().length; x++) {
                    a.data()[x] = s[2] > 100_000 ? 127 : r.nextInt(-127, 128);
                }
                for (int x = 0; x < b.data().length; x++) {
                    b.data()[x] = s[2] > 100_000 ? (x % 2 == 0 ? 127 : -127) : r.nextInt(-127, 128);
                }
                if (s[2] > 100_000) {
                    Arrays.fill(b.data(), 0, s[2], 127); // row 0 of b: every product +127², sum > 2^31
                }
                LongMatrix got = LongMatrix.zeros(s[0], s[1]);
                product(cuda, a, b, 8, got);
                LongMatrix ref = reference(a, b);
                if (!Arrays.equals(got.data(), ref.data())) {
                    return "wrong int8 product at " + s[0] + "×" + s[1] + "×" + s[2];
                }
            }
            return null;
        } catch (RuntimeException e) {
            return Cuda.oneLine(e);
        }
    }

    static LongMatrix reference(IntMatrix a, IntMatrix b) {
        LongMatrix c = LongMatrix.zeros(a.rows(), b.rows());
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.rows(); j++) {
                long s = 0;
                for (int p = 0; p < a.cols(); p++) {
                    s += (long) a.get(i, p) * b.get(j, p);
                }
                c.set(i, j, s);
            }
        }
        return c;
    }
}
