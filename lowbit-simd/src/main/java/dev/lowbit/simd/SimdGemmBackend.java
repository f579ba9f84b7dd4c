package dev.lowbit.simd;

import dev.lowbit.Flags;
import dev.lowbit.Parallel;
import dev.lowbit.gemm.FoldMap;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;

/**
 * The Vector API backend (name {@code simd}, priority 10, so it is the default when on the class path):
 * FP32 GEMM in packed panels with a register tile, and exact low-bit integer GEMMs with the narrowest
 * provably exact accumulation for the operands' bit-width ({@link #path}).
 */
public final class SimdGemmBackend implements GemmBackend {
    /** How an integer GEMM of b-bit operands (|x| ≤ M = 2^(b−1) − 1) is accumulated. */
    public enum Path {
        /** Two products per float32 lane ({@link SwarGemm}): b ≤ 3 (chunks of floor(2047/M²) steps). */
        SWAR,
        /** 16-bit lanes on k-pairs ({@link I16Gemm}): b ≤ 5 (blocks of floor(32767/M²) pairs). */
        I16,
        /** float32 lanes ({@link F32Gemm#exactInt}): b ≤ 10 (blocks of floor(2^24/M²) steps). */
        F32,
        /** float64 lanes ({@link F64Gemm}): any b ≤ 16. */
        F64;

        /** Largest bit-width the path can take at all. */
        public int maxBits() {
            return switch (this) {
                case SWAR -> 6;
                case I16 -> 8;
                case F32 -> 13;
                case F64 -> 16;
            };
        }
    }

    private final int threads;

    /** Uses {@code lowbit.threads} worker threads (default: all processors). */
    public SimdGemmBackend() {
        this(Flags.threads());
    }

    public SimdGemmBackend(int threads) {
        this.threads = Math.max(1, threads);
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public int priority() {
        return 10;
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public GemmBackend withThreads(int threads) {
        return threads == this.threads ? this : new SimdGemmBackend(threads);
    }

    /**
     * The fastest exact path for b-bit operands, as measured on Zen 4 at 4096×1536×384 (docs/performance.md):
     * SWAR for b ≤ 3, int16 lanes for b = 4, 5, float32 lanes for b = 6..10, float64 lanes above.
     */
    public static Path path(int bits) {
        return bits <= 3 ? Path.SWAR : bits <= 5 ? Path.I16 : bits <= 10 ? Path.F32 : Path.F64;
    }

    @Override
    public void gemmF32(GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        f32(layout, a, b, out, threads);
    }

    /**
     * With at least as many items as threads, the items are shared out among the threads and each runs
     * single-threaded (small GEMMs, such as per-head attention, do not split well); otherwise they run one
     * after the other with all threads. Either way each result is the single call's, bit for bit.
     */
    @Override
    public void gemmF32Batch(GemmLayout layout, FloatMatrix[] a, FloatMatrix[] b, FloatMatrix[] out) {
        int count = out.length;
        if (count >= threads && threads > 1) {
            Parallel.forParts(threads, t -> {
                for (int i = count * t / threads; i < count * (t + 1) / threads; i++) {
                    f32(layout, a[i], b[i], out[i], 1);
                }
            });
        } else {
            for (int i = 0; i < count; i++) {
                f32(layout, a[i], b[i], out[i], threads);
            }
        }
    }

    private static void f32(GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out, int threads) {
        switch (layout) {
            case NT -> F32Gemm.nt(a, b, out, threads);
            case NN -> F32Gemm.nn(a, b, out, threads);
            case TN -> F32Gemm.tn(a, b, out, threads);
        }
    }

    /**
     * Relative time per multiply-add of each exact path (float32 GEMM = 1), from the per-path measurement in
     * docs/performance.md ({@code bench gemm --paths}): SWAR ≈ 0.65, int16 lanes 0.70 (b = 4) and 0.81
     * (b = 5), float32 lanes ≈ 1.2 while k-blocks stay long (b ≤ 9) and 1.6 at b = 10, float64 lanes ≈ 2.4 (also the
     * wide bound: int32 codes in float64 lanes).
     */
    @Override
    public double intCostPerMac(int bits) {
        if (bits == WIDE_BITS) {
            return 2.4;
        }
        return switch (path(bits)) {
            case SWAR -> 0.65;
            case I16 -> bits <= 4 ? 0.70 : 0.81;
            case F32 -> bits <= 9 ? 1.2 : 1.6;
            case F64 -> 2.4;
        };
    }

    @Override
    public void gemmInt(IntMatrix a, IntMatrix b, int bits, IntEpilogue epilogue) {
        gemmInt(a, b, bits, epilogue, bits == WIDE_BITS ? Path.F64 : path(bits));
    }

    /**
     * {@link #gemmInt(IntMatrix, IntMatrix, int, IntEpilogue)} on a chosen path (benchmarks and tests). The narrow paths
     * fuse every epilogue into their output tiles ({@link IntSink}); float64 lanes compute the int64 product and finish the
     * epilogue after it (the rescale vectorized).
     */
    public void gemmInt(IntMatrix a, IntMatrix b, int bits, IntEpilogue epilogue, Path path) {
        if (path == Path.F64) {
            IntEpilogue.Product product = bits == WIDE_BITS ? (x, y, c) -> F64Gemm.exactWide(x, y, c, threads)
                    : (x, y, c) -> F64Gemm.exactInt(x, y, maxAbs(bits), c, threads);
            if (epilogue instanceof IntEpilogue.Rescale r && r.plain(a.rows(), b.rows())) {
                LongMatrix c = LongMatrix.zeros(r.rows(), r.cols());
                product.into(a, b, c);
                rescale(c, r, threads);
            } else if (epilogue instanceof IntEpilogue.Rescale r) {
                LongMatrix c = LongMatrix.zeros(r.rows(), r.cols());
                IntEpilogue.finish(a, b, new IntEpilogue.Fold(r.fold(), c), product);
                rescale(c, r, 1);
            } else {
                IntEpilogue.finish(a, b, epilogue, product);
            }
            return;
        }
        switch (epilogue) {
            case IntEpilogue.ToLong t -> run(a, b, bits, IntSink.of(t.out()), path);
            case IntEpilogue.ToInt t -> run(a, b, bits, IntSink.of(t.out()), path);
            case IntEpilogue.Fold f -> run(a, b, bits, IntSink.fold(f.fold(), f.out(), a.rows(), b.rows()), path);
            case IntEpilogue.Rescale r -> {
                FoldMap fold = r.fold();
                if (fold != null && fold.overflowFree() && fold.rowsAreIdentity(r.rows(), r.cols()) && a.rows() == r.rows()
                        && b.rows() == r.cols()) {
                    run(a, b, bits, IntSink.foldScaled(fold, r.lhsScale(), r.rhsScale(), r.out()), path);
                } else {
                    LongMatrix c = LongMatrix.zeros(r.rows(), r.cols());
                    if (r.plain(a.rows(), b.rows())) {
                        run(a, b, bits, IntSink.of(c), path); // nothing to fold: the plain exact GEMM is the folded result
                    } else {
                        run(a, b, bits, IntSink.fold(fold, c, a.rows(), b.rows()), path);
                    }
                    rescale(c, r, 1);
                }
            }
        }
    }

    /**
     * The byte form (W held as int8): the I16 and F32 paths pack their panels from the bytes; SWAR (b ≤ 3) and the
     * epilogues that need an int64 product first take a transient int32 copy.
     */
    @Override
    public void gemmInt(IntMatrix a, ByteMatrix b, int bits, IntEpilogue epilogue) {
        Path path = path(bits);
        if (bits > 8 || path == Path.SWAR || path == Path.F64) {
            gemmInt(a, b.toIntMatrix(), bits, epilogue);
            return;
        }
        long m = maxAbs(bits);
        Run run = (x, sink) -> {
            if (path == Path.I16) {
                I16Gemm.exactInt(x, b, m, sink, threads);
            } else {
                F32Gemm.exactInt(x, b, m, sink, threads);
            }
        };
        switch (epilogue) {
            case IntEpilogue.ToLong t -> run.into(a, IntSink.of(t.out()));
            case IntEpilogue.ToInt t -> run.into(a, IntSink.of(t.out()));
            case IntEpilogue.Fold f -> run.into(a, IntSink.fold(f.fold(), f.out(), a.rows(), b.rows()));
            case IntEpilogue.Rescale r -> {
                FoldMap fold = r.fold();
                if (fold != null && fold.overflowFree() && fold.rowsAreIdentity(r.rows(), r.cols()) && a.rows() == r.rows()
                        && b.rows() == r.cols()) {
                    run.into(a, IntSink.foldScaled(fold, r.lhsScale(), r.rhsScale(), r.out()));
                } else {
                    LongMatrix c = LongMatrix.zeros(r.rows(), r.cols());
                    run.into(a, r.plain(a.rows(), b.rows()) ? IntSink.of(c) : IntSink.fold(fold, c, a.rows(), b.rows()));
                    rescale(c, r, 1);
                }
            }
        }
    }

    /** One narrow kernel over the byte operand into a sink. */
    private interface Run {
        void into(IntMatrix a, IntSink sink);
    }

    /** The backend's rescale of an int64 result, rows shared over {@code parallelism} tasks (vectorized, {@link Rescale}). */
    private static void rescale(LongMatrix c, IntEpilogue.Rescale r, int parallelism) {
        FloatMatrix out = r.out();
        int m = out.rows();
        Parallel.forRanges(Parallel.parts(parallelism, m, out.cols()), m, (t, i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                Rescale.row(c.data(), c.index(i, 0), r.lhsScale()[i], r.rhsScale(), 0, out.data(), out.index(i, 0), out.cols());
            }
        });
    }

    private void run(IntMatrix a, IntMatrix b, int bits, IntSink sink, Path path) {
        if (bits > path.maxBits()) {
            throw new IllegalArgumentException(path + " cannot multiply " + bits + "-bit operands exactly (max " + path.maxBits() + ")");
        }
        long m = maxAbs(bits);
        switch (path) {
            case SWAR -> SwarGemm.exactInt(a, b, m, sink, threads);
            case I16 -> I16Gemm.exactInt(a, b, m, sink, threads);
            case F32 -> F32Gemm.exactInt(a, b, m, sink, threads);
            case F64 -> throw new IllegalStateException("unreachable");
        }
    }

    private static long maxAbs(int bits) {
        return (1L << (bits - 1)) - 1;
    }
}
