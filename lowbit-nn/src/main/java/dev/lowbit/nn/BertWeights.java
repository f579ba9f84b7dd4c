package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import java.util.List;

/**
 * All parameters of a BERT encoder, shapes checked against the config on construction.
 *
 * @param wordEmbeddings vocabSize × hidden
 * @param positionEmbeddings maxPositions × hidden
 * @param tokenTypeEmbeddings typeVocabSize × hidden
 */
public record BertWeights(BertConfig config, FloatMatrix wordEmbeddings, FloatMatrix positionEmbeddings,
                          FloatMatrix tokenTypeEmbeddings, LayerNormWeights embeddingNorm, List<BertLayerWeights> layers) {
    public BertWeights {
        layers = List.copyOf(layers);
        int d = config.hidden();
        checkTable("word embeddings", wordEmbeddings, config.vocabSize(), d);
        checkTable("position embeddings", positionEmbeddings, config.maxPositions(), d);
        checkTable("token type embeddings", tokenTypeEmbeddings, config.typeVocabSize(), d);
        embeddingNorm.check("embeddings", d);
        if (layers.size() != config.layers()) {
            throw new LowbitException("BERT weights: " + layers.size() + " layers, config says " + config.layers());
        }
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).check(i, config);
        }
    }

    private static void checkTable(String what, FloatMatrix t, int rows, int cols) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new LowbitException("BERT weights: " + what + " are " + t.shapeString() + ", expected " + rows + "x" + cols);
        }
    }

    /** Number of float parameters. */
    public long parameterCount() {
        long n = wordEmbeddings.size() + positionEmbeddings.size() + tokenTypeEmbeddings.size() + 2L * config.hidden();
        for (BertLayerWeights l : layers) {
            for (GemmRole r : GemmRole.LINEAR) {
                LinearWeights w = l.linear(r);
                n += w.weight().size() + w.bias().length;
            }
            n += 4L * config.hidden();
        }
        return n;
    }
}
