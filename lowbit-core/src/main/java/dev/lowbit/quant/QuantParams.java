package dev.lowbit.quant;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Settings of the round-to-nearest percentile quantizer.
 *
 * @param beta percentile in (0, 1]: alpha is the {@code floor(n·(1−beta))}-th largest |x| of a scale cell
 *     (beta = 1: alpha = max|x|)
 * @param levels number of levels n of the grid: scale {@code s = (n/2)/alpha}
 * @param granularity which elements share a scale
 * @param clip false (IM-Unpack): heavy hitters stay large integers; true (ablation): clamp codes to
 *     ±floor((n−1)/2)
 * @param nonZeroAlpha when the percentile falls on zeros (alpha &lt; 1e-20, a mostly-zero tensor such as
 *     a gradient that only reaches a few rows), take the percentile over the non-zero magnitudes instead
 *     of flooring alpha at 1e-20 (the reference code's ViT-training variant); and when heavy hitters are kept,
 *     raise alpha so that the largest code stays at most 2^61 instead of failing (see
 *     {@code RtnQuantizer.trainingAlphaFloor})
 */
public record QuantParams(double beta, int levels, Granularity granularity, boolean clip, boolean nonZeroAlpha) {
    /** IM-Unpack's default for forward GEMMs: p95, 15 levels, per tensor, heavy hitters kept. */
    public static final QuantParams P95_N15 = new QuantParams(0.95, 15, Granularity.TENSOR, false);

    /** The reference semantics: alpha floors at 1e-20. */
    public QuantParams(double beta, int levels, Granularity granularity, boolean clip) {
        this(beta, levels, granularity, clip, false);
    }

    public QuantParams {
        if (!(beta > 0 && beta <= 1)) {
            throw new LowbitException("beta must be in (0, 1], got " + beta);
        }
        if (levels < 2) {
            throw new LowbitException("levels must be >= 2, got " + levels);
        }
        if (granularity == null) {
            throw new LowbitException("granularity must be given");
        }
    }

    public static QuantParams of(double beta, int levels) {
        return new QuantParams(beta, levels, Granularity.TENSOR, false);
    }

    public QuantParams withGranularity(Granularity g) {
        return new QuantParams(beta, levels, g, clip, nonZeroAlpha);
    }

    public QuantParams withLevels(int n) {
        return new QuantParams(beta, n, granularity, clip, nonZeroAlpha);
    }

    public QuantParams withClip(boolean c) {
        return new QuantParams(beta, levels, granularity, c, nonZeroAlpha);
    }

    public QuantParams withNonZeroAlpha(boolean z) {
        return new QuantParams(beta, levels, granularity, clip, z);
    }

    /** Short name as in the paper's configs, e.g. {@code p95-n15} (with {@code -clip} when clipping). */
    public String label() {
        String p = beta == 1 ? "100" : stripZeros(beta * 100);
        return "p" + p + "-n" + levels + (clip ? "-clip" : "") + (granularity.kind() == Granularity.Kind.TENSOR ? "" : "-" + granularity);
    }

    private static String stripZeros(double v) {
        String s = BigDecimal.valueOf(v).round(new MathContext(10)).stripTrailingZeros().toPlainString();
        return s;
    }
}
