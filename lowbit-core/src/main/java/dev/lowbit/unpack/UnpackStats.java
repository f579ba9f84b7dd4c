package dev.lowbit.unpack;

/**
 * Shape statistics of an IM-Unpack GEMM.
 *
 * @param innerDim k
 * @param unpackedInnerDim k' (summed over k-segments)
 * @param ratio (m'·n'·k') / (m·n·k): the unpacked work over the original work
 * @param strategies the strategy used (for AUTO, the one chosen; "mixed" when segments differ)
 */
public record UnpackStats(OperandStats lhs, OperandStats rhs, int innerDim, long unpackedInnerDim, double ratio,
                          String strategies) {}
