/**
 * GEMMs, all NT: {@code C = A·Bᵀ} with A m×k and B n×k. {@link dev.lowbit.gemm.GemmBackend} is the SPI
 * for whole implementations (found through {@link java.util.ServiceLoader});
 * {@link dev.lowbit.gemm.ScalarGemm} is the exact {@code long} reference; {@link dev.lowbit.gemm.ImUnpackGemm}
 * runs quantize → unpack → low-bit GEMM → fold → rescale.
 */
package dev.lowbit.gemm;
