/**
 * Data for models: text tokenizers ({@link dev.lowbit.data.WordPieceTokenizer}, driven by a Hugging Face
 * {@code tokenizer.json}) and the small JSON reader they need.
 */
package dev.lowbit.data;
