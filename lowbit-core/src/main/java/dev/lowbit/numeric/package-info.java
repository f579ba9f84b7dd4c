/**
 * Numerical algorithms that low-precision work studies: {@link dev.lowbit.numeric.LMul} (the L-Mul
 * approximate multiply of "Addition is All You Need", with its error measured against FP8 multiplication)
 * and {@link dev.lowbit.numeric.TwoPassSoftmax} (softmax in two passes over the data with (mantissa,
 * exponent) accumulation, Dukhan &amp; Ablavatski).
 */
package dev.lowbit.numeric;
