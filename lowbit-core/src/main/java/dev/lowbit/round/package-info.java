/**
 * Rounding modes as values: {@link dev.lowbit.round.Rounding} = nearest-even | nearest-away |
 * toward-zero | up | down | stochastic(seed). A mode rounds a real number {@code t} (already scaled so
 * that the target grid is the integers) to an integer; number formats in {@code dev.lowbit.format}
 * do the scaling. Stochastic rounding is counter-based ({@link dev.lowbit.round.CounterRandom}): the
 * random number used for element {@code i} depends only on the seed and {@code i}, so results never
 * depend on thread count, vector width or evaluation order.
 */
package dev.lowbit.round;
