package dev.lowbit.gemm;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.numeric.VectorMath;
import dev.lowbit.numeric.VectorMaths;
import dev.lowbit.quant.PackedRowCodes;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.ByteMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackPlan;
import dev.lowbit.unpack.UnpackStrategy;
import java.util.Arrays;

/**
 * The IM-Unpack pipeline for per-tensor RTN on both operands, tuned for many small GEMMs (training):
 * quantize each operand straight to int32 codes ({@link RtnQuantizer#quantizeInt}), choose the bit-width
 * b and the unpacking from the codes' row and column maxima by estimated cost, unpack only when some code
 * needs more than one digit, and finish with one fused {@link GemmBackend#gemmInt} with an {@link IntEpilogue.Rescale}.
 *
 * <p><b>Exactness.</b> Whatever b and strategy are chosen, the fold is the exact int64 GEMM C of the
 * codes, and {@code out[i,j] = (float) (C[i,j] / (s_a · s_w))}: bit-identical to
 * {@code ImUnpackGemm.multiply(a, w, spec, backend, false).out()} for any b.
 *
 * <p><b>Choice of b</b> (when {@code bits == AUTO_BITS}). For each b in 2..16 with S = 2^(b−1) and
 * D(v) the number of base-S digits of v:
 *
 * <pre>
 *   none   (every |code| &lt; S):  work = m·n·k,                 unpacked elements = 0
 *   column:                      work = m·n·Σ_c D(maxA_c)·D(maxW_c),  elements = (m + n)·k'
 *   row:                         work = Σ_r D(maxA_r)·Σ_t D(maxW_t)·k, elements = (m' + n')·k
 *   cost   = work · backend.intCostPerMac(b) + elements · UNPACK_COST
 * </pre>
 *
 * and the cheapest (b, strategy) wins (the smallest b on ties). The choice depends only on the codes, never
 * on timing, so it is deterministic.
 */
public final class FastImUnpack {
    /** {@code bits} value that lets {@link #multiplyInto} choose b per GEMM. */
    public static final int AUTO_BITS = 0;
    /** Cost of writing one unpacked element, in float32 multiply-adds (measured order of magnitude). */
    static final double UNPACK_COST = 6;

    private FastImUnpack() {}

    /**
     * What one GEMM did.
     *
     * @param plan how the GEMM was executed (its {@link GemmPlan#label()} is the reported strategy)
     * @param ratio unpacked work over m·n·k
     * @param lhsHeavy codes of A with |q| ≥ 2^(statBits−1)
     * @param rhsHeavy codes of B with |q| ≥ 2^(statBits−1)
     * @param quantizeNanos time spent quantizing both operands
     * @param unpackNanos time spent choosing b and unpacking
     * @param gemmNanos time in the fused integer GEMM, fold and rescale
     */
    public record Result(GemmPlan plan, double ratio, long lhsHeavy, long rhsHeavy, long quantizeNanos, long unpackNanos,
                         long gemmNanos) {
        /** The b used (0 for the float and wide plans). */
        public int bits() {
            return plan.bits();
        }

        /** The plan's label: {@code none}, {@code row}, {@code column}, {@code float}, {@code wide}, … */
        public String strategy() {
            return plan.label();
        }
    }

    /** The chosen plan for one GEMM (package-private for tests). */
    record Choice(GemmPlan plan, double work, double cost, long unpackedAt) {
        int bits() {
            return plan.bits();
        }

        String strategy() {
            return plan.label();
        }
    }

    /**
     * {@code out = dequant(quant(a)·quant(w)ᵀ)} through exact b-bit integer GEMMs.
     *
     * @param bits b in 2..16, or {@link #AUTO_BITS} to choose per GEMM
     * @param statBits the b at which heavy hitters are counted for the statistics
     */
    public static Result multiplyInto(FloatMatrix a, FloatMatrix w, QuantParams pa, QuantParams pw, int bits, int statBits,
                                      GemmBackend backend, FloatMatrix out) {
        return multiplyInto(GemmLayout.NT, a, w, pa, pw, bits, statBits, backend, out);
    }

    /** As the next method; errors name the operands {@code lhs} and {@code rhs}. */
    public static Result multiplyInto(GemmLayout layout, FloatMatrix a, FloatMatrix w, QuantParams pa, QuantParams pw, int bits,
                                      int statBits, GemmBackend backend, FloatMatrix out) {
        return multiplyInto(layout, a, w, pa, pw, bits, statBits, backend, out, "");
    }

    /**
     * As {@link #multiplyInto(FloatMatrix, FloatMatrix, QuantParams, QuantParams, int, int, GemmBackend, FloatMatrix)}
     * with the operands stored in {@code layout} (A k×m for TN; W k×n for NN and TN): the codes are written
     * in the NT layout while quantizing, so the result equals the NT call on the transposed copies.
     * {@code what} names the GEMM in error messages (e.g. a non-finite operand entry).
     */
    public static Result multiplyInto(GemmLayout layout, FloatMatrix a, FloatMatrix w, QuantParams pa, QuantParams pw, int bits,
                                      int statBits, GemmBackend backend, FloatMatrix out, String what) {
        String pre = what.isEmpty() ? "" : what + " ";
        int m = layout.m(a);
        int n = layout.n(w);
        int k = layout.k(a);
        if (k != layout.kOfB(w)) {
            throw new LowbitException("inner dimensions differ in a " + layout + " GEMM: lhs is " + a.shapeString()
                    + ", rhs is " + w.shapeString());
        }
        if (out.rows() != m || out.cols() != n) {
            throw new IllegalArgumentException("output is " + out.shapeString() + ", expected " + m + "x" + n);
        }
        if (out.sharesStorageWith(a) || out.sharesStorageWith(w)) {
            throw new IllegalArgumentException("output must not share storage with an input");
        }
        if (bits != AUTO_BITS) {
            Digits.checkBits(bits);
        }
        boolean ta = layout == GemmLayout.TN;
        boolean tw = layout != GemmLayout.NT;
        long t0 = System.nanoTime();
        long thr = Digits.base(Math.max(Digits.MIN_BITS, Math.min(31, statBits)));
        // the quantization shared over the backend's threads (the same codes for any parallelism)
        int par = backend.threads();
        RtnQuantizer.IntCodes qa = RtnQuantizer.quantizeInt(a, pa, pre + "lhs", ta, thr, par);
        RtnQuantizer.IntCodes qw = qa == null ? null : RtnQuantizer.quantizeInt(w, pw, pre + "rhs", tw, thr, par);
        long t1 = System.nanoTime();
        if (qa == null || qw == null) {
            int b = bits == AUTO_BITS ? Digits.MAX_BITS : bits;
            FloatMatrix na = ta ? a.transpose() : a;
            FloatMatrix nw = tw ? w.transpose() : w;
            double ratio = ImUnpackGemm.multiplyInto(na, nw, new ImUnpackSpec(pa, pw, b, UnpackStrategy.ROW), backend, out);
            return new Result(new GemmPlan.Fallback(new GemmPlan.Row(b)), ratio, 0, 0, t1 - t0, 0, System.nanoTime() - t1);
        }
        Choice c = multiplyCodes(qa, qw, bits, null, backend, out);
        long t2 = c.unpackedAt();
        long t3 = System.nanoTime();
        double base = (double) m * n * k;
        return new Result(c.plan(), base == 0 ? 1 : c.work() / base, qa.heavy(), qw.heavy(), t1 - t0, t2 - t1, t3 - t2);
    }

    /**
     * The pipeline after quantization, on codes already in the NT layout (A m×k, W n×k): for callers that
     * quantize an operand once and use it in several GEMMs (a training step reuses the forward operands'
     * codes in the backward GEMMs). Equal to {@link #multiplyInto} on the matrices these codes came from.
     */
    public static Result multiplyCodes(RtnQuantizer.IntCodes qa, RtnQuantizer.IntCodes qw, int bits, GemmBackend backend,
                                       FloatMatrix out) {
        if (qa.cols() != qw.cols() || out.rows() != qa.rows() || out.cols() != qw.rows()) {
            throw new IllegalArgumentException("codes " + qa.rows() + "x" + qa.cols() + " and " + qw.rows() + "x" + qw.cols()
                    + " do not make a product of shape " + out.shapeString());
        }
        if (bits != AUTO_BITS) {
            Digits.checkBits(bits);
        }
        long t1 = System.nanoTime();
        Choice c = multiplyCodes(qa, qw, bits, null, backend, out);
        long t3 = System.nanoTime();
        double base = (double) qa.rows() * qw.rows() * qa.cols();
        return new Result(c.plan(), base == 0 ? 1 : c.work() / base, qa.heavy(), qw.heavy(), 0, c.unpackedAt() - t1,
                t3 - c.unpackedAt());
    }

    /**
     * The pipeline after quantization on codes with <b>one scale per row</b> of each operand (NT layout: A m×k,
     * W n×k): {@code out[i,j] = (float) (C[i,j] / (qa.scales[i] · qw.scales[j]))} with C the exact int64 GEMM of
     * the codes, bit for bit, whatever b and unpacking are used.
     *
     * <p>With {@code bits == AUTO_BITS} and {@code AUTO}, the <b>float path</b> comes first: when
     * {@code Σ_c maxA_c·maxW_c < 2^24} over the columns c of a k-segment, every partial sum of that segment's dot products
     * is an integer below 2^24 in magnitude, so the backend's float32 GEMM of the codes (as floats) is exact in any
     * summation order; k is cut into at most {@link #MAX_FLOAT_SEGMENTS} such segments, their exact results summed
     * in float64 (exact below 2^53) and rescaled as above. Nothing is unpacked and no b-bit kernel is needed
     * ({@code Result.strategy() == "float"}, {@code bits() == 0}, ratio 1). When a single column reaches 2^24, or more
     * segments would be needed, the b-bit IM-Unpack path runs.
     *
     * @param bits b in 2..16, or {@link #AUTO_BITS} to choose per GEMM
     * @param strategy {@code AUTO}: the cheapest of none/row/column by the cost model; {@code ROW} or {@code COLUMN}:
     *     that unpacking whenever some code needs more than one digit ({@code BOTH} is not supported here: use
     *     {@link ImUnpackGemm})
     */
    public static Result multiplyRows(RtnQuantizer.RowIntCodes qa, RtnQuantizer.RowIntCodes qw, int bits, UnpackStrategy strategy,
                                      GemmBackend backend, FloatMatrix out) {
        return multiplyRows(qa, qw, null, bits, strategy, backend, out);
    }

    /**
     * As above, with {@code rhsFloats} = W's codes as float32 ({@link #toFloats}; null: converted when needed), for a
     * right operand used in many GEMMs (a weight): the float path then skips the conversion.
     */
    public static Result multiplyRows(RtnQuantizer.RowIntCodes qa, RtnQuantizer.RowIntCodes qw, float[] rhsFloats, int bits,
                                      UnpackStrategy strategy, GemmBackend backend, FloatMatrix out) {
        return multiplyRows(qa, Operand.of(qw), qw.scales(), qw.heavy(), rhsFloats, bits, strategy, backend, out);
    }

    /**
     * As above with W held as int8 ({@link PackedRowCodes}, a weight quantized once): where W is not unpacked and b ≤ 8,
     * the backend's byte kernel reads W's bytes ({@link GemmBackend#gemmInt(IntMatrix, ByteMatrix, int, IntEpilogue)});
     * a plan that unpacks W widens it for that call only. The same bits as the int32 form.
     */
    public static Result multiplyRows(RtnQuantizer.RowIntCodes qa, PackedRowCodes qw, float[] rhsFloats, int bits,
                                      UnpackStrategy strategy, GemmBackend backend, FloatMatrix out) {
        return multiplyRows(qa, Operand.of(qw), qw.scales(), qw.heavy(), rhsFloats, bits, strategy, backend, out);
    }

    private static Result multiplyRows(RtnQuantizer.RowIntCodes qa, Operand qw, double[] wScales, long wHeavy, float[] rhsFloats,
                                       int bits, UnpackStrategy strategy, GemmBackend backend, FloatMatrix out) {
        if (qa.cols() != qw.cols() || out.rows() != qa.rows() || out.cols() != qw.rows()) {
            throw new IllegalArgumentException("codes " + qa.rows() + "x" + qa.cols() + " and " + qw.rows() + "x" + qw.cols()
                    + " do not make a product of shape " + out.shapeString());
        }
        if (bits != AUTO_BITS) {
            Digits.checkBits(bits);
        }
        UnpackStrategy only = switch (strategy) {
            case AUTO -> null;
            case ROW, COLUMN -> strategy;
            case BOTH -> throw new IllegalArgumentException("the BOTH unpacking is not supported by FastImUnpack; use ImUnpackGemm");
        };
        long t1 = System.nanoTime();
        Choice c = bits == AUTO_BITS && only == null ? floatPath(Operand.of(qa), qa.scales(), qw, wScales, rhsFloats,
                backend, out, true) : null;
        if (c == null) {
            c = run(Operand.of(qa), qa.scales(), qw, wScales, bits, only, null, backend, out);
        }
        long t3 = System.nanoTime();
        double base = (double) qa.rows() * qw.rows() * qa.cols();
        return new Result(c.plan(), base == 0 ? 1 : c.work() / base, qa.heavy(), wHeavy, 0, c.unpackedAt() - t1,
                t3 - c.unpackedAt());
    }

    /** Partial sums of integer products stay exact in float32 below this magnitude. */
    static final double FLOAT_EXACT = 0x1p24;
    /** Up to this many multiply-adds the float path runs one single-threaded VectorMath product (per-head attention). */
    static final double SMALL_GEMM = 1 << 21;
    /** Most k-segments the float path splits a GEMM into. */
    static final int MAX_FLOAT_SEGMENTS = 4;

    /**
     * Cuts of k into segments whose {@code Σ_c maxA_c·maxW_c} stays below 2^24, or null when a single column reaches
     * it or more than {@code maxSegments} segments would be needed.
     */
    static int[] floatCuts(int k, int[] colA, int[] colW, int maxSegments) {
        int[] cuts = new int[maxSegments + 1];
        int segs = 0;
        double sum = 0;
        for (int c = 0; c < k; c++) {
            double v = (double) colA[c] * colW[c];
            if (v >= FLOAT_EXACT) {
                return null;
            }
            if (sum + v >= FLOAT_EXACT) {
                if (++segs == maxSegments) {
                    return null;
                }
                cuts[segs] = c;
                sum = 0;
            }
            sum += v;
        }
        cuts[++segs] = k;
        return Arrays.copyOf(cuts, segs + 1);
    }

    /**
     * The float path of {@link #multiplyRows} (see there), or null when it does not apply; {@code digits}: fall back to
     * {@link #floatDigits} when the codes are too large for one float GEMM per segment (else null).
     */
    private static Choice floatPath(Operand qa, double[] sa, Operand qw, double[] sw, float[] rhsFloats, GemmBackend backend,
                                    FloatMatrix out, boolean digits) {
        int m = qa.rows();
        int n = qw.rows();
        int k = qa.cols();
        if (m == 0 || n == 0 || k == 0) {
            return null;
        }
        int[] cuts = floatCuts(k, qa.colMax(), qw.colMax(), MAX_FLOAT_SEGMENTS);
        if (cuts == null) {
            return digits ? floatDigits(qa, sa, qw, sw, backend, out) : null;
        }
        int segs = cuts.length - 1;
        if (segs == 1 && (double) m * n * k <= SMALL_GEMM) {
            // a per-head attention product: one single-threaded fma-chain product (exact for these codes, like any order)
            float[] fa = toFloats(qa.codes());
            float[] wt = new float[k * n]; // W's codes transposed: k × n
            int[] wc = qw.codes();
            for (int j = 0; j < n; j++) {
                for (int c = 0; c < k; c++) {
                    wt[c * n + j] = wc[j * k + c];
                }
            }
            long t2 = System.nanoTime();
            float[] prod = new float[m * n];
            Kernels.VM.matmul(fa, 0, k, wt, 0, n, prod, 0, n, m, n, k);
            rescale(prod, null, sa, sw, out);
            return new Choice(new GemmPlan.FloatLanes(1), (double) m * n * k, 0, t2);
        }
        if (integerBeatsFloat(qa, qw, backend)) {
            return null;
        }
        int par = backend.threads();
        FloatMatrix fa = FloatMatrix.wrap(qa.floats(par), m, k);
        FloatMatrix fw = FloatMatrix.wrap(rhsFloats != null ? rhsFloats : qw.floats(par), n, k);
        long t2 = System.nanoTime();
        float[] part = segs == 1 ? null : new float[m * n];
        double[] sum = segs == 1 ? null : new double[m * n];
        for (int s = 0; s < segs; s++) {
            int c0 = cuts[s];
            int w = cuts[s + 1] - c0;
            if (segs == 1) {
                backend.gemmF32(GemmLayout.NT, fa, fw, out);
            } else {
                FloatMatrix p = FloatMatrix.wrap(part, m, n);
                backend.gemmF32(GemmLayout.NT, fa.view(0, c0, m, w), fw.view(0, c0, n, w), p);
                for (int i = 0; i < part.length; i++) {
                    sum[i] += part[i];
                }
            }
        }
        rescale(null, sum, sa, sw, out, par);
        return new Choice(new GemmPlan.FloatLanes(segs), (double) m * n * k, 0, t2);
    }

    /**
     * Per multiply-add, an integer plan must cost less than this fraction of the float32 GEMM to replace the float path:
     * float lanes skip the integer path's unpacking and narrowing, which the per-MAC costs do not count. No plan of the
     * pure-Java backend qualifies (its cheapest kernel costs 0.65), so there the float path always runs where it applies;
     * a backend with integer dot-product instructions (oneDNN on VNNI/AMX: ≈ 0.3) takes the integer plan.
     */
    static final double FLOAT_MARGIN = 0.5;

    /** True when the cheapest b-bit plan is estimated below {@link #FLOAT_MARGIN} of the float path's cost. */
    private static boolean integerBeatsFloat(Operand qa, Operand qw, GemmBackend backend) {
        double mnk = (double) qa.rows() * qw.rows() * qa.cols();
        Choice best = choose(qa.rows(), qw.rows(), qa.cols(), qa.maxAbs(), qw.maxAbs(), qa.rowMax(), qa.colMax(), qw.rowMax(),
                qw.colMax(), AUTO_BITS, null, backend);
        return best.cost() < FLOAT_MARGIN * mnk;
    }

    /** Digit width of {@link #floatDigits}: |digit| ≤ 127, so a product stays below 2^14 and 1040 of them below 2^24. */
    static final int FLOAT_DIGIT_BITS = 8;

    /**
     * The float path for larger codes (e.g. 255 levels): COLUMN unpacking at b = 8, then one exact float32 GEMM per
     * exponent group (and per k-segment of at most 2^24 / 127² columns), {@code C = Σ_g 2^(7·e_g)·C_g} summed in float64 —
     * exact when {@code Σ_c maxA_c·maxW_c < 2^53}, which bounds every partial sum (sign-magnitude digits); used only when
     * its estimated cost is below the b-bit path's; else null.
     */
    private static Choice floatDigits(Operand qa, double[] sa, Operand qw, double[] sw, GemmBackend backend, FloatMatrix out) {
        int m = qa.rows();
        int n = qw.rows();
        int k = qa.cols();
        double bound = 0;
        for (int c = 0; c < k; c++) {
            bound += (double) qa.colMax()[c] * qw.colMax()[c];
        }
        if (bound >= 0x1p53) {
            return null;
        }
        // only when cheaper than the b-bit path by the cost model (FP32 GEMM = 1 per multiply-add, plus the unpacking
        // and one float64 accumulation pass per exponent group)
        double kkEst = 0;
        int maxE = 0;
        for (int c = 0; c < k; c++) {
            int da = Digits.count(qa.colMax()[c], FLOAT_DIGIT_BITS);
            int dw = Digits.count(qw.colMax()[c], FLOAT_DIGIT_BITS);
            kkEst += (double) da * dw;
            maxE = Math.max(maxE, da + dw - 2);
        }
        double cost = (double) m * n * kkEst + (m + n) * kkEst * UNPACK_COST + (maxE + 1.0) * m * n * 4;
        Choice digits = choose(m, n, k, qa.maxAbs(), qw.maxAbs(), qa.rowMax(), qa.colMax(), qw.rowMax(), qw.colMax(), AUTO_BITS, null,
                backend);
        Choice wideChoice = wide(m, n, k, qa.colMax(), qw.colMax(), backend);
        if (cost >= digits.cost() || (wideChoice != null && cost >= wideChoice.cost())) {
            return null;
        }
        UnpackedInt u = column(qa.codes(), qw.codes(), m, n, k, qa.colMax(), qw.colMax(), FLOAT_DIGIT_BITS);
        int kk = u.plan.unpackedK();
        FloatMatrix fa = FloatMatrix.wrap(toFloats(u.lhs.data()), m, kk);
        FloatMatrix fw = FloatMatrix.wrap(toFloats(u.rhs.data()), n, kk);
        long t2 = System.nanoTime();
        int maxDigit = (int) Digits.base(FLOAT_DIGIT_BITS) - 1;
        int seg = (int) ((FLOAT_EXACT - 1) / ((double) maxDigit * maxDigit));
        float[] part = new float[m * n];
        double[] sum = new double[m * n];
        int[] gs = u.plan.colGroupStart();
        for (int g = 0; g + 1 < gs.length; g++) {
            double scale = Math.scalb(1.0, (FLOAT_DIGIT_BITS - 1) * u.plan.colExp()[gs[g]]);
            for (int c0 = gs[g]; c0 < gs[g + 1]; c0 += seg) {
                int w = Math.min(seg, gs[g + 1] - c0);
                backend.gemmF32(GemmLayout.NT, fa.view(0, c0, m, w), fw.view(0, c0, n, w), FloatMatrix.wrap(part, m, n));
                for (int i = 0; i < part.length; i++) {
                    sum[i] += part[i] * scale;
                }
            }
        }
        rescale(null, sum, sa, sw, out);
        return new Choice(new GemmPlan.FloatDigits(FLOAT_DIGIT_BITS), u.plan.work(), 0, t2);
    }

    /** {@code out[i,j] = (float) (C[i,j] / (sa[i]·sw[j]))} with C from {@code prod} (compact), {@code sum} (compact), or out itself. */
    private static void rescale(float[] prod, double[] sum, double[] sa, double[] sw, FloatMatrix out) {
        rescale(prod, sum, sa, sw, out, 1);
    }

    /** As above, the rows shared out over {@code parallelism} tasks. */
    private static void rescale(float[] prod, double[] sum, double[] sa, double[] sw, FloatMatrix out, int parallelism) {
        int m = out.rows();
        int n = out.cols();
        Parallel.forRanges(Parallel.parts(parallelism, m, n), m, (t, i0, i1) -> rescaleRows(prod, sum, sa, sw, out, i0, i1));
    }

    private static void rescaleRows(float[] prod, double[] sum, double[] sa, double[] sw, FloatMatrix out, int i0, int i1) {
        int n = out.cols();
        float[] o = out.data();
        VectorMath vm = Kernels.VM;
        for (int i = i0; i < i1; i++) {
            double si = sa[i];
            int at = out.index(i, 0);
            if (sum == null) {
                vm.rescaleRow(prod != null ? prod : o, prod != null ? i * n : at, si, sw, o, at, n);
            } else {
                for (int j = 0; j < n; j++) {
                    o[at + j] = (float) (sum[i * n + j] / (si * sw[j]));
                }
            }
        }
    }

    /** The element-wise kernels: the preferred VectorMath (SIMD when on the class path). */
    private static final class Kernels {
        static final VectorMath VM = VectorMaths.preferred();
    }

    /** The codes as float32 (exact for the codes the float path uses: their column-max products stay below 2^24). */
    public static float[] toFloats(int[] codes) {
        return toFloats(codes, 1);
    }

    /** As {@link #toFloats(int[])}, shared out over {@code parallelism} tasks. */
    static float[] toFloats(int[] codes, int parallelism) {
        float[] f = new float[codes.length];
        Parallel.forRanges(Parallel.parts(parallelism, codes.length, 1), codes.length, (t, from, to) -> {
            for (int i = from; i < to; i++) {
                f[i] = codes[i];
            }
        });
        return f;
    }

    /**
     * The unpacked work m'·n'·k' {@link #multiplyRows} would do at b = {@code bits} with {@code strategy} (AUTO: the
     * cheapest of none/row/column), from the maxima alone (nothing is unpacked): for statistics at a stated b.
     */
    public static double unpackedWork(RtnQuantizer.RowIntCodes qa, RtnQuantizer.RowIntCodes qw, int bits, UnpackStrategy strategy,
                                      GemmBackend backend) {
        Digits.checkBits(bits);
        UnpackStrategy only = strategy == UnpackStrategy.ROW || strategy == UnpackStrategy.COLUMN ? strategy : null;
        return choose(qa.rows(), qw.rows(), qa.cols(), qa.maxAbs(), qw.maxAbs(), qa.rowMax(), qa.colMax(), qw.rowMax(), qw.colMax(),
                bits, only, backend).work();
    }

    /** As above with W held packed ({@link PackedRowCodes}: only its maxima are read). */
    public static double unpackedWork(RtnQuantizer.RowIntCodes qa, PackedRowCodes qw, int bits, UnpackStrategy strategy,
                                      GemmBackend backend) {
        Digits.checkBits(bits);
        UnpackStrategy only = strategy == UnpackStrategy.ROW || strategy == UnpackStrategy.COLUMN ? strategy : null;
        return choose(qa.rows(), qw.rows(), qa.cols(), qa.maxAbs(), qw.maxAbs(), qa.rowMax(), qa.colMax(), qw.rowMax(), qw.colMax(),
                bits, only, backend).work();
    }

    /** An operand's int32 codes (rows × k, compact) with their maxima: what choosing and unpacking need. */
    private record Operand(int[] ints, PackedRowCodes stored, int rows, int cols, int maxAbs, int[] rowMax, int[] colMax) {
        static Operand of(RtnQuantizer.IntCodes q) {
            return new Operand(q.codes(), null, q.rows(), q.cols(), q.maxAbs(), q.rowMax(), q.colMax());
        }

        static Operand of(RtnQuantizer.RowIntCodes q) {
            return new Operand(q.codes(), null, q.rows(), q.cols(), q.maxAbs(), q.rowMax(), q.colMax());
        }

        static Operand of(PackedRowCodes q) {
            return new Operand(null, q, q.rows(), q.cols(), q.maxAbs(), q.rowMax(), q.colMax());
        }

        /** The int32 codes: the operand's own, or a transient widening of its packed storage. */
        int[] codes() {
            return ints != null ? ints : stored.toIntArray();
        }

        /** The int8 codes the byte kernels read, or null (int32 codes, or packed as int16). */
        ByteMatrix packed() {
            return stored == null ? null : stored.codes();
        }

        /** The codes as float32 (exact for codes below 2^24). */
        float[] floats(int parallelism) {
            return ints != null ? toFloats(ints, parallelism) : stored.toFloatArray();
        }
    }

    /**
     * The integer part of the pipeline on given per-tensor codes: choose (b, strategy) — or take {@code strategy}
     * ({@code none}, {@code row}, {@code column}) when not null — unpack, and run the fused fold + rescale
     * into {@code out}.
     */
    static Choice multiplyCodes(RtnQuantizer.IntCodes qa, RtnQuantizer.IntCodes qw, int bits, GemmPlan strategy, GemmBackend backend,
                                FloatMatrix out) {
        double[] sa = new double[qa.rows()];
        Arrays.fill(sa, qa.scale());
        double[] sw = new double[qw.rows()];
        Arrays.fill(sw, qw.scale());
        if (bits == AUTO_BITS && strategy == null) {
            // the exact float path of multiplyRows (same rescale formula, so the same bits as the integer kernels)
            Choice c = floatPath(Operand.of(qa), sa, Operand.of(qw), sw, null, backend, out, false);
            if (c != null) {
                return c;
            }
        }
        return run(Operand.of(qa), sa, Operand.of(qw), sw, bits, null, strategy, backend, out);
    }

    /**
     * Chooses (b, strategy) among {@code only} (null: none/row/column; else none or that one), or takes {@code force}
     * when not null; unpacks; and runs the fused fold + rescale with per-row scales {@code sa}, {@code sw}.
     */
    private static Choice run(Operand qa, double[] sa, Operand qw, double[] sw, int bits, UnpackStrategy only, GemmPlan force,
                              GemmBackend backend, FloatMatrix out) {
        int m = qa.rows();
        int n = qw.rows();
        int k = qa.cols();
        Choice c = choose(m, n, k, qa.maxAbs(), qw.maxAbs(), qa.rowMax(), qa.colMax(), qw.rowMax(), qw.colMax(), bits, only, backend);
        if (force != null) {
            c = new Choice(force, c.work(), c.cost(), 0);
        } else if (bits == AUTO_BITS && only == null) {
            Choice w = wide(m, n, k, qa.colMax(), qw.colMax(), backend);
            if (w != null && w.cost() < c.cost()) {
                long t2 = System.nanoTime();
                if (m > 0 && n > 0) {
                    backend.gemmInt(IntMatrix.wrap(qa.codes(), m, k), IntMatrix.wrap(qw.codes(), n, k), GemmBackend.WIDE_BITS,
                            new IntEpilogue.Rescale(null, sa, sw, out));
                }
                return new Choice(w.plan(), w.work(), w.cost(), t2);
            }
        }
        UnpackedInt u = unpack(c, qa, qw, backend.threads());
        long t2 = System.nanoTime();
        if (m > 0 && n > 0) {
            if (u.plan.unpackedK() == 0) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(out.data(), out.index(i, 0), out.index(i, 0) + n, 0f);
                }
            } else {
                FoldMap fold = ImUnpackGemm.foldMap(u.plan).withSumBound(sumBound(k, qa.colMax(), qw.colMax()));
                IntEpilogue.Rescale e = new IntEpilogue.Rescale(fold, sa, sw, out);
                if (u.rhsPacked != null) {
                    backend.gemmInt(u.lhs, u.rhsPacked, c.bits(), e);
                } else {
                    backend.gemmInt(u.lhs, u.rhs, c.bits(), e);
                }
            }
        }
        return new Choice(c.plan(), u.plan.work(), c.cost(), t2);
    }

    /** {@code Σ_c maxA_c·maxW_c}: bounds |C| and every partial sum of any exact evaluation of it. */
    static double sumBound(int k, int[] colA, int[] colW) {
        double bound = 0;
        for (int c = 0; c < k; c++) {
            bound += (double) colA[c] * colW[c];
        }
        return bound;
    }

    /** Float64 keeps integers exact below this magnitude. */
    static final double WIDE_EXACT = 0x1p53;

    /**
     * The <b>wide</b> plan: the codes as they are (nothing unpacked, bits 0) through the backend's exact int32 GEMM in
     * float64 lanes ({@link GemmBackend#gemmInt} at {@link GemmBackend#WIDE_BITS}), when {@code Σ_c maxA_c·maxW_c < 2^53} and the backend has a
     * fast kernel for it; else null. For 15-bit gradient codes against 4-bit-like operands it replaces unpacking to
     * b ≤ 16 (ratio ≈ 1.5 on training gradients) by one GEMM of the original size.
     */
    static Choice wide(int m, int n, int k, int[] colA, int[] colW, GemmBackend backend) {
        double perMac = backend.intCostPerMac(GemmBackend.WIDE_BITS);
        if (!(perMac < Double.POSITIVE_INFINITY)) {
            return null;
        }
        double bound = 0;
        for (int c = 0; c < k; c++) {
            bound += (double) colA[c] * colW[c];
        }
        if (bound >= WIDE_EXACT) {
            return null;
        }
        double work = (double) m * n * k;
        return new Choice(new GemmPlan.Wide(), work, work * perMac, 0);
    }

    /** The cheapest (b, strategy) by the cost model of the class comment; {@code bits} fixed unless AUTO_BITS. */
    static Choice choose(int m, int n, int k, int maxA, int maxW, int[] rowA, int[] colA, int[] rowW, int[] colW, int bits,
                         GemmBackend backend) {
        return choose(m, n, k, maxA, maxW, rowA, colA, rowW, colW, bits, null, backend);
    }

    /** As above, among none and {@code only} ({@code row} or {@code column}; null: both). */
    static Choice choose(int m, int n, int k, int maxA, int maxW, int[] rowA, int[] colA, int[] rowW, int[] colW, int bits,
                         UnpackStrategy only, GemmBackend backend) {
        int lo = bits == AUTO_BITS ? Digits.MIN_BITS : bits;
        int hi = bits == AUTO_BITS ? Digits.MAX_BITS : bits;
        Choice best = null;
        for (int b = lo; b <= hi; b++) {
            long s = Digits.base(b);
            double perMac = backend.intCostPerMac(b);
            Choice ch;
            if (maxA < s && maxW < s) {
                double work = (double) m * n * k;
                ch = new Choice(new GemmPlan.None(b), work, work * perMac, 0);
            } else {
                Choice col = null;
                Choice row = null;
                if (only != UnpackStrategy.ROW) {
                    double kk = 0;
                    for (int c = 0; c < k; c++) {
                        kk += (double) Digits.count(colA[c], b) * Digits.count(colW[c], b);
                    }
                    double colWork = (double) m * n * kk;
                    col = new Choice(new GemmPlan.Column(b), colWork, colWork * perMac + (double) (m + n) * kk * UNPACK_COST, 0);
                }
                if (only != UnpackStrategy.COLUMN) {
                    double ma = 0;
                    for (int v : rowA) {
                        ma += Digits.count(v, b);
                    }
                    double na = 0;
                    for (int v : rowW) {
                        na += Digits.count(v, b);
                    }
                    double rowWork = ma * na * k;
                    row = new Choice(new GemmPlan.Row(b), rowWork, rowWork * perMac + (ma + na) * k * UNPACK_COST, 0);
                }
                ch = col == null || (row != null && row.cost() <= col.cost()) ? row : col;
            }
            if (best == null || ch.cost() < best.cost()) {
                best = ch;
            }
        }
        return best;
    }

    /** Unpacked operands; W either as int32 ({@code rhs}) or, not unpacked, as its packed bytes ({@code rhsPacked}). */
    private record UnpackedInt(IntMatrix lhs, IntMatrix rhs, ByteMatrix rhsPacked, UnpackPlan plan) {
        UnpackedInt(IntMatrix lhs, IntMatrix rhs, UnpackPlan plan) {
            this(lhs, rhs, null, plan);
        }
    }

    private static UnpackedInt unpack(Choice c, Operand qa, Operand qw, int parallelism) {
        int[] rowA = qa.rowMax();
        int[] colA = qa.colMax();
        int[] rowW = qw.rowMax();
        int[] colW = qw.colMax();
        int m = qa.rows();
        int n = qw.rows();
        int k = qa.cols();
        int b = c.bits();
        return switch (c.plan()) {
            case GemmPlan.None none -> new UnpackedInt(IntMatrix.wrap(qa.codes(), m, k),
                    qw.packed() != null && b <= 8 ? null : IntMatrix.wrap(qw.codes(), n, k), qw.packed() != null && b <= 8 ? qw.packed() : null,
                    new UnpackPlan(b, m, n, k, identity(m), new int[m], identity(n), new int[n], identity(k), new int[k],
                            new int[] {0, k}, UnpackStrategy.ROW));
            case GemmPlan.Row row -> {
                int[][] sa = new int[2][];
                int[][] sw = new int[2][];
                IntMatrix la = rowDigits(qa.codes(), m, k, rowA, b, sa);
                IntMatrix lw = rowDigits(qw.codes(), n, k, rowW, b, sw);
                yield new UnpackedInt(la, lw, new UnpackPlan(b, m, n, k, sa[0], sa[1], sw[0], sw[1], identity(k), new int[k],
                        new int[] {0, k}, UnpackStrategy.ROW));
            }
            case GemmPlan.Column column -> column(qa.codes(), qw.codes(), m, n, k, colA, colW, b, parallelism);
            default -> throw new IllegalStateException("not an unpacking plan: " + c.plan());
        };
    }


    static int[] identity(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /** Digit j of v at bit shift {@code shift}: sign(v)·((|v| >> shift) & mask) (v is never Integer.MIN_VALUE). */
    static int digit(int v, int shift, int mask) {
        int sign = v >> 31;
        int d = (((v ^ sign) - sign) >>> shift) & mask;
        return (d ^ sign) - sign;
    }

    /**
     * Row unpacking as {@code Unpacker.row}: digit 0 of every row first (rows stay in place), then digit 1
     * of the rows that need it, and so on. {@code srcExp} receives the source rows and exponents.
     */
    static IntMatrix rowDigits(int[] x, int rows, int k, int[] rowMax, int bits, int[][] srcExp) {
        int[] d = new int[rows];
        int total = 0;
        int maxD = 1;
        for (int r = 0; r < rows; r++) {
            d[r] = Digits.count(rowMax[r], bits);
            total += d[r];
            maxD = Math.max(maxD, d[r]);
        }
        int[] low = new int[total * k];
        int[] source = new int[total];
        int[] exp = new int[total];
        int mask = (int) Digits.base(bits) - 1;
        int out = 0;
        for (int j = 0; j < maxD; j++) {
            int shift = (bits - 1) * j;
            for (int r = 0; r < rows; r++) {
                if (d[r] > j) {
                    source[out] = r;
                    exp[out] = j;
                    int at = r * k;
                    int o = out * k;
                    if (d[r] == 1) {
                        System.arraycopy(x, at, low, o, k);
                    } else {
                        for (int c = 0; c < k; c++) {
                            low[o + c] = digit(x[at + c], shift, mask);
                        }
                    }
                    out++;
                }
            }
        }
        srcExp[0] = source;
        srcExp[1] = exp;
        return IntMatrix.wrap(low, total, k);
    }

    /** Column unpacking as {@code Unpacker.column}: one column per digit pair (c, p, q), sorted by p + q, then c, p. */
    static UnpackedInt column(int[] a, int[] w, int m, int n, int k, int[] colA, int[] colW, int bits) {
        return column(a, w, m, n, k, colA, colW, bits, 1);
    }

    /** As above, the digit rows written by {@code parallelism} tasks (the same digits for any parallelism). */
    static UnpackedInt column(int[] a, int[] w, int m, int n, int k, int[] colA, int[] colW, int bits, int parallelism) {
        int[] da = new int[k];
        int[] dw = new int[k];
        int kk = 0;
        int maxE = 0;
        for (int c = 0; c < k; c++) {
            da[c] = Digits.count(colA[c], bits);
            dw[c] = Digits.count(colW[c], bits);
            kk += da[c] * dw[c];
            maxE = Math.max(maxE, da[c] + dw[c] - 2);
        }
        int[] src = new int[kk];
        int[] exp = new int[kk];
        int[] ps = new int[kk];
        int[] qs = new int[kk];
        int col = 0;
        for (int e = 0; e <= maxE; e++) {
            for (int c = 0; c < k; c++) {
                for (int p = 0; p < da[c]; p++) {
                    int q = e - p;
                    if (q >= 0 && q < dw[c]) {
                        src[col] = c;
                        exp[col] = e;
                        ps[col] = p * (bits - 1);
                        qs[col] = q * (bits - 1);
                        col++;
                    }
                }
            }
        }
        IntMatrix la = digitColumns(a, m, k, src, ps, bits, parallelism);
        IntMatrix lw = digitColumns(w, n, k, src, qs, bits, parallelism);
        int[] starts = groupStarts(exp);
        UnpackPlan plan = new UnpackPlan(bits, m, n, k, identity(m), new int[m], identity(n), new int[n], src, exp, starts,
                UnpackStrategy.COLUMN);
        return new UnpackedInt(la, lw, plan);
    }

    private static IntMatrix digitColumns(int[] x, int rows, int k, int[] src, int[] shifts, int bits, int parallelism) {
        int kk = src.length;
        int[] out = new int[rows * kk];
        int mask = (int) Digits.base(bits) - 1;
        Parallel.forRanges(Parallel.parts(parallelism, rows, kk), rows, (t, r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int at = r * k;
                int o = r * kk;
                for (int col = 0; col < kk; col++) {
                    out[o + col] = digit(x[at + src[col]], shifts[col], mask);
                }
            }
        });
        return IntMatrix.wrap(out, rows, kk);
    }

    /** Start of every run of equal values in a sorted array, plus its length (as {@code Unpacker.groupStarts}). */
    static int[] groupStarts(int[] sorted) {
        if (sorted.length == 0) {
            return new int[] {0, 0};
        }
        int[] starts = new int[sorted.length + 1];
        int g = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                starts[g++] = i;
            }
        }
        starts[g++] = sorted.length;
        return Arrays.copyOf(starts, g);
    }
}
