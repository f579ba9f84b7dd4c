package dev.lowbit.autograd;

/** Counter-based random numbers: SplitMix64 of (seed, index), so results never depend on thread count. */
public final class Rng {
    private Rng() {}

    public static long mix(long seed, long index) {
        long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    public static double uniform(long seed, long index) {
        return (mix(seed, index) >>> 11) * 0x1.0p-53;
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
