package dev.lowbit.nn;

/**
 * What the low-bit GEMMs at one site (layer, role) did, summed over all calls.
 *
 * @param layer encoder layer (0-based)
 * @param role which GEMM of the layer
 * @param calls number of GEMMs
 * @param macs Σ m·n·k of the original GEMMs
 * @param unpackedMacs Σ m'·n'·k' after unpacking
 * @param lhsHeavy heavy hitters (|code| ≥ 2^(b−1)) of the left operands
 * @param lhsElements entries of the left operands
 * @param rhsHeavy heavy hitters of the right operands (the weight for linear layers)
 * @param rhsElements entries of the right operands
 * @param statUnpackedMacs Σ m'·n'·k' had every GEMM been unpacked at the heavy-hitter b ({@code Precision.statBits()}, 4 for
 *     imunpack's 15 levels): the paper's overhead, whatever b actually ran (equal to unpackedMacs when b is fixed)
 */
public record GemmSiteStats(int layer, GemmRole role, long calls, double macs, double unpackedMacs, long lhsHeavy,
                            long lhsElements, long rhsHeavy, long rhsElements, double statUnpackedMacs) {

    /** Σ m'n'k' / Σ m·n·k: the unpack overhead in multiply-adds. */
    public double ratio() {
        return macs == 0 ? 1.0 : unpackedMacs / macs;
    }

    /** Σ m'n'k' / Σ m·n·k at the heavy-hitter b. */
    public double statRatio() {
        return macs == 0 ? 1.0 : statUnpackedMacs / macs;
    }

    public double lhsHeavyFraction() {
        return lhsElements == 0 ? 0 : (double) lhsHeavy / lhsElements;
    }

    public double rhsHeavyFraction() {
        return rhsElements == 0 ? 0 : (double) rhsHeavy / rhsElements;
    }

    GemmSiteStats plus(double mnk, double work, long lh, long le, long rh, long re, double statWork) {
        return new GemmSiteStats(layer, role, calls + 1, macs + mnk, unpackedMacs + work, lhsHeavy + lh, lhsElements + le,
                rhsHeavy + rh, rhsElements + re, statUnpackedMacs + statWork);
    }
}
