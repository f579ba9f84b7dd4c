/**
 * lowbit's one precision vocabulary, for training and inference alike: {@link dev.lowbit.policy.GemmSite} and
 * {@link dev.lowbit.policy.GemmPass} name each GEMM ({@link dev.lowbit.policy.GemmKey}),
 * {@link dev.lowbit.policy.OperandSpec} and {@link dev.lowbit.policy.GemmSpec} say how its operands are quantized and
 * how it is executed, {@link dev.lowbit.policy.PrecisionPolicy} gives a spec for every GEMM, and
 * {@link dev.lowbit.policy.Presets} names the policies that {@code ./lowbit train --policy} and
 * {@code ./lowbit embed --precision} both accept. {@link dev.lowbit.policy.ScaleScope} says where a per-tensor scale
 * ends in each engine.
 */
package dev.lowbit.policy;
