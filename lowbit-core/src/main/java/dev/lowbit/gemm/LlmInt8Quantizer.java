package dev.lowbit.gemm;

import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * LLM.int8() (Dettmers et al. 2022) mixed-precision decomposition for {@code Y = X·Wᵀ}:
 *
 * <pre>
 *   O      = { j : some |X[t,j]| ≥ threshold }                  outlier feature columns of X
 *   Xz     = X with columns O zeroed
 *   cx[t]  = max_j |Xz[t,j]|,  Xq = rint(127·Xz/cx)  (int8, per token row)
 *   cw[n]  = max_k |W[n,k]|,   Wq = rint(127·W/cw)   (int8, per output row)
 *   Y      = (Xq·Wqᵀ)∘(cx⊗cw)/127² + X[:,O]·W[:,O]ᵀ   int32 accumulation; the outlier part in float
 * </pre>
 *
 * The int8 part is an exact integer GEMM. All-zero rows get scale 0 and codes 0 (no division by zero).
 * The input is never mutated.
 */
public final class LlmInt8Quantizer {
    public static final double DEFAULT_THRESHOLD = 6.0;

    private LlmInt8Quantizer() {}

    /** The decomposition of one GEMM. */
    public record Result(int[] outlierColumns, IntMatrix xCodes, double[] xScales, IntMatrix wCodes, double[] wScales, double[] y) {
        /** Fraction of X's columns moved to the float GEMM. */
        public double outlierFraction() {
            return xCodes.cols() == 0 ? 0 : (double) outlierColumns.length / xCodes.cols();
        }
    }

    public static Result multiply(FloatMatrix x, FloatMatrix w, double threshold) {
        int m = x.rows();
        int n = w.rows();
        int k = x.cols();
        boolean[] outlier = new boolean[k];
        List<Integer> cols = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            for (int r = 0; r < m && !outlier[c]; r++) {
                outlier[c] = Math.abs(x.get(r, c)) >= threshold;
            }
            if (outlier[c]) {
                cols.add(c);
            }
        }
        IntMatrix xq = IntMatrix.zeros(m, k);
        double[] cx = rowAbsMaxCodes(x, outlier, xq);
        IntMatrix wq = IntMatrix.zeros(n, k);
        double[] cw = rowAbsMaxCodes(w, new boolean[k], wq);
        double[] y = new double[m * n];
        LongMatrix acc = LongMatrix.zeros(m, n);
        ScalarGemm.gemmInt(xq, wq, acc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double v = acc.get(i, j) * (cx[i] * cw[j] / (127.0 * 127.0));
                for (int c : cols) {
                    v += (double) x.get(i, c) * w.get(j, c);
                }
                y[i * n + j] = v;
            }
        }
        return new Result(cols.stream().mapToInt(Integer::intValue).toArray(), xq, cx, wq, cw, y);
    }

    /** Per-row absmax int8 codes of {@code x} with the flagged columns zeroed; returns the row scales. */
    static double[] rowAbsMaxCodes(FloatMatrix x, boolean[] zeroed, IntMatrix out) {
        double[] scales = new double[x.rows()];
        for (int r = 0; r < x.rows(); r++) {
            double max = 0;
            for (int c = 0; c < x.cols(); c++) {
                if (!zeroed[c]) {
                    max = Math.max(max, Math.abs(x.get(r, c)));
                }
            }
            scales[r] = max;
            for (int c = 0; c < x.cols(); c++) {
                out.set(r, c, zeroed[c] || max == 0 ? 0 : (int) Math.rint(127 * x.get(r, c) / max));
            }
        }
        return scales;
    }
}
