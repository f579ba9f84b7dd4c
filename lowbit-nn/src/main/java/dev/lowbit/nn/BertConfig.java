package dev.lowbit.nn;

import dev.lowbit.LowbitException;

/**
 * Hyper-parameters of a BERT encoder.
 *
 * @param vocabSize rows of the word-embedding table
 * @param hidden model width d
 * @param layers number of encoder layers
 * @param heads attention heads (d must be a multiple)
 * @param intermediate FFN width
 * @param maxPositions rows of the position-embedding table (longest sequence)
 * @param typeVocabSize rows of the token-type table
 * @param layerNormEps epsilon inside every LayerNorm's square root
 */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions,
                         int typeVocabSize, float layerNormEps) {
    /** all-MiniLM-L6-v2 (sentence-transformers): 6 layers, d = 384, 12 heads of 32, FFN 1536. */
    public static final BertConfig MINI_LM_L6 = new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f);

    public BertConfig {
        if (vocabSize < 1 || hidden < 1 || layers < 0 || heads < 1 || intermediate < 1 || maxPositions < 1 || typeVocabSize < 1) {
            throw new LowbitException("invalid BERT config " + this);
        }
        if (hidden % heads != 0) {
            throw new LowbitException("hidden size " + hidden + " is not a multiple of the head count " + heads);
        }
        if (!(layerNormEps > 0)) {
            throw new LowbitException("LayerNorm epsilon must be > 0, got " + layerNormEps);
        }
    }

    public int headDim() {
        return hidden / heads;
    }
}
