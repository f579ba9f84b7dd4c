package dev.lowbit.train;

import dev.lowbit.quant.HadamardQuantizer;
import dev.lowbit.quant.Sqnr;
import dev.lowbit.tensor.FloatMatrix;

/**
 * LSQ (learned step size quantization) for symmetric INT4 on [−8, 7], as in the INT4 training paper
 * (Xi, Li, Chen, Zhu, "Training Transformers with 4-bit Integers", NeurIPS 2023, arXiv 2306.11987; docs/quantizers.md). Forward {@code q = clamp(rint(x/s), −8, 7)}
 * (half-even, like the paper's python {@code fake_quantize}; its CUDA kernel rounds half away from zero),
 * dequantized {@code q·s} in float64 and rounded to float32 once. Backward: the operand's gradient passes
 * straight through where {@code −8 ≤ x/s ≤ 7} and is zero outside; the step's gradient is
 * {@code g·Σ_i u_i·c_i} with u the upstream gradient of the dequantized operand, {@code c_i = −8} below the
 * range, {@code 7} above, {@code rint(x_i/s) − x_i/s} inside, and {@code g = 1/√(n·7)}, n = the number of
 * elements quantized together. Arithmetic in float64, one sequential pass: the same bits everywhere.
 */
final class LsqStep {
    static final int QMIN = HadamardQuantizer.QMIN;
    static final int QMAX = HadamardQuantizer.QMAX;

    private LsqStep() {}

    /** The initial step {@code 2·mean|x|/√7 + 1e-10}, rounded to float32 (the parameter's precision). */
    static float init(FloatMatrix x) {
        return (float) HadamardQuantizer.lsqInitStep(Sqnr.toDouble(x));
    }

    /** {@code clamp(rint(x/s), −8, 7)·s} as a compact float32 matrix. */
    static FloatMatrix quantize(FloatMatrix x, double s) {
        int rows = x.rows();
        int cols = x.cols();
        float[] out = new float[rows * cols];
        int i = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[i++] = (float) (Math.max(QMIN, Math.min(QMAX, Math.rint(x.get(r, c) / s))) * s);
            }
        }
        return FloatMatrix.wrap(out, rows, cols);
    }

    /**
     * The LSQ backward of {@code x} (the quantizer's input) with step s: returns the step's gradient and, in
     * place, zeroes {@code grad} (compact, row-major, the shape of x: the upstream gradient of the
     * dequantized operand) where x/s is outside [−8, 7].
     */
    static double backward(FloatMatrix x, double s, float[] grad) {
        int rows = x.rows();
        int cols = x.cols();
        if (grad.length != rows * cols) {
            throw new IllegalArgumentException("gradient of length " + grad.length + " for a " + rows + "x" + cols + " operand");
        }
        double sum = 0;
        int i = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++, i++) {
                double v = x.get(r, c) / s;
                double u = grad[i];
                if (v < QMIN) {
                    sum += QMIN * u;
                    grad[i] = 0;
                } else if (v > QMAX) {
                    sum += QMAX * u;
                    grad[i] = 0;
                } else {
                    sum += (Math.rint(v) - v) * u;
                }
            }
        }
        return rows * cols == 0 ? 0 : sum / Math.sqrt((double) rows * cols * QMAX);
    }
}
