package dev.lowbit.numeric;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * The fitting tool behind {@link LowPrecisionMath}'s coefficients: polynomials of minimal maximum <em>relative</em>
 * error on an interval, by Lawson's algorithm (iteratively reweighted least squares, which converges to the
 * minimax solution) on Chebyshev nodes, solved in float64 and rounded to float32. {@link #main} prints every set
 * (and searches k of the erfc form); {@code LowPrecisionFitTest} re-derives the checked-in sets.
 *
 * <pre>
 * ./mvnw -B -o -q -pl lowbit-core test-compile
 * java -cp lowbit-core/target/classes:lowbit-core/target/test-classes dev.lowbit.numeric.LowPrecisionFit
 * </pre>
 */
public final class LowPrecisionFit {
    private LowPrecisionFit() {}

    /** m Chebyshev nodes on [lo, hi]. */
    static double[] nodes(double lo, double hi, int m) {
        double[] x = new double[m];
        for (int i = 0; i < m; i++) {
            x[i] = (lo + hi) / 2 + (hi - lo) / 2 * Math.cos(Math.PI * (i + 0.5) / m);
        }
        return x;
    }

    /** Σ c_j x^j of degree d minimizing max |p(x_i)/y_i − 1| (Lawson: weights multiplied by the error each round). */
    static double[] minimaxRelative(double[] xs, double[] ys, int degree, int iterations) {
        int m = xs.length;
        int n = degree + 1;
        double[] w = new double[m];
        Arrays.fill(w, 1.0 / m);
        double[] c = null;
        for (int it = 0; it < iterations; it++) {
            double[][] a = new double[n][n + 1];
            for (int i = 0; i < m; i++) {
                double[] row = new double[n];
                double p = 1;
                for (int k = 0; k < n; k++) {
                    row[k] = p / ys[i];
                    p *= xs[i];
                }
                for (int r = 0; r < n; r++) {
                    for (int s = 0; s < n; s++) {
                        a[r][s] += w[i] * row[r] * row[s];
                    }
                    a[r][n] += w[i] * row[r];
                }
            }
            c = solve(a, n);
            double sum = 0;
            for (int i = 0; i < m; i++) {
                w[i] *= Math.abs(eval(c, xs[i]) / ys[i] - 1);
                sum += w[i];
            }
            for (int i = 0; i < m; i++) {
                w[i] /= sum;
            }
        }
        return c;
    }

    private static double[] solve(double[][] a, int n) {
        for (int i = 0; i < n; i++) {
            int piv = i;
            for (int r = i + 1; r < n; r++) {
                if (Math.abs(a[r][i]) > Math.abs(a[piv][i])) {
                    piv = r;
                }
            }
            double[] t = a[i];
            a[i] = a[piv];
            a[piv] = t;
            for (int r = 0; r < n; r++) {
                if (r != i) {
                    double f = a[r][i] / a[i][i];
                    for (int k = i; k <= n; k++) {
                        a[r][k] -= f * a[i][k];
                    }
                }
            }
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = a[i][n] / a[i][i];
        }
        return x;
    }

    static double eval(double[] c, double x) {
        double p = c[c.length - 1];
        for (int k = c.length - 2; k >= 0; k--) {
            p = p * x + c[k];
        }
        return p;
    }

    static float[] toFloat(double[] c) {
        float[] f = new float[c.length];
        for (int i = 0; i < c.length; i++) {
            f[i] = (float) c[i];
        }
        return f;
    }

    /** Max relative error of the float32 coefficients (float32 Horner with fma) over the nodes. */
    static double maxRelative(float[] c, double[] xs, double[] ys) {
        double mx = 0;
        for (int i = 0; i < xs.length; i++) {
            mx = Math.max(mx, Math.abs(LowPrecisionMath.horner(c, (float) xs[i]) / ys[i] - 1));
        }
        return mx;
    }

    /** A fitted problem: nodes, target values, the float32 fit and its max relative error. */
    record Fit(double[] xs, double[] ys, float[] c, double maxRel) {
        static Fit of(double lo, double hi, int m, DoubleUnaryOperator f, int degree) {
            double[] xs = nodes(lo, hi, m);
            double[] ys = new double[m];
            for (int i = 0; i < m; i++) {
                ys[i] = f.applyAsDouble(xs[i]);
            }
            float[] c = toFloat(minimaxRelative(xs, ys, degree, 200));
            return new Fit(xs, ys, c, maxRelative(c, xs, ys));
        }
    }

    /** 2^f on [−½, ½]. */
    static Fit exp2(int degree) {
        return Fit.of(-0.5, 0.5, 1000, f -> Math.pow(2, f), degree);
    }

    /** g(t) = Φ(−a)·e^(a²/2)/t with a = (1/t − 1)/k, on t ∈ [1/(1 + k·aMax), 1]. */
    static Fit erfcG(float k, double aMax, int degree) {
        return Fit.of(1 / (1 + k * aMax), 1, 600, t -> {
            double a = (1 / t - 1) / k;
            double u = a / Math.sqrt(2);
            double erfcx = u < 2.5 ? Erf.erfc(u) * Math.exp(u * u) : erfcxTail(u);
            return 0.5 * erfcx / t;
        }, degree);
    }

    /** erfc(u)·e^(u²) by the continued fraction (no underflow for large u). */
    static double erfcxTail(double u) {
        double f = u;
        for (int k = 200; k >= 1; k--) {
            f = u + (k / 2.0) / f;
        }
        return 1 / Math.sqrt(Math.PI) / f;
    }

    /** erf(x)/x as a polynomial in s = x² on [0, ¼] (|x| ≤ ½). */
    static Fit erfSmall(int degree) {
        return Fit.of(0, 0.25, 400, s -> s == 0 ? 2 / Math.sqrt(Math.PI) : Erf.erf(Math.sqrt(s)) / Math.sqrt(s), degree);
    }

    static String show(float[] c) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < c.length; i++) {
            b.append(i == 0 ? "" : ", ").append(c[i]).append('f');
        }
        return b.append('}').toString();
    }

    public static void main(String[] args) {
        for (int d = 1; d <= 4; d++) {
            Fit f = exp2(d);
            System.out.printf(Locale.ROOT, "exp2 degree %d: max rel 2^%.2f %s%n", d, Math.log(f.maxRel()) / Math.log(2), show(f.c()));
        }
        String[] names = {"fp8", "bf16", "fp16"};
        double[] aMax = {3.75, 14.5, 6};
        for (int ti = 0; ti < 3; ti++) {
            for (int d = 0; d <= 4; d++) {
                Fit best = null;
                float bestK = 0;
                for (int k100 = 5; k100 <= 120; k100++) {
                    float k = k100 / 100f;
                    Fit f = erfcG(k, aMax[ti], d);
                    if (best == null || f.maxRel() < best.maxRel()) {
                        best = f;
                        bestK = k;
                    }
                }
                System.out.printf(Locale.ROOT, "%s erfc g degree %d: k = %s, max rel 2^%.2f %s%n", names[ti], d, bestK,
                        Math.log(best.maxRel()) / Math.log(2), show(best.c()));
            }
        }
        for (int d = 0; d <= 3; d++) {
            Fit f = erfSmall(d);
            System.out.printf(Locale.ROOT, "erf small degree %d: max rel 2^%.2f %s%n", d, Math.log(f.maxRel()) / Math.log(2), show(f.c()));
        }
    }
}
