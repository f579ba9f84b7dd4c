package dev.lowbit.gemm;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.unpack.Digits;
import dev.lowbit.unpack.OperandStats;
import dev.lowbit.unpack.UnpackPlan;
import dev.lowbit.unpack.UnpackStats;
import dev.lowbit.unpack.UnpackStrategy;
import dev.lowbit.unpack.Unpacked;
import dev.lowbit.unpack.Unpacker;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * IM-Unpack GEMM: quantize → unpack → low-bit GEMMs → fold → rescale.
 *
 * <p>The fold is exact integer arithmetic: for each column run g of the plan (one exponent e_g), the
 * backend computes {@code P = A'_g·B'_gᵀ} with b-bit operands, and
 * {@code C[src(r), src(t)] += P[r,t] · 2^((b−1)(eA_r + eB_t + e_g))} in int64 with overflow checks. The
 * folded C equals {@link ScalarGemm#exact} of the codes bit for bit.
 *
 * <p>When scales vary along k (COLUMN or GROUP granularity), k is cut into segments on which both
 * operands' scales are constant; each segment is one exact integer GEMM, and the dequantized segment
 * results are summed in float64.
 */
public final class ImUnpackGemm {
    private ImUnpackGemm() {}

    /**
     * Folds the low-bit products of {@code u} back into the exact m×n int64 result with one
     * {@link IntEpilogue.Fold} over all column groups (the backend may fuse the fold into its GEMM).
     */
    public static LongMatrix fold(Unpacked u, GemmBackend backend) {
        UnpackPlan plan = u.plan();
        LongMatrix c = LongMatrix.zeros(plan.m(), plan.n());
        if (plan.unpackedK() > 0) {
            Gemm.checkShapes(u.lhs(), u.rhs());
            backend.gemmInt(u.lhs(), u.rhs(), plan.bits(), new IntEpilogue.Fold(foldMap(plan), c));
        }
        return c;
    }

    /** The fold map of a plan: row sources/exponents, column groups, and whether int64 overflow is impossible. */
    public static FoldMap foldMap(UnpackPlan plan) {
        // |code| < S^D with D = 1 + (largest row digit exponent) + (largest column digit exponent)
        int maxCol = Arrays.stream(plan.colExp()).max().orElse(0);
        double maxA = Math.pow(2, plan.digitShift() * (1.0 + Arrays.stream(plan.lhsRowExp()).max().orElse(0) + maxCol));
        double maxB = Math.pow(2, plan.digitShift() * (1.0 + Arrays.stream(plan.rhsRowExp()).max().orElse(0) + maxCol));
        boolean safe = FoldMap.noOverflowBound(plan.k(), maxA, maxB);
        int[] starts = plan.colGroupStart();
        int[] exps = new int[plan.groups()];
        for (int g = 0; g < exps.length; g++) {
            exps[g] = starts[g] < plan.unpackedK() ? plan.colExp()[starts[g]] : 0;
        }
        return new FoldMap(plan.lhsRowSource(), plan.lhsRowExp(), plan.rhsRowSource(), plan.rhsRowExp(), plan.digitShift(),
                starts, exps, safe);
    }

    /** Unpacks integer codes and folds their low-bit product: must equal {@code ScalarGemm.exact(a, b)}. */
    public static LongMatrix exactProduct(LongMatrix a, LongMatrix b, int bits, UnpackStrategy strategy, GemmBackend backend) {
        return fold(Unpacker.unpack(a, b, bits, strategy), backend);
    }

    /**
     * The full pipeline on float operands {@code a} (m×k) and {@code w} (n×k).
     *
     * @param verify also compute the int64 GEMM of the codes and compare it with the fold
     */
    public static ImUnpackResult multiply(FloatMatrix a, FloatMatrix w, ImUnpackSpec spec, GemmBackend backend, boolean verify) {
        Gemm.checkShapes(a, w);
        QuantizedMatrix qa = RtnQuantizer.quantize(a, spec.lhs(), "lhs");
        QuantizedMatrix qw = RtnQuantizer.quantize(w, spec.rhs(), "rhs");
        int m = a.rows();
        int n = w.rows();
        int k = a.cols();
        int[] cuts = segmentCuts(k, spec.lhs().granularity(), spec.rhs().granularity());
        double[] out = new double[m * n];
        long rowsA = 0;
        long rowsB = 0;
        long elemsA = 0;
        long elemsB = 0;
        long kk = 0;
        double work = 0;
        boolean exact = true;
        TreeSet<String> strategies = new TreeSet<>();
        for (int s = 0; s + 1 < cuts.length; s++) {
            int c0 = cuts[s];
            int len = cuts[s + 1] - c0;
            LongMatrix ca = qa.codes().view(0, c0, m, len);
            LongMatrix cw = qw.codes().view(0, c0, n, len);
            Unpacked u = Unpacker.unpack(ca, cw, spec.bits(), spec.strategy());
            UnpackPlan plan = u.plan();
            strategies.add(plan.strategy().label());
            rowsA += plan.unpackedM();
            rowsB += plan.unpackedN();
            elemsA += (long) plan.unpackedM() * plan.unpackedK();
            elemsB += (long) plan.unpackedN() * plan.unpackedK();
            kk += plan.unpackedK();
            work += plan.work();
            LongMatrix folded = fold(u, backend);
            if (verify) {
                exact &= folded.contentEquals(ScalarGemm.exact(ca, cw));
            }
            long[] fd = folded.data();
            double[] sw = new double[n];
            for (int j = 0; j < n; j++) {
                sw[j] = qw.scale(j, c0);
            }
            for (int i = 0; i < m; i++) {
                double sa = qa.scale(i, c0);
                for (int j = 0; j < n; j++) {
                    out[i * n + j] += fd[i * n + j] / (sa * sw[j]);
                }
            }
        }
        if (cuts.length == 1) {
            // k == 0: no segment ran; a single (empty) unpack still defines the row counts
            rowsA = m;
            rowsB = n;
            strategies.add(spec.strategy() == UnpackStrategy.AUTO ? "row" : spec.strategy().label());
        }
        float[] outF = new float[out.length];
        for (int i = 0; i < out.length; i++) {
            outF[i] = (float) out[i];
        }
        long s = Digits.base(spec.bits());
        double base = (double) m * n * k;
        UnpackStats stats = new UnpackStats(operandStats(qa, rowsA, elemsA, s), operandStats(qw, rowsB, elemsB, s), k, kk,
                base == 0 ? 1.0 : work / base, strategies.size() == 1 ? strategies.first() : "mixed");
        return new ImUnpackResult(FloatMatrix.wrap(outF, m, n), out, stats, verify ? exact : null, qa, qw);
    }

    /**
     * The same pipeline with only the float32 result: {@code out} (m×n, not aliasing the inputs) receives
     * exactly {@code multiply(a, w, spec, backend, false).out()}, without the float64 copy and the
     * statistics. Returns the unpack ratio m'n'k'/mnk.
     */
    public static double multiplyInto(FloatMatrix a, FloatMatrix w, ImUnpackSpec spec, GemmBackend backend, FloatMatrix out) {
        Gemm.checkOut(a, w, out);
        int m = a.rows();
        int n = w.rows();
        int k = a.cols();
        int[] cuts = segmentCuts(k, spec.lhs().granularity(), spec.rhs().granularity());
        if (cuts.length != 2) {
            ImUnpackResult r = multiply(a, w, spec, backend, false);
            for (int i = 0; i < m; i++) {
                System.arraycopy(r.out().data(), i * n, out.data(), out.index(i, 0), n);
            }
            return r.stats().ratio();
        }
        QuantizedMatrix qa = RtnQuantizer.quantize(a, spec.lhs(), "lhs");
        QuantizedMatrix qw = RtnQuantizer.quantize(w, spec.rhs(), "rhs");
        Unpacked u = Unpacker.unpack(qa.codes(), qw.codes(), spec.bits(), spec.strategy());
        double[] sa = new double[m];
        for (int i = 0; i < m; i++) {
            sa[i] = qa.scale(i, 0);
        }
        double[] sw = new double[n];
        for (int j = 0; j < n; j++) {
            sw[j] = qw.scale(j, 0);
        }
        UnpackPlan plan = u.plan();
        if (plan.unpackedK() == 0) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(out.data(), out.index(i, 0), out.index(i, 0) + n, 0f);
            }
        } else {
            // 0.0 + x in multiply() is x here: the codes' scales are positive, so x is never −0.0
            backend.gemmInt(u.lhs(), u.rhs(), plan.bits(), new IntEpilogue.Rescale(foldMap(plan), sa, sw, out));
        }
        return u.plan().ratio();
    }

    private static OperandStats operandStats(QuantizedMatrix q, long unpackedRows, long unpackedElements, long s) {
        long hh = q.countAtLeast(s);
        double numel = (double) q.rows() * q.cols();
        double alpha = 0;
        double scale = Double.POSITIVE_INFINITY;
        for (int i = 0; i < q.scales().length; i++) {
            alpha = Math.max(alpha, q.alphas()[i]);
            scale = Math.min(scale, q.scales()[i]);
        }
        return new OperandStats(q.rows(), q.cols(), unpackedRows, hh, numel == 0 ? 0 : hh / numel, alpha, scale, unpackedElements);
    }

    /** Cut points along k where either operand's scale column changes: {0, …, k}. */
    static int[] segmentCuts(int k, Granularity ga, Granularity gb) {
        TreeSet<Integer> cuts = new TreeSet<>();
        cuts.add(0);
        cuts.add(k);
        for (Granularity g : new Granularity[] {ga, gb}) {
            int w = g.groupCols(k);
            for (int c = w; c < k; c += w) {
                cuts.add(c);
            }
        }
        return cuts.stream().mapToInt(Integer::intValue).toArray();
    }
}
