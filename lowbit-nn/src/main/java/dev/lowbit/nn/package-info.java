/**
 * Models on lowbit's GEMMs. {@link dev.lowbit.nn.Bert} is a BERT encoder for inference (all-MiniLM-L6-v2
 * and any BERT with post-LayerNorm blocks and erf-GELU): embeddings + LayerNorm, L encoder layers, mean
 * pooling over the attention mask, L2 normalization. Every matrix product goes through a
 * {@link dev.lowbit.gemm.GemmBackend} (by default {@link dev.lowbit.gemm.GemmBackends#preferred()}), in the
 * {@link dev.lowbit.nn.Precision} chosen: FP32, exact low-bit integer GEMMs through IM-Unpack (imunpack, int8),
 * LLM.int8(), GPTQ 4-bit weights, or the FP8 / MX / NVFP4 formats, each executed by a {@link dev.lowbit.nn.PrecisionGemms}.
 */
package dev.lowbit.nn;
