/**
 * Exact integer GEMMs on NVIDIA GPUs through cuBLASLt, bound with FFM ({@code java.lang.foreign}) — no JNI, no CUDA toolkit
 * at build time (issue 19, DESIGN §9).
 *
 * <p>{@link dev.lowbit.cuda.Cuda} finds and loads {@code libcudart} and {@code libcublasLt} once (a path, the system, or
 * PyTorch's NVIDIA wheels), owns device memory through Java arenas, and self-tests the int8 GEMM.
 * {@link dev.lowbit.cuda.CudaGemmBackend} (name {@code cuda}) runs b-bit integer GEMMs with b ≤ 8 on the int8 tensor cores and
 * leaves float32 and wider integer GEMMs to the pure-Java {@code simd} backend, so every result keeps the same bits.
 */
package dev.lowbit.cuda;
