package dev.lowbit.format;

/**
 * What a fake-quantization did: {@code count} elements; {@code saturated} of them were out of the
 * format's range (|x| above the largest finite value, or ±∞ in a format without ∞) and came out as
 * ±max finite; {@code overflowed} were finite and came out as ±∞ (only formats with ∞).
 */
public record RoundStats(long count, long saturated, long overflowed) {
    public static final RoundStats EMPTY = new RoundStats(0, 0, 0);

    public RoundStats plus(RoundStats o) {
        return new RoundStats(count + o.count, saturated + o.saturated, overflowed + o.overflowed);
    }
}
