package dev.lowbit.autograd;

/**
 * The error function: {@link #erf} to about 1e-15 relative (series for small |x|, continued fraction for
 * the tail), the reference; {@link #erfFloat} to 1.5e-7 absolute (Abramowitz–Stegun 7.1.26), enough for
 * float32 activations and an order of magnitude cheaper.
 */
public final class Erf {
    private Erf() {}

    /** Abramowitz–Stegun 7.1.26: |error| ≤ 1.5e-7. */
    public static double erfFloat(double x) {
        double ax = Math.abs(x);
        double t = 1 / (1 + 0.3275911 * ax);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double r = 1 - poly * Math.exp(-ax * ax);
        return x < 0 ? -r : r;
    }

    public static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 2.5) {
            // Maclaurin series: erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
            double term = ax;
            double sum = ax;
            double x2 = ax * ax;
            for (int n = 1; n < 80; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else if (ax > 6) {
            r = 1;
        } else {
            // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) (Lentz-free backward evaluation)
            double f = ax;
            for (int k = 60; k >= 1; k--) {
                f = ax + (k / 2.0) / f;
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
