/**
 * Reverse-mode autograd in the micrograd style on float32 matrices: every op computes its output and
 * registers a backward closure next to it; {@link dev.lowbit.autograd.Tensor#backward()} sorts the graph
 * topologically once and runs the closures in reverse. Gradients accumulate. Every GEMM goes through a
 * {@link Matmul} (implemented by training's {@code GemmExecutor}), so the precision policy decides how it runs.
 */
package dev.lowbit.autograd;
