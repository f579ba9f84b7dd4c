package dev.lowbit.nn;

/**
 * One post-LayerNorm encoder layer:
 * <pre>
 *   a = LN1(x + O(Attention(Q x, K x, V x)))
 *   y = LN2(a + FFN2(GELU(FFN1 a)))
 * </pre>
 */
public record BertLayerWeights(LinearWeights query, LinearWeights key, LinearWeights value, LinearWeights attentionOutput,
                               LayerNormWeights attentionNorm, LinearWeights intermediate, LinearWeights output,
                               LayerNormWeights outputNorm) {

    void check(int layer, BertConfig c) {
        String p = "layer " + layer + " ";
        query.check(p + "query", c.hidden(), c.hidden());
        key.check(p + "key", c.hidden(), c.hidden());
        value.check(p + "value", c.hidden(), c.hidden());
        attentionOutput.check(p + "attention output", c.hidden(), c.hidden());
        attentionNorm.check(p + "attention LayerNorm", c.hidden());
        intermediate.check(p + "intermediate (FFN1)", c.intermediate(), c.hidden());
        output.check(p + "output (FFN2)", c.hidden(), c.intermediate());
        outputNorm.check(p + "output LayerNorm", c.hidden());
    }

    /** The six linear layers in {@link GemmRole} order Q, K, V, O, FFN1, FFN2. */
    public LinearWeights linear(GemmRole role) {
        return switch (role) {
            case Q -> query;
            case K -> key;
            case V -> value;
            case O -> attentionOutput;
            case FFN1 -> intermediate;
            case FFN2 -> output;
            case QK, PV -> throw new IllegalArgumentException(role + " has no weight");
        };
    }
}
