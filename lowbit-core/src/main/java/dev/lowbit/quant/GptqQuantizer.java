package dev.lowbit.quant;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * GPTQ / OPTQ (Frantar et al. 2023) weight quantization, following the reference {@code fasterquant}:
 *
 * <pre>
 *   H     = (2/t)·Σ x·xᵀ over calibration rows x (k×k);  dead columns (H_ii = 0): H_ii = 1, W[:,i] = 0
 *   act-order: permute columns by descending diag(H)
 *   H    += percdamp·mean(diag H)·I
 *   U     = upper Cholesky factor of H⁻¹
 *   for each block of B columns, for each column i in it:
 *       q = grid(W[:,i]);  e = (W[:,i] − q)/U_ii;  W[:, i:] −= e ⊗ U[i, i:] (within the block);  Err[:,i] = e
 *     then W[:, rest] −= Err·U[block, rest]          (lazy batch update)
 * </pre>
 *
 * The grid is per output row, asymmetric min/max with {@code 2^bits} levels (0 always representable),
 * recomputed every {@code groupSize} columns from the current weights when grouping is on. All
 * arithmetic is float64.
 */
public final class GptqQuantizer {
    private GptqQuantizer() {}

    /** Settings; {@code groupSize} ≤ 0 means one grid per whole row. */
    public record Spec(int bits, int groupSize, boolean actOrder, int blockSize, double percDamp) {
        public Spec {
            if (bits < 2 || bits > 16) {
                throw new LowbitException("GPTQ bits must be in 2..16, got " + bits);
            }
            if (blockSize < 1 || !(percDamp > 0)) {
                throw new LowbitException("GPTQ block size must be >= 1 and percdamp > 0");
            }
        }

        public static Spec of(int bits) {
            return new Spec(bits, -1, false, 128, 0.01);
        }
    }

    /** The quantized weight, dequantized (n×k, float64 row-major), and the integer codes with their grids. */
    public record Result(double[] dequantized, int[] codes, int rows, int cols) {
        public FloatMatrix toFloatMatrix() {
            return FloatMatrix.ofDoubles(dequantized, rows, cols);
        }
    }

    /** Quantizes weight {@code w} (n×k) using calibration inputs {@code calib} (t×k). */
    public static Result quantize(FloatMatrix w, FloatMatrix calib, Spec spec) {
        int n = w.rows();
        int k = w.cols();
        if (calib.cols() != k) {
            throw new LowbitException("GPTQ: calibration inputs have " + calib.cols() + " columns, the weight has " + k);
        }
        double[][] h = hessian(calib);
        double[][] wt = new double[k][n]; // column-major working copy: wt[col][row]
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                wt[c][r] = w.get(r, c);
            }
        }
        for (int i = 0; i < k; i++) {
            if (h[i][i] == 0) {
                h[i][i] = 1;
                Arrays.fill(wt[i], 0);
            }
        }
        int[] perm = IntStream.range(0, k).toArray();
        if (spec.actOrder()) {
            double[] diag = new double[k];
            for (int i = 0; i < k; i++) {
                diag[i] = h[i][i];
            }
            perm = IntStream.range(0, k).boxed().sorted(Comparator.comparingDouble((Integer i) -> -diag[i])).mapToInt(Integer::intValue).toArray();
            double[][] hp = new double[k][k];
            double[][] wp = new double[k][];
            for (int i = 0; i < k; i++) {
                wp[i] = wt[perm[i]];
                for (int j = 0; j < k; j++) {
                    hp[i][j] = h[perm[i]][perm[j]];
                }
            }
            h = hp;
            wt = wp;
        }
        double mean = 0;
        for (int i = 0; i < k; i++) {
            mean += h[i][i];
        }
        mean = k == 0 ? 0 : mean / k;
        for (int i = 0; i < k; i++) {
            h[i][i] += spec.percDamp() * mean;
        }
        double[][] u = upperCholeskyOfInverse(h);
        int maxq = (1 << spec.bits()) - 1;
        double[][] q = new double[k][n];
        int[][] codes = new int[k][n];
        double[] scale = new double[n];
        double[] zero = new double[n];
        if (spec.groupSize() <= 0) {
            grid(wt, 0, k, maxq, scale, zero);
        }
        for (int i1 = 0; i1 < k; i1 += spec.blockSize()) {
            int i2 = Math.min(i1 + spec.blockSize(), k);
            double[][] w1 = new double[i2 - i1][];
            for (int i = i1; i < i2; i++) {
                w1[i - i1] = wt[i].clone();
            }
            double[][] err = new double[i2 - i1][n];
            for (int i = i1; i < i2; i++) {
                if (spec.groupSize() > 0 && i % spec.groupSize() == 0) {
                    // as in the reference: the grid comes from W with the lazy updates of earlier blocks
                    grid(wt, i, Math.min(k, i + spec.groupSize()), maxq, scale, zero);
                }
                double[] col = w1[i - i1];
                double d = u[i][i];
                for (int r = 0; r < n; r++) {
                    int c = (int) Math.max(0, Math.min(maxq, Math.rint(col[r] / scale[r]) + zero[r]));
                    codes[i][r] = c;
                    q[i][r] = scale[r] * (c - zero[r]);
                    err[i - i1][r] = (col[r] - q[i][r]) / d;
                }
                for (int j = i + 1; j < i2; j++) {
                    double uij = u[i][j];
                    double[] cj = w1[j - i1];
                    double[] e = err[i - i1];
                    for (int r = 0; r < n; r++) {
                        cj[r] -= e[r] * uij;
                    }
                }
            }
            for (int j = i2; j < k; j++) {
                double[] cj = wt[j];
                for (int i = i1; i < i2; i++) {
                    double uij = u[i][j];
                    double[] e = err[i - i1];
                    for (int r = 0; r < n; r++) {
                        cj[r] -= e[r] * uij;
                    }
                }
            }
        }
        double[] out = new double[n * k];
        int[] outCodes = new int[n * k];
        for (int i = 0; i < k; i++) {
            int c = perm[i];
            for (int r = 0; r < n; r++) {
                out[r * k + c] = q[i][r];
                outCodes[r * k + c] = codes[i][r];
            }
        }
        return new Result(out, outCodes, n, k);
    }

    /**
     * Round-to-nearest on the same per-row asymmetric grid (no error feedback): the baseline GPTQ must
     * beat.
     */
    public static Result rtn(FloatMatrix w, int bits, int groupSize) {
        int n = w.rows();
        int k = w.cols();
        double[][] wt = new double[k][n];
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                wt[c][r] = w.get(r, c);
            }
        }
        int maxq = (1 << bits) - 1;
        double[] scale = new double[n];
        double[] zero = new double[n];
        double[] out = new double[n * k];
        int[] codes = new int[n * k];
        int g = groupSize <= 0 ? Math.max(k, 1) : groupSize;
        for (int c0 = 0; c0 < k; c0 += g) {
            grid(wt, c0, Math.min(k, c0 + g), maxq, scale, zero);
            for (int c = c0; c < Math.min(k, c0 + g); c++) {
                for (int r = 0; r < n; r++) {
                    int q = (int) Math.max(0, Math.min(maxq, Math.rint(wt[c][r] / scale[r]) + zero[r]));
                    codes[r * k + c] = q;
                    out[r * k + c] = scale[r] * (q - zero[r]);
                }
            }
        }
        return new Result(out, codes, n, k);
    }

    /** Per-row min/max grid over columns [c0, c1): xmin ≤ 0 ≤ xmax, all-zero rows use [−1, 1]. */
    static void grid(double[][] wt, int c0, int c1, int maxq, double[] scale, double[] zero) {
        int n = scale.length;
        for (int r = 0; r < n; r++) {
            double lo = 0;
            double hi = 0;
            for (int c = c0; c < c1; c++) {
                lo = Math.min(lo, wt[c][r]);
                hi = Math.max(hi, wt[c][r]);
            }
            if (lo == 0 && hi == 0) {
                lo = -1;
                hi = 1;
            }
            scale[r] = (hi - lo) / maxq;
            zero[r] = Math.rint(-lo / scale[r]);
        }
    }

    /** H = (2/t)·XᵀX for calibration rows X (t×k). */
    static double[][] hessian(FloatMatrix x) {
        int k = x.cols();
        int t = x.rows();
        double[][] h = new double[k][k];
        double[] row = new double[k];
        for (int s = 0; s < t; s++) {
            for (int i = 0; i < k; i++) {
                row[i] = x.get(s, i);
            }
            for (int i = 0; i < k; i++) {
                double xi = row[i];
                if (xi == 0) {
                    continue;
                }
                double[] hi = h[i];
                for (int j = i; j < k; j++) { // upper triangle; mirrored below
                    hi[j] += xi * row[j];
                }
            }
        }
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < i; j++) {
                h[i][j] = h[j][i];
            }
        }
        double f = t == 0 ? 0 : 2.0 / t;
        for (double[] hi : h) {
            for (int j = 0; j < k; j++) {
                hi[j] *= f;
            }
        }
        return h;
    }

    /**
     * U with H⁻¹ = UᵀU (U upper triangular with a positive diagonal). With J the reversal permutation and
     * J·H·J = M·Mᵀ (Cholesky, M lower), H = R·Rᵀ with R = J·M·J upper, so H⁻¹ = R⁻ᵀ·R⁻¹ and, by uniqueness,
     * U = R⁻¹: one Cholesky factorization and one triangular inverse (k³/3 multiply-adds instead of inverting
     * H and factoring the inverse).
     */
    static double[][] upperCholeskyOfInverse(double[][] h) {
        int k = h.length;
        double[][] hr = new double[k][k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                hr[i][j] = h[k - 1 - i][k - 1 - j];
            }
        }
        double[][] m = cholesky(hr);
        // rt = Rᵀ (lower): rt[j][p] = R[p][j] = m[k−1−p][k−1−j]
        double[][] rt = new double[k][k];
        for (int j = 0; j < k; j++) {
            for (int p = 0; p <= j; p++) {
                rt[j][p] = m[k - 1 - p][k - 1 - j];
            }
        }
        // U·R = I, row by row: U[i][i] = 1/R[i][i], U[i][j] = −(Σ_{p=i}^{j−1} U[i][p]·R[p][j]) / R[j][j]
        double[][] u = new double[k][k];
        for (int i = 0; i < k; i++) {
            double[] ui = u[i];
            ui[i] = 1 / rt[i][i];
            for (int j = i + 1; j < k; j++) {
                ui[j] = -dot(ui, rt[j], i, j) / rt[j][j];
            }
        }
        return u;
    }

    /** Σ_{p ∈ [from, to)} a[p]·b[p] with four interleaved partial sums (latency-bound loops run about 4× faster). */
    static double dot(double[] a, double[] b, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int p = from;
        for (; p + 3 < to; p += 4) {
            s0 += a[p] * b[p];
            s1 += a[p + 1] * b[p + 1];
            s2 += a[p + 2] * b[p + 2];
            s3 += a[p + 3] * b[p + 3];
        }
        for (; p < to; p++) {
            s0 += a[p] * b[p];
        }
        return (s0 + s1) + (s2 + s3);
    }

    static double[][] cholesky(double[][] a) {
        int k = a.length;
        double[][] l = new double[k][k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j] - dot(l[i], l[j], 0, j);
                if (i == j) {
                    if (!(s > 0)) {
                        throw new LowbitException("GPTQ: the damped Hessian is not positive definite (column " + i
                                + "); use more calibration rows or a larger percdamp");
                    }
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        return l;
    }
}
