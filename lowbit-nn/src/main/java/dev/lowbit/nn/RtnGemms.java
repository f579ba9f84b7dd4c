package dev.lowbit.nn;

import dev.lowbit.Flags;
import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.gemm.FastImUnpack;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmPlan;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.quant.PackedRowCodes;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.UnpackStrategy;
import dev.lowbit.unpack.Unpacked;
import dev.lowbit.unpack.Unpacker;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * The RTN precisions {@code imunpack} and {@code int8}: every GEMM {@code a·bᵀ} is quantized with RTN (weights once,
 * per output channel by default; activations per call), the integer product of the codes is computed exactly with
 * b-bit operands through IM-Unpack, and rescaled: {@code out[i][j] = (float) ((Σ_k qa[i][k]·qb[j][k]) / (sa_i · sb_j))}.
 *
 * <p>Scales vary only along rows (never along k). With {@link Precision.Scope#ROW} each row of each operand has
 * its own scale: per token for linear inputs, Q, K and P (per query), per channel of V (the rows of V_hᵀ); with
 * {@link Precision.Scope#SEQUENCE} one scale per sequence (linear inputs) or per (sequence, head) operand.
 * P (the left operand of P·V) uses {@link Precision#probabilities()}.
 *
 * <p><b>Two paths, the same bits.</b> The fast path quantizes straight to int32 codes with their row/column maxima
 * ({@link RtnQuantizer#quantizeIntRows}; weights once, at construction) and runs {@link FastImUnpack#multiplyRows}:
 * b (when {@link Precision#autoBits()}) and the unpacking (none, row or column; or the forced ROW/COLUMN) chosen per
 * GEMM by estimated cost, one fused integer GEMM + fold + rescale. The general path ({@link RtnQuantizer#quantize},
 * {@link Unpacker#unpack}, {@link ImUnpackGemm#fold}, scalar rescale) remains for what the fast one cannot express:
 * the greedy {@code BOTH} strategy, k-segment (GROUP) or COLUMN granularity, and codes beyond 2^30 (per GEMM). Both
 * give the same floats: the exact integer product over the same scales.
 */
final class RtnGemms implements PrecisionGemms {
    private final Precision p;
    private final BertWeights w;
    private final GemmBackend backend;
    private final SiteStatsTable stats;
    private final boolean verifyExact;
    private final AtomicLong verified;
    /** Whether the fast path applies to this precision at all. */
    private final boolean fast;
    /** b of the heavy-hitter statistics, and of the general path when b is auto. */
    private final int statBits;
    private final long heavyThreshold;
    private final int threads;
    /**
     * The weights' int32 codes for the fast path (null where a weight's codes do not fit, where they are held packed, or when
     * !fast).
     */
    private final RtnQuantizer.RowIntCodes[][] intWeights;
    /**
     * The weights' codes as int8 where every |code| ≤ 127 (the storage the byte kernels read), else as int16 where they fit
     * (then intWeights is null).
     */
    private final PackedRowCodes[][] packedWeights;
    /** The weights' codes as float32 for FastImUnpack's float path (null where intWeights is). */
    private final float[][][] floatWeights;
    /** The weights' codes for the general path, made when first needed. */
    private final QuantizedMatrix[][] weights;

    RtnGemms(BertWeights w, Precision p, GemmBackend backend, SiteStatsTable stats, boolean verifyExact, AtomicLong verified) {
        this(w, p, backend, stats, verifyExact, verified, 1);
    }

    /** {@code threads}: how many tasks quantize the linear inputs (the attention operands are quantized per head, in parallel already). */
    RtnGemms(BertWeights w, Precision p, GemmBackend backend, SiteStatsTable stats, boolean verifyExact, AtomicLong verified,
             int threads) {
        this.threads = Math.max(1, threads);
        this.p = p;
        this.w = w;
        this.backend = backend;
        this.stats = stats;
        this.verifyExact = verifyExact;
        this.verified = verified;
        this.statBits = p.statBits();
        this.heavyThreshold = Digits.base(statBits);
        Granularity.Kind wg = p.weights().granularity().kind();
        this.fast = !Flags.rtnGeneral() && p.strategy() != UnpackStrategy.BOTH && (wg == Granularity.Kind.ROW || wg == Granularity.Kind.TENSOR)
                && p.activations().granularity().kind() != Granularity.Kind.GROUP
                && p.probabilities().granularity().kind() != Granularity.Kind.GROUP;
        int layers = w.config().layers();
        this.intWeights = new RtnQuantizer.RowIntCodes[layers][GemmRole.LINEAR.size()];
        this.packedWeights = new PackedRowCodes[layers][GemmRole.LINEAR.size()];
        this.weights = new QuantizedMatrix[layers][GemmRole.LINEAR.size()];
        this.floatWeights = new float[layers][GemmRole.LINEAR.size()][];
        for (int l = 0; l < layers; l++) {
            for (GemmRole r : GemmRole.LINEAR) {
                if (p.quantizes(r)) {
                    if (fast) {
                        FloatMatrix wt = w.layers().get(l).linear(r).weight();
                        int[] blocks = wg == Granularity.Kind.ROW ? null : new int[] {0, wt.rows()};
                        RtnQuantizer.RowIntCodes c = RtnQuantizer.quantizeIntRows(wt, p.weights(), blocks, heavyThreshold,
                                weightName(l, r));
                        PackedRowCodes packed = c == null ? null : PackedRowCodes.of(c);
                        if (packed != null) {
                            packedWeights[l][r.ordinal()] = packed; // one or two bytes per code; the int32 form is dropped
                        } else {
                            intWeights[l][r.ordinal()] = c;
                        }
                    }
                    if (!hasFastWeight(l, r)) {
                        generalWeight(l, r);
                    }
                    // the float32 copy of the weight's codes (floatWeight) is made on the first GEMM that takes the
                    // float path, so a backend on which integers always win (oneDNN) never holds it
                }
            }
        }
    }

    /** Whether the fast path holds this weight's codes (int32 or packed). */
    private boolean hasFastWeight(int l, GemmRole r) {
        return intWeights[l][r.ordinal()] != null || packedWeights[l][r.ordinal()] != null;
    }

    private static String weightName(int l, GemmRole r) {
        return "layer " + l + " " + r.label() + " weight";
    }

    /** The weight's codes for the general path (computed once). */
    private QuantizedMatrix generalWeight(int l, GemmRole r) {
        synchronized (weights) {
            QuantizedMatrix q = weights[l][r.ordinal()];
            if (q == null) {
                q = RtnQuantizer.quantize(w.layers().get(l).linear(r).weight(), p.weights(), weightName(l, r));
                weights[l][r.ordinal()] = q;
            }
            return q;
        }
    }

    /** b of the general path: the precision's, or {@link #statBits} when it is auto. */
    private int generalBits() {
        return p.autoBits() ? statBits : p.bits();
    }

    /** The general path's strategy: AUTO (the fast path's default) runs COLUMN, as before the fast path existed. */
    private UnpackStrategy generalStrategy() {
        return p.strategy() == UnpackStrategy.AUTO ? UnpackStrategy.COLUMN : p.strategy();
    }

    /**
     * Codes with their scales: one per row and k-segment of {@code group} columns ({@code group} = k: one per row);
     * {@code scales[r·segments + s]}.
     */
    private record Codes(LongMatrix codes, double[] scales, int group) {
        int segments() {
            int k = codes.cols();
            return k == 0 ? 1 : (k + group - 1) / group;
        }

        static Codes of(QuantizedMatrix q) {
            int k = q.cols();
            Granularity g = q.granularity();
            int group = g.kind() == Granularity.Kind.GROUP ? Math.min(g.groupSize(), Math.max(k, 1)) : Math.max(k, 1);
            int segs = k == 0 ? 1 : (k + group - 1) / group;
            double[] sc = new double[q.rows() * segs];
            for (int r = 0; r < q.rows(); r++) {
                for (int s = 0; s < segs; s++) {
                    sc[r * segs + s] = q.scale(r, Math.min(s * group, Math.max(k - 1, 0)));
                }
            }
            return new Codes(q.codes(), sc, group);
        }
    }

    /**
     * Quantizes {@code x} with scales per row (or per row and k-segment when {@code q} has GROUP granularity), or
     * one per row block ({@code blocks}) in SEQUENCE scope.
     */
    private Codes quantizeRows(GemmRole role, FloatMatrix x, QuantParams q, int[] blocks, String what) {
        int m = x.rows();
        int k = x.cols();
        if (p.scope().perRow(role)) {
            Granularity g = q.granularity().kind() == Granularity.Kind.GROUP ? q.granularity() : Granularity.ROW;
            return Codes.of(RtnQuantizer.quantize(x, q.withGranularity(g), what));
        }
        double[] scales = new double[m];
        LongMatrix codes = LongMatrix.zeros(m, k);
        for (int blk = 0; blk + 1 < blocks.length; blk++) {
            int r0 = blocks[blk];
            int rows = blocks[blk + 1] - r0;
            if (rows == 0) {
                continue;
            }
            QuantizedMatrix qm = RtnQuantizer.quantize(x.view(r0, 0, rows, k), q.withGranularity(Granularity.TENSOR), what);
            long[] src = qm.codes().data();
            System.arraycopy(src, 0, codes.data(), r0 * k, rows * k);
            Arrays.fill(scales, r0, r0 + rows, qm.scale(0, 0));
        }
        return new Codes(codes, scales, Math.max(k, 1));
    }

    @Override
    public float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks) {
        String what = "layer " + layer + " " + role.label();
        if (hasFastWeight(layer, role)) {
            RtnQuantizer.RowIntCodes a = RtnQuantizer.quantizeIntRows(x, p.activations(), p.scope().perRow(role) ? null : blocks,
                    heavyThreshold, what + " input", threads);
            if (a != null) {
                return fastLinear(layer, role, a, what);
            }
        }
        Codes a = quantizeRows(role, x, p.activations(), blocks, what + " input");
        return exact(layer, role, a, Codes.of(generalWeight(layer, role)), what);
    }

    /** Q, K and V on one input: on the fast path x is quantized once for all three. */
    @Override
    public float[][] linears(int layer, List<GemmRole> roles, FloatMatrix x, int[] blocks) {
        GemmRole first = roles.getFirst();
        boolean shared = roles.stream().allMatch(r -> hasFastWeight(layer, r) && p.scope().perRow(r) == p.scope().perRow(first));
        RtnQuantizer.RowIntCodes a = shared ? RtnQuantizer.quantizeIntRows(x, p.activations(), p.scope().perRow(first) ? null : blocks,
                heavyThreshold, "layer " + layer + " " + first.label() + " input", threads) : null;
        if (a == null) {
            return PrecisionGemms.super.linears(layer, roles, x, blocks);
        }
        float[][] out = new float[roles.size()][];
        for (int i = 0; i < out.length; i++) {
            GemmRole r = roles.get(i);
            out[i] = fastLinear(layer, r, a, "layer " + layer + " " + r.label());
        }
        return out;
    }

    @Override
    public float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b) {
        String what = "layer " + layer + " " + role.label();
        QuantParams left = role == GemmRole.PV ? p.probabilities() : p.activations();
        if (fast) {
            boolean perRow = p.scope().perRow(role);
            RtnQuantizer.RowIntCodes qa = RtnQuantizer.quantizeIntRows(a, left, perRow ? null : new int[] {0, a.rows()}, heavyThreshold,
                    what + " left operand");
            RtnQuantizer.RowIntCodes qb = qa == null ? null : RtnQuantizer.quantizeIntRows(b, p.activations(),
                    perRow ? null : new int[] {0, b.rows()}, heavyThreshold, what + " right operand");
            if (qb != null) {
                return fastExact(layer, role, qa, qb, what);
            }
        }
        Codes qa = quantizeRows(role, a, left, new int[] {0, a.rows()}, what + " left operand");
        Codes qb = quantizeRows(role, b, p.activations(), new int[] {0, b.rows()}, what + " right operand");
        return exact(layer, role, qa, qb, what);
    }

    /** The float32 copy of a weight's codes if a float-path GEMM has made it, else null (converted when needed). */
    private float[] floatWeight(int layer, GemmRole role) {
        synchronized (floatWeights) {
            return floatWeights[layer][role.ordinal()];
        }
    }

    /** A linear on the fast path: the weight's packed bytes or int32 codes, and its float32 copy if one was made. */
    private float[] fastLinear(int layer, GemmRole role, RtnQuantizer.RowIntCodes a, String what) {
        PackedRowCodes packed = packedWeights[layer][role.ordinal()];
        if (packed == null) {
            return fastExact(layer, role, a, intWeights[layer][role.ordinal()], floatWeight(layer, role), what);
        }
        float[] bFloats = floatWeight(layer, role);
        FloatMatrix out = FloatMatrix.zeros(a.rows(), packed.rows());
        FastImUnpack.Result r = FastImUnpack.multiplyRows(a, packed, bFloats, p.bits(), p.strategy(), backend, out);
        if (bFloats == null && r.plan() instanceof GemmPlan.FloatLanes && p.autoBits() && p.strategy() == UnpackStrategy.AUTO) {
            keepFloatWeight(layer, role, packed::toFloatArray);
        }
        return checkAndCount(layer, role, a, packed.rows(), packed::widen, packed.scales(), packed.heavy(), r, out, what,
                () -> FastImUnpack.unpackedWork(a, packed, statBits, p.strategy(), backend));
    }

    /** Keeps the float32 copy of a weight's codes for the next float-path GEMMs (the same bits either way). */
    private void keepFloatWeight(int layer, GemmRole role, Supplier<float[]> floats) {
        synchronized (floatWeights) {
            if (floatWeights[layer][role.ordinal()] == null) {
                floatWeights[layer][role.ordinal()] = floats.get();
            }
        }
    }

    /** The fast path: one {@link FastImUnpack#multiplyRows}, checked against the int64 reference with verifyExact. */
    private float[] fastExact(int layer, GemmRole role, RtnQuantizer.RowIntCodes a, RtnQuantizer.RowIntCodes b, String what) {
        return fastExact(layer, role, a, b, null, what);
    }

    private float[] fastExact(int layer, GemmRole role, RtnQuantizer.RowIntCodes a, RtnQuantizer.RowIntCodes b, float[] bFloats,
                              String what) {
        int n = b.rows();
        FloatMatrix out = FloatMatrix.zeros(a.rows(), n);
        FastImUnpack.Result r = FastImUnpack.multiplyRows(a, b, bFloats, p.bits(), p.strategy(), backend, out);
        if (bFloats == null && r.plan() instanceof GemmPlan.FloatLanes && role.hasWeight() && p.autoBits()
                && p.strategy() == UnpackStrategy.AUTO && b == intWeights[layer][role.ordinal()]) {
            keepFloatWeight(layer, role, () -> FastImUnpack.toFloats(b.codes()));
        }
        return checkAndCount(layer, role, a, n, () -> b, b.scales(), b.heavy(), r, out, what,
                () -> FastImUnpack.unpackedWork(a, b, statBits, p.strategy(), backend));
    }

    /** verifyExact's check of a fast-path result against the int64 reference, and the statistics. */
    private float[] checkAndCount(int layer, GemmRole role, RtnQuantizer.RowIntCodes a, int n,
                                  Supplier<RtnQuantizer.RowIntCodes> b, double[] bScales, long bHeavy,
                                  FastImUnpack.Result r, FloatMatrix out, String what,
                                  DoubleSupplier statWorkAtStatBits) {
        int m = a.rows();
        int k = a.cols();
        if (verifyExact) {
            long[] c = ScalarGemm.exact(a.toLongMatrix(), b.get().toLongMatrix()).data();
            float[] want = new float[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    want[i * n + j] = (float) (c[i * n + j] / (a.scales()[i] * bScales[j]));
                }
            }
            if (!Arrays.equals(want, out.data())) {
                throw new IllegalStateException(what + ": IM-Unpack (b = " + r.bits() + ", " + r.strategy()
                        + ") differs from the int64 GEMM of the codes");
            }
            verified.incrementAndGet();
        }
        double mnk = (double) m * n * k;
        double statWork = p.autoBits() ? statWorkAtStatBits.getAsDouble() : r.ratio() * mnk;
        stats.add(layer, role, mnk, r.ratio() * mnk, a.heavy(), (long) m * k, bHeavy, (long) n * k, statWork);
        return out.data();
    }

    /**
     * {@code out[i][j] = Σ_s (Σ_{k∈s} qa[i][k]·qb[j][k]) / (sa[i][s]·sb[j][s])} over the k-segments s (one
     * segment when neither operand has k-groups), each segment's integer product exact through IM-Unpack.
     */
    private float[] exact(int layer, GemmRole role, Codes a, Codes b, String what) {
        int m = a.codes().rows();
        int n = b.codes().rows();
        int k = a.codes().cols();
        float[] out = new float[m * n];
        if (m == 0 || n == 0) {
            return out;
        }
        int group = Math.min(a.group(), b.group());
        if ((a.group() < k && a.group() != group) || (b.group() < k && b.group() != group)) {
            throw new LowbitException(what + ": the operands have different k-segments (" + a.group() + " and " + b.group() + ")");
        }
        int segs = (k + group - 1) / group;
        int sa = a.segments();
        int sb = b.segments();
        double[] acc = segs == 1 ? null : new double[m * n];
        double work = 0;
        for (int s = 0; s < segs; s++) {
            int c0 = s * group;
            int w = Math.min(group, k - c0);
            LongMatrix ca = segs == 1 ? a.codes() : a.codes().view(0, c0, m, w).copy();
            LongMatrix cb = segs == 1 ? b.codes() : b.codes().view(0, c0, n, w).copy();
            Unpacked u = Unpacker.unpack(ca, cb, generalBits(), generalStrategy());
            LongMatrix exact = ImUnpackGemm.fold(u, backend);
            work += u.plan().work();
            if (verifyExact) {
                if (!exact.contentEquals(ScalarGemm.exact(ca, cb))) {
                    throw new IllegalStateException(what + ": IM-Unpack fold differs from the int64 GEMM");
                }
                verified.incrementAndGet();
            }
            long[] e = exact.data();
            for (int i = 0; i < m; i++) {
                double si = a.scales()[i * sa + (sa == 1 ? 0 : s)];
                for (int j = 0; j < n; j++) {
                    double v = e[i * n + j] / (si * b.scales()[j * sb + (sb == 1 ? 0 : s)]);
                    if (acc == null) {
                        out[i * n + j] = (float) v;
                    } else {
                        acc[i * n + j] += v;
                    }
                }
            }
        }
        if (acc != null) {
            for (int i = 0; i < acc.length; i++) {
                out[i] = (float) acc[i];
            }
        }
        stats.add(layer, role, (double) m * n * k, work, countAtLeast(a.codes(), heavyThreshold), (long) m * k,
                countAtLeast(b.codes(), heavyThreshold), (long) n * k);
        return out;
    }

    private static long countAtLeast(LongMatrix x, long s) {
        long c = 0;
        for (long v : x.data()) { // compact: quantizer output
            if (Math.abs(v) >= s) {
                c++;
            }
        }
        return c;
    }

    /**
     * The codes as b-bit digits (each weight row takes as many b-bit digit rows as its largest code needs) plus the
     * float64 scales; with b auto, at the b that stores them in the fewest bytes (storage does not depend on the b
     * the GEMMs run at).
     */
    @Override
    public long residentWeightBytes(int layer, GemmRole role) {
        RtnQuantizer.RowIntCodes c = intWeights[layer][role.ordinal()];
        long bytes = PrecisionGemms.arrayBytes(floatWeight(layer, role));
        PackedRowCodes packed = packedWeights[layer][role.ordinal()];
        if (packed != null) {
            bytes += packed.residentBytes();
        }
        if (c != null) {
            bytes += PrecisionGemms.arrayBytes(c.codes(), c.scales(), c.alphas(), c.rowMax(), c.colMax());
        }
        QuantizedMatrix q;
        synchronized (weights) {
            q = weights[layer][role.ordinal()];
        }
        if (q != null) {
            bytes += PrecisionGemms.arrayBytes(q.codes().data(), q.scales(), q.alphas());
        }
        return bytes;
    }

    @Override
    public long weightBytes(int layer, GemmRole role) {
        RtnQuantizer.RowIntCodes c = intWeights[layer][role.ordinal()];
        PackedRowCodes packed = packedWeights[layer][role.ordinal()];
        if (packed != null) {
            return digitBytes(Arrays.stream(packed.rowMax()).asLongStream().toArray(), packed.cols(), p.autoBits() ? -1 : p.bits())
                    + 8L * (p.weights().granularity().kind() == Granularity.Kind.TENSOR ? 1 : packed.rows());
        }
        long[] rowMax;
        int cols;
        long scales;
        if (c != null) {
            rowMax = Arrays.stream(c.rowMax()).asLongStream().toArray();
            cols = c.cols();
            scales = p.weights().granularity().kind() == Granularity.Kind.TENSOR ? 1 : c.rows();
        } else {
            QuantizedMatrix q = generalWeight(layer, role);
            rowMax = new long[q.rows()];
            for (int r = 0; r < q.rows(); r++) {
                for (int col = 0; col < q.cols(); col++) {
                    rowMax[r] = Math.max(rowMax[r], Math.abs(q.codes().get(r, col)));
                }
            }
            cols = q.cols();
            scales = q.scales().length;
        }
        return digitBytes(rowMax, cols, p.autoBits() ? -1 : p.bits()) + 8L * scales;
    }

    /** Bytes of rows of {@code cols} codes with the given row maxima as b-bit digits ({@code bits < 0}: the fewest over b). */
    static long digitBytes(long[] rowMax, int cols, int bits) {
        long best = Long.MAX_VALUE;
        for (int b = bits < 0 ? Digits.MIN_BITS : bits; b <= (bits < 0 ? Digits.MAX_BITS : bits); b++) {
            long digitRows = 0;
            for (long v : rowMax) {
                digitRows += Digits.count(v, b);
            }
            best = Math.min(best, (digitRows * cols * b + 7) / 8);
        }
        return best;
    }

    @Override
    public FloatMatrix effectiveWeight(int layer, GemmRole role) {
        return generalWeight(layer, role).dequantize();
    }

    /** The quantized weight as the general path has it (for tests). */
    QuantizedMatrix quantizedWeight(int layer, GemmRole role) {
        return generalWeight(layer, role);
    }

    /** The weight's int32 codes of the fast path, or null where the general path runs it (for tests). */
    RtnQuantizer.RowIntCodes intWeight(int layer, GemmRole role) {
        PackedRowCodes packed = packedWeights[layer][role.ordinal()];
        return packed != null ? packed.widen() : intWeights[layer][role.ordinal()];
    }

    /** The weight's packed int8 codes, or null where it is held as int32 or on the general path (for tests). */
    PackedRowCodes packedWeight(int layer, GemmRole role) {
        return packedWeights[layer][role.ordinal()];
    }
}
