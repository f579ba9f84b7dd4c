package dev.lowbit.format;

import dev.lowbit.round.Rounding;

/**
 * Fake quantization of an n-dimensional float array (C order): the last axis is {@code cols}, all the others
 * together are {@code rows}; block formats form their blocks along the last axis, integer formats take their
 * row/column/group scales in that 2-D view. Reports the counts of {@link RoundStats} and the SQNR.
 */
public final class FakeQuant {
    private FakeQuant() {}

    /** The quantized values, what happened to them, and the signal-to-quantization-noise ratio in dB. */
    public record Result(float[] out, RoundStats stats, double sqnrDb) {}

    /** rows × cols view of a shape: cols = last dimension (1 for a scalar), rows = product of the others. */
    public static int[] rowsCols(int[] shape) {
        int cols = shape.length == 0 ? 1 : shape[shape.length - 1];
        long rows = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            rows *= shape[i];
        }
        return new int[] {Math.toIntExact(rows), cols};
    }

    public static Result apply(NumberFormat f, float[] x, int[] shape, Rounding rounding, int threads) {
        int[] rc = rowsCols(shape);
        float[] out = new float[x.length];
        RoundStats s = f.round(x, out, rc[0], rc[1], rounding, threads);
        return new Result(out, s, sqnrDb(x, out));
    }

    /**
     * 10·log10(Σx² / Σ(x − y)²) over the elements where both x and y are finite, in double; +∞ when y equals x
     * there, NaN when there is no signal (all zero or nothing finite).
     */
    public static double sqnrDb(float[] x, float[] y) {
        double sig = 0;
        double err = 0;
        for (int i = 0; i < x.length; i++) {
            if (Float.isFinite(x[i]) && Float.isFinite(y[i])) {
                double d = (double) x[i] - y[i];
                sig += (double) x[i] * x[i];
                err += d * d;
            }
        }
        if (sig == 0) {
            return Double.NaN;
        }
        return err == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(sig / err);
    }
}
