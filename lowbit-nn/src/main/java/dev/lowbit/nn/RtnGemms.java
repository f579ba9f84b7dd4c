package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.Unpacked;
import dev.lowbit.unpack.Unpacker;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The RTN precisions {@code imunpack} and {@code int8}: every GEMM {@code a·bᵀ} is quantized with
 * {@link RtnQuantizer} (weights once, per output channel by default; activations per call), the integer product
 * of the codes is computed exactly with b-bit operands through IM-Unpack ({@link ImUnpackGemm#fold}), and
 * rescaled: {@code out[i][j] = (Σ_k qa[i][k]·qb[j][k]) / (sa_i · sb_j)}.
 *
 * <p>Scales vary only along rows (never along k). With {@link Precision.Scope#ROW} each row of each operand has
 * its own scale: per token for linear inputs, Q, K and P (per query), per channel of V (the rows of V_hᵀ); with
 * {@link Precision.Scope#SEQUENCE} one scale per sequence (linear inputs) or per (sequence, head) operand.
 * P (the left operand of P·V) uses {@link Precision#probabilities()}.
 */
final class RtnGemms implements PrecisionGemms {
    private final Precision p;
    private final GemmBackend backend;
    private final SiteStatsTable stats;
    private final boolean verifyExact;
    private final AtomicLong verified;
    private final QuantizedMatrix[][] weights;

    RtnGemms(BertWeights w, Precision p, GemmBackend backend, SiteStatsTable stats, boolean verifyExact, AtomicLong verified) {
        this.p = p;
        this.backend = backend;
        this.stats = stats;
        this.verifyExact = verifyExact;
        this.verified = verified;
        int layers = w.config().layers();
        this.weights = new QuantizedMatrix[layers][GemmRole.LINEAR.size()];
        for (int l = 0; l < layers; l++) {
            for (GemmRole r : GemmRole.LINEAR) {
                if (p.quantizes(r)) {
                    weights[l][r.ordinal()] = RtnQuantizer.quantize(w.layers().get(l).linear(r).weight(), p.weights(),
                            "layer " + l + " " + r.label() + " weight");
                }
            }
        }
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
            java.util.Arrays.fill(scales, r0, r0 + rows, qm.scale(0, 0));
        }
        return new Codes(codes, scales, Math.max(k, 1));
    }

    @Override
    public float[] linear(int layer, GemmRole role, FloatMatrix x, int[] blocks) {
        String what = "layer " + layer + " " + role.label();
        Codes a = quantizeRows(role, x, p.activations(), blocks, what + " input");
        return exact(layer, role, a, Codes.of(weights[layer][role.ordinal()]), what);
    }

    @Override
    public float[] product(int layer, GemmRole role, FloatMatrix a, FloatMatrix b) {
        String what = "layer " + layer + " " + role.label();
        QuantParams left = role == GemmRole.PV ? p.probabilities() : p.activations();
        Codes qa = quantizeRows(role, a, left, new int[] {0, a.rows()}, what + " left operand");
        Codes qb = quantizeRows(role, b, p.activations(), new int[] {0, b.rows()}, what + " right operand");
        return exact(layer, role, qa, qb, what);
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
            Unpacked u = Unpacker.unpack(ca, cb, p.bits(), p.strategy());
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
        long base = Digits.base(p.bits());
        stats.add(layer, role, (double) m * n * k, work, countAtLeast(a.codes(), base), (long) m * k,
                countAtLeast(b.codes(), base), (long) n * k);
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

    /** The codes as b-bit digits (each weight row takes as many b-bit digit rows as its largest code needs) plus the float64 scales. */
    @Override
    public long weightBytes(int layer, GemmRole role) {
        QuantizedMatrix q = weights[layer][role.ordinal()];
        long digitRows = 0;
        for (int dgt : Unpacker.rowDigitCounts(q.codes(), p.bits())) {
            digitRows += dgt;
        }
        return (digitRows * q.cols() * p.bits() + 7) / 8 + 8L * q.scales().length;
    }

    @Override
    public FloatMatrix effectiveWeight(int layer, GemmRole role) {
        return weights[layer][role.ordinal()].dequantize();
    }

    /** The quantized weight (for tests). */
    QuantizedMatrix quantizedWeight(int layer, GemmRole role) {
        return weights[layer][role.ordinal()];
    }
}
