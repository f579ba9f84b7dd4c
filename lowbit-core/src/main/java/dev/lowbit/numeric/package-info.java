/**
 * Numerical algorithms: {@link dev.lowbit.format.LMul} (the L-Mul approximate multiply of "Addition is All You
 * Need", with its error measured against FP8 multiplication), {@link dev.lowbit.numeric.TwoPassSoftmax} (softmax in
 * two passes over the data with (mantissa, exponent) accumulation, Dukhan &amp; Ablavatski), and the
 * {@link dev.lowbit.numeric.VectorMath} SPI — exp, erf GELU, softmax, LayerNorm, sums, small products for the
 * non-GEMM parts of Transformer layers — with its reference {@link dev.lowbit.numeric.ScalarVectorMath}, found by
 * {@link dev.lowbit.numeric.VectorMaths} (every implementation returns the same bits), and the float64 reference
 * {@link dev.lowbit.numeric.Erf}.
 */
package dev.lowbit.numeric;

import dev.lowbit.format.LMul;