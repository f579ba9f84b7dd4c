package dev.lowbit.format;

import dev.lowbit.round.Rounding;

/**
 * A number format that float data can be fake-quantized to. Arrays are row-major {@code rows × cols};
 * block formats form their blocks along the last axis ({@code cols}), integer formats take their scales
 * per tensor, row, column or group. Element {@code i} of the flat array uses index {@code i} for
 * stochastic rounding, so every result is independent of the thread count.
 */
public sealed interface NumberFormat permits IntFormat, MiniFloat, BlockFormat {
    /** Canonical name, as accepted by {@link Formats#parse}. */
    String name();

    FormatInfo info();

    /**
     * Fake-quantizes {@code x} (rows × cols) into {@code out} ({@code out} may be {@code x}), with
     * {@code threads} worker threads; the result does not depend on {@code threads}.
     */
    RoundStats round(float[] x, float[] out, int rows, int cols, Rounding rounding, int threads);

    default RoundStats round(float[] x, float[] out, int rows, int cols, Rounding rounding) {
        return round(x, out, rows, cols, rounding, 1);
    }
}
