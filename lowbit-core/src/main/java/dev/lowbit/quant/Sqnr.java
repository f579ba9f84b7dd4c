package dev.lowbit.quant;

import dev.lowbit.tensor.FloatMatrix;

/** Signal-to-quantization-noise ratio and relative errors, computed in float64. */
public final class Sqnr {
    private Sqnr() {}

    /** 10·log10(‖x‖² / ‖x − y‖²) in dB; +∞ when y == x, −∞ when x is zero and y is not. */
    public static double db(double[] x, double[] y) {
        double sig = 0;
        double noise = 0;
        for (int i = 0; i < x.length; i++) {
            sig += x[i] * x[i];
            double d = x[i] - y[i];
            noise += d * d;
        }
        if (noise == 0) {
            return Double.POSITIVE_INFINITY;
        }
        return 10 * Math.log10(sig / noise);
    }

    public static double db(FloatMatrix x, FloatMatrix y) {
        return db(toDouble(x), toDouble(y));
    }

    /** ‖x − ref‖_F / ‖ref‖_F (0 when both are zero, NaN when only ref is). */
    public static double relativeError(double[] x, double[] ref) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = x[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        if (den == 0) {
            return num == 0 ? 0.0 : Double.NaN;
        }
        return Math.sqrt(num / den);
    }

    public static double[] toDouble(FloatMatrix x) {
        double[] out = new double[(int) x.size()];
        int i = 0;
        for (int r = 0; r < x.rows(); r++) {
            for (int c = 0; c < x.cols(); c++) {
                out[i++] = x.get(r, c);
            }
        }
        return out;
    }
}
