/**
 * Text for models: tokenizers ({@link dev.lowbit.text.WordPieceTokenizer}, driven by a Hugging Face
 * {@code tokenizer.json}) and the small JSON reader they need.
 */
package dev.lowbit.text;
