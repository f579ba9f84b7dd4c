package dev.lowbit.round;

import dev.lowbit.round.CounterRandom;

/**
 * Counter-based random numbers for training ({@link CounterRandom}: SplitMix64 of (seed, index)), so
 * initialization, data order, dropout and stochastic rounding never depend on thread count.
 */
public final class Rng {
    private Rng() {}

    public static long mix(long seed, long index) {
        return CounterRandom.bits(seed, index);
    }

    /** Uniform in [0, 1). */
    public static double uniform(long seed, long index) {
        return CounterRandom.uniform(seed, index);
    }

    /** Standard normal (Box–Muller on two counter-based uniforms). */
    public static double gaussian(long seed, long index) {
        double u1 = 1 - uniform(seed, 2 * index);
        double u2 = uniform(seed, 2 * index + 1);
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Uniform integer in [0, bound). */
    public static int below(long seed, long index, int bound) {
        return (int) Math.floorMod(mix(seed, index), (long) bound);
    }
}
