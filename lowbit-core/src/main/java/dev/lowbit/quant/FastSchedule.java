package dev.lowbit.quant;

import dev.lowbit.LowbitException;

/**
 * A FAST-style precision schedule for block floating point training: mantissa bits start low and are
 * raised in chunks of {@code chunk} bits over training, earlier for the layers closest to the output.
 *
 * <p>This is our own, documented formulation: FAST ("Fast First, Accurate Second", Zhang et al. 2022)
 * raises BFP precision across iterations and layers, but its switching metric and thresholds were not
 * available to us (see papers.md §5), so the schedule is time-based: training is divided into
 * {@code stages = (maxBits − minBits)/chunk + 1} equal phases; in phase s the output-most layer uses
 * {@code minBits + s·chunk} bits, and layer l (0 = input side) lags behind by
 * {@code floor(lag·(layers − 1 − l)/(layers − 1))} phases.
 *
 * @param minBits mantissa bits at the start (e.g. 2)
 * @param maxBits mantissa bits at the end (e.g. 6)
 * @param chunk bits added per step of the schedule (FAST's fMAC works in 2-bit chunks)
 * @param totalSteps length of training
 * @param layers number of layers
 * @param lag how many phases the input-side layer trails the output-side one (0 = all layers together)
 */
public record FastSchedule(int minBits, int maxBits, int chunk, long totalSteps, int layers, int lag) {
    public FastSchedule {
        if (minBits < 1 || maxBits < minBits || chunk < 1 || totalSteps < 1 || layers < 1 || lag < 0) {
            throw new LowbitException("bad FAST schedule: need 1 <= minBits <= maxBits, chunk >= 1, steps >= 1, layers >= 1, lag >= 0");
        }
    }

    /** The default: 2 → 6 mantissa bits in 2-bit chunks, input-side layers one phase behind. */
    public static FastSchedule of(long totalSteps, int layers) {
        return new FastSchedule(2, 6, 2, totalSteps, layers, 1);
    }

    public int stages() {
        return (maxBits - minBits) / chunk + 1;
    }

    /** Mantissa bits for {@code layer} at training step {@code step} (0-based). */
    public int mantissaBits(long step, int layer) {
        int stages = stages();
        long s = Math.min(Math.max(step, 0), totalSteps - 1);
        int phase = (int) (s * stages / totalSteps);
        int behind = layers == 1 ? 0 : lag * (layers - 1 - Math.min(Math.max(layer, 0), layers - 1)) / (layers - 1);
        int p = Math.max(0, phase - behind);
        return Math.min(maxBits, minBits + p * chunk);
    }
}
