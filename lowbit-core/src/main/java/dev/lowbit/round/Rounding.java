package dev.lowbit.round;

import dev.lowbit.LowbitException;
import java.util.Locale;

/**
 * A rounding mode: maps a real number {@code t} (a double, already scaled so that the representable
 * values near it are the integers) to an integer-valued double. Signs matter: {@link Up} rounds toward
 * +∞ and {@link Down} toward −∞ for negative {@code t} too.
 *
 * <ul>
 *   <li>{@link NearestEven}: nearest integer, ties to the even one (IEEE 754 default, {@code Math.rint}).
 *   <li>{@link NearestAway}: nearest integer, ties away from zero (C {@code round}, microxcaling "nearest").
 *   <li>{@link TowardZero}: truncation.
 *   <li>{@link Up}: ceiling. {@link Down}: floor.
 *   <li>{@link Stochastic}: {@code floor(t) + [u < t − floor(t)]} with {@code u = CounterRandom.uniform(seed, index)}
 *       on the grid 2^−53, so P(up) = ⌈frac·2^53⌉/2^53: E[result] = t exactly when the fraction is a multiple of
 *       2^−53 (e.g. any float input with |t| ≥ 2^−29), otherwise biased by less than 2^−53 of a grid step.
 *       Integers are never changed.
 *   <li>{@link StochasticAdd}: {@code floor(t + u)} with the same {@code u} — FAST's and qtorch's formulation
 *       (add a uniform dither, truncate toward −∞; papers.md §5). Same P(up) as {@link Stochastic} up to the
 *       double rounding of {@code t + u}, but not the same draws: for one (seed, index) it rounds up iff
 *       {@code u ≥ 1 − frac} (Stochastic: iff {@code u < frac}). {@code t + u} is computed in double, so it can
 *       round up to the next integer when {@code u} is within half an ulp of {@code 1 − frac} (integers included):
 *       a bias of about 2^−53·|t| grid steps. Kept so that FAST's numbers stay bit-identical.
 * </ul>
 * The {@code index} argument is the element's position in the tensor; only {@link Stochastic} and {@link StochasticAdd} read it.
 */
public sealed interface Rounding permits Rounding.NearestEven, Rounding.NearestAway, Rounding.TowardZero, Rounding.Up,
        Rounding.Down, Rounding.Stochastic, Rounding.StochasticAdd {

    NearestEven NEAREST_EVEN = new NearestEven();
    NearestAway NEAREST_AWAY = new NearestAway();
    TowardZero TOWARD_ZERO = new TowardZero();
    Up UP = new Up();
    Down DOWN = new Down();

    /** Rounds {@code t} to an integer-valued double; {@code index} feeds stochastic rounding. */
    double round(double t, long index);

    /** The CLI spelling: nearest-even, nearest-away, toward-zero, up, down, stochastic, stochastic-add. */
    String label();

    /** True for the two round-to-nearest modes (these overflow to ±∞ past max + ½ulp in formats with ∞). */
    default boolean isNearest() {
        return this instanceof NearestEven || this instanceof NearestAway;
    }

    /** Parses a CLI spelling; {@code seed} is used only by {@code stochastic}. */
    static Rounding parse(String name, long seed) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "nearest-even", "nearest", "rne", "even" -> NEAREST_EVEN;
            case "nearest-away", "away", "rna" -> NEAREST_AWAY;
            case "toward-zero", "zero", "rtz", "trunc" -> TOWARD_ZERO;
            case "up", "ceil", "rup" -> UP;
            case "down", "floor", "rdn" -> DOWN;
            case "stochastic", "sr" -> new Stochastic(seed);
            case "stochastic-add", "sr-add" -> new StochasticAdd(seed);
            default -> throw new LowbitException("unknown rounding '" + name
                    + "' (use nearest-even, nearest-away, toward-zero, up, down, stochastic or stochastic-add)");
        };
    }

    /** Round to nearest, ties to even. */
    record NearestEven() implements Rounding {
        @Override
        public double round(double t, long index) {
            return Math.rint(t);
        }

        @Override
        public String label() {
            return "nearest-even";
        }
    }

    /** Round to nearest, ties away from zero; exact (no {@code floor(|t| + 0.5)} double-rounding trap). */
    record NearestAway() implements Rounding {
        @Override
        public double round(double t, long index) {
            double a = Math.abs(t);
            double f = Math.floor(a);
            return Math.copySign(a - f >= 0.5 ? f + 1 : f, t);
        }

        @Override
        public String label() {
            return "nearest-away";
        }
    }

    /** Truncation toward zero. */
    record TowardZero() implements Rounding {
        @Override
        public double round(double t, long index) {
            return Math.copySign(Math.floor(Math.abs(t)), t);
        }

        @Override
        public String label() {
            return "toward-zero";
        }
    }

    /** Toward +∞. */
    record Up() implements Rounding {
        @Override
        public double round(double t, long index) {
            return Math.ceil(t);
        }

        @Override
        public String label() {
            return "up";
        }
    }

    /** Toward −∞. */
    record Down() implements Rounding {
        @Override
        public double round(double t, long index) {
            return Math.floor(t);
        }

        @Override
        public String label() {
            return "down";
        }
    }

    /**
     * Stochastic rounding: up with probability equal to the distance from {@code floor(t)}. The random
     * number for element {@code index} is {@link CounterRandom#uniform(long, long) uniform(seed, index)}.
     */
    record Stochastic(long seed) implements Rounding {
        @Override
        public double round(double t, long index) {
            double f = Math.floor(t);
            double frac = t - f; // exact: t and floor(t) share the grid of ulp(t)
            if (frac == 0) {
                return t;
            }
            return CounterRandom.uniform(seed, index) < frac ? f + 1 : f;
        }

        @Override
        public String label() {
            return "stochastic";
        }
    }

    /**
     * FAST's stochastic rounding: {@code floor(t + u)}, {@code u = CounterRandom.uniform(seed, index)}, the sum
     * rounded to double first (see the class comment for how this differs from {@link Stochastic}).
     */
    record StochasticAdd(long seed) implements Rounding {
        @Override
        public double round(double t, long index) {
            return Math.floor(t + CounterRandom.uniform(seed, index));
        }

        @Override
        public String label() {
            return "stochastic-add";
        }
    }
}
