/**
 * Quantizers. {@link dev.lowbit.quant.RtnQuantizer} is IM-Unpack's round-to-nearest quantizer with a
 * percentile scale: heavy hitters stay large integers instead of being clipped.
 */
package dev.lowbit.quant;
