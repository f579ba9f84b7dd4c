package dev.lowbit.unpack;

/**
 * What unpacking did to one operand.
 *
 * @param rows original rows
 * @param cols original columns (the inner dimension k)
 * @param unpackedRows rows after unpacking (summed over k-segments when scales vary along k)
 * @param heavyHitters codes with |q| ≥ 2^(b−1)
 * @param heavyHitterFraction heavyHitters / (rows·cols)
 * @param alpha the percentile magnitude (per tensor; the largest over cells otherwise)
 * @param scale the quantization scale (per tensor; the smallest over cells otherwise)
 * @param unpackedElements entries of the unpacked operand, Σ over k-segments of rows'·k' (storage at b bits each)
 */
public record OperandStats(int rows, int cols, long unpackedRows, long heavyHitters, double heavyHitterFraction,
                           double alpha, double scale, long unpackedElements) {}
