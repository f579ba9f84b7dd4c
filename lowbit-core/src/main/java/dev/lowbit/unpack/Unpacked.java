package dev.lowbit.unpack;

import dev.lowbit.tensor.IntMatrix;

/**
 * The result of unpacking a GEMM's two integer operands: low-bit matrices whose entries all satisfy
 * |d| &lt; 2^(b−1), and the plan that folds their product back.
 *
 * @param lhs m'×k' unpacked left operand
 * @param rhs n'×k' unpacked right operand
 */
public record Unpacked(IntMatrix lhs, IntMatrix rhs, UnpackPlan plan) {}
