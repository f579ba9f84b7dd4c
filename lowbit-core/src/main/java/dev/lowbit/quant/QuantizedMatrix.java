package dev.lowbit.quant;

import dev.lowbit.format.Granularity;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.LongMatrix;

/**
 * Integer codes with their scales: {@code x ≈ codes[r][c] / scale(r, c)}.
 *
 * @param codes the integer grid values (heavy hitters included, unless clipped)
 * @param scales row-major {@code granularity.scaleRows(rows) × granularity.scaleCols(cols)} grid of scales
 * @param alphas the matching percentile magnitudes alpha (scale = (levels/2)/alpha)
 * @param params the settings that produced it
 */
public record QuantizedMatrix(LongMatrix codes, double[] scales, double[] alphas, QuantParams params) {

    public int rows() {
        return codes.rows();
    }

    public int cols() {
        return codes.cols();
    }

    public Granularity granularity() {
        return params.granularity();
    }

    /** Scale that applies to element (r, c). */
    public double scale(int r, int c) {
        Granularity g = params.granularity();
        int sr = g.scaleRows(rows()) == 1 ? 0 : r;
        return scales[sr * g.scaleCols(cols()) + c / g.groupCols(cols())];
    }

    /** True when a single scale covers the whole matrix. */
    public boolean isPerTensor() {
        return scales.length == 1;
    }

    /** {@code codes / scale} as float32. */
    public FloatMatrix dequantize() {
        FloatMatrix out = FloatMatrix.zeros(rows(), cols());
        for (int r = 0; r < rows(); r++) {
            for (int c = 0; c < cols(); c++) {
                out.set(r, c, (float) (codes.get(r, c) / scale(r, c)));
            }
        }
        return out;
    }

    /** Number of codes with |q| ≥ threshold (heavy hitters for a bit-width b: threshold 2^(b−1)). */
    public long countAtLeast(long threshold) {
        long count = 0;
        for (int r = 0; r < rows(); r++) {
            for (int c = 0; c < cols(); c++) {
                if (Math.abs(codes.get(r, c)) >= threshold) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Largest |code|. */
    public long maxAbs() {
        long max = 0;
        for (int r = 0; r < rows(); r++) {
            for (int c = 0; c < cols(); c++) {
                max = Math.max(max, Math.abs(codes.get(r, c)));
            }
        }
        return max;
    }
}
