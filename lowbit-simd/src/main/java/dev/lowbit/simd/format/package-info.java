/**
 * Vectorized fake-quantization (round to nearest even, the hardware conversion) for minifloats (E4M3,
 * E5M2, E2M1, bf16, fp16, any eXmY) and E8M0-scaled MX block formats (MXFP4, MXFP8, MXFP6), with the
 * same bit-level algorithm written out in scalar code ({@link dev.lowbit.simd.format.ScalarFakeQuant}) as
 * the twin; both agree bit for bit with {@code dev.lowbit.format}'s reference rounding. The vector width
 * is {@code -Dlowbit.vectorBits} (128, 256, 512) or the platform's preferred one.
 */
package dev.lowbit.simd.format;
