package dev.lowbit.round;

/**
 * Counter-based random numbers: a pure function of (seed, index), SplitMix64's finalizer applied to
 * {@code seed + (index + 1) · γ} with γ = 0x9E3779B97F4A7C15 (the golden-ratio increment). Because
 * there is no state, element {@code i} gets the same number whichever thread or vector lane handles
 * it and in whatever order.
 */
public final class CounterRandom {
    static final long GAMMA = 0x9E3779B97F4A7C15L;

    private CounterRandom() {}

    /** 64 random bits for element {@code index} of the stream {@code seed}. */
    public static long bits(long seed, long index) {
        long z = seed + (index + 1) * GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A uniform double in [0, 1) on the grid 2^−53: the top 53 bits of {@link #bits}. */
    public static double uniform(long seed, long index) {
        return (bits(seed, index) >>> 11) * 0x1.0p-53;
    }
}
