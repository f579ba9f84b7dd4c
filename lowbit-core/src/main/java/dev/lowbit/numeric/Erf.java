package dev.lowbit.numeric;

/**
 * The error function in float64 to about 1e-15 relative (Maclaurin series for |x| &lt; 2.5, continued fraction of
 * erfc for the tail): the reference that the float32 GELU of {@link VectorMath} is tested against.
 */
public final class Erf {
    private Erf() {}

    /** Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF, in float64. */
    public static double phi(double x) {
        return 0.5 * (1 + erf(x / Math.sqrt(2)));
    }

    /**
     * erfc(x) = 1 − erf(x) with relative accuracy in the tail (about 1e-12): 1 − erf for x &lt; 2.5, the continued
     * fraction e^(−x²)/√π · 1/(x + ½/(x + 1/(x + …))) above (200 terms); 2 − erfc(−x) for x &lt; 0.
     */
    public static double erfc(double x) {
        if (x < 0) {
            return 2 - erfc(-x);
        }
        if (x < 2.5) {
            return 1 - erf(x);
        }
        if (x == Double.POSITIVE_INFINITY) {
            return 0;
        }
        double f = x;
        for (int k = 200; k >= 1; k--) {
            f = x + (k / 2.0) / f;
        }
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
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
