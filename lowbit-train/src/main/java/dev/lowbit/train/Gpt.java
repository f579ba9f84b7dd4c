package dev.lowbit.train;

import dev.lowbit.LowbitException;
import dev.lowbit.autograd.Ops;
import dev.lowbit.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A GPT decoder for causal language modelling: token + learned position embeddings, pre-norm blocks
 * with causal attention, a final LayerNorm and an LM head. The LM head runs in float32 (as in the
 * parity experiments of measurements.md); every other GEMM follows the policy.
 */
public final class Gpt extends Model {
    /** Shape of the model. */
    public record Config(int vocab, int context, int layers, int dim, int heads) {}

    public final Config config;
    private final Tensor tok;
    private final Tensor pos;
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor lnfg;
    private final Tensor lnfb;
    private final Tensor head;

    public Gpt(Config c, long seed) {
        super(seed);
        if (c.dim() % c.heads() != 0) {
            throw new LowbitException("model width " + c.dim() + " is not a multiple of heads " + c.heads());
        }
        this.config = c;
        tok = normal("tok", c.vocab(), c.dim(), 0.02);
        pos = normal("pos", c.context(), c.dim(), 0.02);
        for (int l = 0; l < c.layers(); l++) {
            blocks.add(new Block(this, "h" + l, c.dim(), c.heads(), c.layers()));
        }
        lnfg = constant("lnf.g", 1, c.dim(), 1);
        lnfb = constant("lnf.b", 1, c.dim(), 0);
        head = normal("head.w", c.vocab(), c.dim(), 0.02);
    }

    /** Logits ((B·T)×V) for token ids laid out as B rows of T. */
    public Tensor logits(GemmExecutor ex, GemmExecutor headEx, int[] ids, int batch, int t) {
        Tensor x = Ops.addPositional(Ops.embedding(tok, ids), pos, t);
        for (Block b : blocks) {
            x = b.forward(ex, x, batch, t, true);
        }
        x = Ops.layerNorm(x, lnfg, lnfb, 1e-5);
        return Ops.linear(headEx, "head", x, head, null);
    }

    public Tensor loss(GemmExecutor ex, GemmExecutor headEx, int[] ids, int[] targets, int batch, int t) {
        return Ops.crossEntropy(logits(ex, headEx, ids, batch, t), targets);
    }
}
