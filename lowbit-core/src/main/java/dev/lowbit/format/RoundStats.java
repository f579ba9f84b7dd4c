package dev.lowbit.format;

import dev.lowbit.Parallel;
import java.util.List;

/**
 * What a fake-quantization did: {@code count} elements; {@code saturated} of them were out of the
 * format's range (|x| above the largest finite value, or ±∞ in a format without ∞) and came out as
 * ±max finite; {@code overflowed} were finite and came out as ±∞ (only formats with ∞).
 */
public record RoundStats(long count, long saturated, long overflowed) {
    public static final RoundStats EMPTY = new RoundStats(0, 0, 0);

    /** Elements of work per parallel part at least when rounding in parallel ({@link Parallel#parts}). */
    static final long GRAIN = 4096;

    public RoundStats plus(RoundStats o) {
        return new RoundStats(count + o.count, saturated + o.saturated, overflowed + o.overflowed);
    }

    /** The sum of per-part statistics, in part order. */
    public static RoundStats sum(List<RoundStats> parts) {
        RoundStats s = EMPTY;
        for (RoundStats r : parts) {
            s = s.plus(r);
        }
        return s;
    }

    /**
     * Rounds in parallel: {@code chunk} over contiguous ranges of {@code [0, n)} items of {@code cost} elements each (at
     * most {@code threads} parts, each at least {@link #GRAIN} elements), statistics summed in part order.
     */
    static RoundStats overRanges(int threads, int n, long cost, Parallel.RangeFn<RoundStats> chunk) {
        return sum(Parallel.mapRanges(Parallel.parts(threads, n, cost, GRAIN), n, chunk));
    }
}
