/**
 * Training under a per-GEMM precision policy: {@link dev.lowbit.policy.GemmSite} and
 * {@link dev.lowbit.policy.GemmPass} name each GEMM of a training step, {@link dev.lowbit.policy.PrecisionPolicy}
 * says how its operands are quantized and how it is executed, {@link dev.lowbit.train.GemmExecutor} runs them,
 * {@link dev.lowbit.policy.Presets} holds the named policies; models, optimizer, schedule, trainer and
 * checkpoints live here too.
 */
package dev.lowbit.train;
