/**
 * Native exact integer GEMMs through oneDNN, bound with FFM ({@code java.lang.foreign}) — no JNI, no JavaCPP classes.
 *
 * <p>{@link dev.lowbit.onednn.OneDnn} finds and loads {@code libdnnl.so.3} (and its {@code libgomp.so.1}) once, from a path
 * or from the class path, and binds the BLAS-like {@code dnnl_gemm_s8s8s32}, {@code dnnl_gemm_u8s8s32} and
 * {@code dnnl_sgemm}. {@link dev.lowbit.onednn.OneDnnGemmBackend} (name {@code onednn}) runs b-bit integer GEMMs on it where a
 * start-up self-test proved them exact on this CPU (b ≤ 8 with VNNI/AMX, b ≤ 7 without), and leaves float32 and wider
 * integer GEMMs to the pure-Java {@code simd} backend, so every result keeps the same bits whichever backend runs it.
 */
package dev.lowbit.onednn;
