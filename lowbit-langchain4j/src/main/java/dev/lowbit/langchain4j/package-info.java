/**
 * langchain4j integration: {@link dev.lowbit.langchain4j.LowbitEmbeddingModel}, all-MiniLM-L6-v2 in pure Java
 * (fp32, or every GEMM exact in low-bit integers) behind langchain4j's {@code EmbeddingModel}, so that an
 * application switches from {@code new AllMiniLmL6V2EmbeddingModel()} to
 * {@code LowbitEmbeddingModel.builder().build()} with one line. Embeddings are e = m/‖m‖₂, m the mean over the
 * tokens of the last hidden state.
 */
package dev.lowbit.langchain4j;
