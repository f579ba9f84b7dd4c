/**
 * Number formats as data: {@link dev.lowbit.format.NumberFormat} = {@link dev.lowbit.format.IntFormat}
 * | {@link dev.lowbit.format.MiniFloat} | {@link dev.lowbit.format.BlockFormat}. A block format is a
 * scale rule ({@link dev.lowbit.format.ScaleFormat}) around an element format: OCP MX = E8M0 ∘ FP8/FP6/
 * FP4/INT8 element over 32 values, NVFP4 = (E4M3 block scale, FP32 tensor scale) ∘ E2M1 over 16, BFP =
 * shared exponent ∘ sign-magnitude integer. {@link dev.lowbit.format.Formats} holds the named constants
 * and parses CLI names. Every format encodes to bit patterns, decodes back, and fake-quantizes
 * ({@code round} = decode ∘ encode) float arrays under any {@link dev.lowbit.round.Rounding}.
 */
package dev.lowbit.format;
