package dev.lowbit.gemm;

import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.unpack.UnpackStats;

/**
 * Outcome of {@link ImUnpackGemm#multiply}.
 *
 * @param out dequantized result, float32, m×n
 * @param outF64 the same in float64 (row-major), before rounding to float32
 * @param stats unpack statistics
 * @param exact whether the folded low-bit result equals the int64 GEMM of the codes (null if not checked)
 * @param lhsQuant the quantized left operand
 * @param rhsQuant the quantized right operand
 */
public record ImUnpackResult(FloatMatrix out, double[] outF64, UnpackStats stats, Boolean exact,
                             QuantizedMatrix lhsQuant, QuantizedMatrix rhsQuant) {}
