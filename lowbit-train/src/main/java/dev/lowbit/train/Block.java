package dev.lowbit.train;

import dev.lowbit.autograd.Attention;
import dev.lowbit.autograd.Ops;
import dev.lowbit.autograd.Tensor;

/** A pre-norm Transformer block: x + Attn(LN(x)), then x + FFN(LN(x)) with a 4× GELU MLP. */
final class Block {
    final String name;
    final Tensor ln1g;
    final Tensor ln1b;
    final Tensor wqkv;
    final Tensor bqkv;
    final Tensor wo;
    final Tensor bo;
    final Tensor ln2g;
    final Tensor ln2b;
    final Tensor w1;
    final Tensor b1;
    final Tensor w2;
    final Tensor b2;
    final int heads;

    Block(Model m, String name, int d, int heads, int layers) {
        this.name = name;
        this.heads = heads;
        double std = 0.02;
        double projStd = 0.02 / Math.sqrt(2.0 * layers);
        ln1g = m.constant(name + ".ln1.g", 1, d, 1);
        ln1b = m.constant(name + ".ln1.b", 1, d, 0);
        wqkv = m.normal(name + ".attn.qkv.w", 3 * d, d, std);
        bqkv = m.constant(name + ".attn.qkv.b", 1, 3 * d, 0);
        wo = m.normal(name + ".attn.out.w", d, d, projStd);
        bo = m.constant(name + ".attn.out.b", 1, d, 0);
        ln2g = m.constant(name + ".ln2.g", 1, d, 1);
        ln2b = m.constant(name + ".ln2.b", 1, d, 0);
        w1 = m.normal(name + ".ffn.1.w", 4 * d, d, std);
        b1 = m.constant(name + ".ffn.1.b", 1, 4 * d, 0);
        w2 = m.normal(name + ".ffn.2.w", d, 4 * d, projStd);
        b2 = m.constant(name + ".ffn.2.b", 1, d, 0);
    }

    Tensor forward(GemmExecutor ex, Tensor x, int batch, int t, boolean causal) {
        Tensor h = Ops.layerNorm(x, ln1g, ln1b, 1e-5);
        Tensor qkv = Ops.linear(ex, name + ".attn.qkv", h, wqkv, bqkv);
        Tensor a = Attention.apply(ex, name + ".attn", qkv, batch, t, heads, causal);
        x = Ops.add(x, Ops.linear(ex, name + ".attn.out", a, wo, bo));
        h = Ops.layerNorm(x, ln2g, ln2b, 1e-5);
        Tensor f = Ops.gelu(Ops.linear(ex, name + ".ffn.1", h, w1, b1));
        return Ops.add(x, Ops.linear(ex, name + ".ffn.2", f, w2, b2));
    }
}
