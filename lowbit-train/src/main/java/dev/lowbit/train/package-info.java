/**
 * Training under a per-GEMM precision policy: {@link dev.lowbit.autograd.GemmRole} names each GEMM of a
 * training step, {@link dev.lowbit.train.MatmulPolicy} says how its operands are quantized and how it is
 * executed, {@link dev.lowbit.train.Recipes} holds the named policies; models, optimizer, schedule,
 * trainer and checkpoints live here too.
 */
package dev.lowbit.train;

import dev.lowbit.autograd.GemmRole;