/**
 * The precision vocabulary of training: {@link dev.lowbit.policy.GemmSite} and {@link dev.lowbit.policy.GemmPass}
 * name each GEMM of a training step ({@link dev.lowbit.policy.GemmKey}), {@link dev.lowbit.policy.OperandSpec}
 * and {@link dev.lowbit.policy.GemmSpec} say how its operands are quantized and how it is executed, and
 * {@link dev.lowbit.policy.MatmulPolicy} gives a spec for every GEMM. The training package's executor and
 * recipes build on these.
 */
package dev.lowbit.policy;
