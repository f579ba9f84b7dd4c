package dev.lowbit.train;

import dev.lowbit.LowbitException;
import dev.lowbit.autograd.Ops;
import dev.lowbit.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A Vision Transformer classifier for square grayscale images: non-overlapping p×p patches, a linear
 * patch embedding (float32, as in the paper's ViT code), a CLS token, learned positions, pre-norm
 * blocks, final LayerNorm and a linear head on the CLS token (quantized like every other linear).
 */
public final class Vit extends Model {
    public record Config(int imageSize, int patch, int classes, int layers, int dim, int heads) {
        public int patches() {
            return (imageSize / patch) * (imageSize / patch);
        }
    }

    public final Config config;
    private final Tensor patchW;
    private final Tensor patchB;
    private final Tensor cls;
    private final Tensor pos;
    private final List<Block> blocks = new ArrayList<>();
    private final Tensor lnfg;
    private final Tensor lnfb;
    private final Tensor headW;
    private final Tensor headB;

    public Vit(Config c, long seed) {
        super(seed);
        if (c.imageSize() % c.patch() != 0 || c.dim() % c.heads() != 0) {
            throw new LowbitException("ViT: image size must be a multiple of the patch size and width a multiple of heads");
        }
        this.config = c;
        int pp = c.patch() * c.patch();
        patchW = normal("patch.w", c.dim(), pp, 1 / Math.sqrt(pp));
        patchB = constant("patch.b", 1, c.dim(), 0);
        cls = normal("cls", 1, c.dim(), 0.02);
        pos = normal("pos", c.patches() + 1, c.dim(), 0.02);
        for (int l = 0; l < c.layers(); l++) {
            blocks.add(new Block(this, "h" + l, c.dim(), c.heads(), c.layers()));
        }
        lnfg = constant("lnf.g", 1, c.dim(), 1);
        lnfb = constant("lnf.b", 1, c.dim(), 0);
        headW = normal("head.w", c.classes(), c.dim(), 0.02);
        headB = constant("head.b", 1, c.classes(), 0);
    }

    /** Images (B × size²) → patch rows ((B·P) × p²), row-major patches. */
    float[] patchify(float[] images, int batch) {
        int s = config.imageSize();
        int p = config.patch();
        int per = s / p;
        float[] out = new float[batch * config.patches() * p * p];
        int o = 0;
        for (int b = 0; b < batch; b++) {
            for (int py = 0; py < per; py++) {
                for (int px = 0; px < per; px++) {
                    for (int y = 0; y < p; y++) {
                        for (int x = 0; x < p; x++) {
                            out[o++] = images[b * s * s + (py * p + y) * s + px * p + x];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Class logits (B × classes). */
    public Tensor logits(GemmExecutor ex, GemmExecutor fp32, float[] images, int batch) {
        int np = config.patches();
        int pp = config.patch() * config.patch();
        Tensor patches = Tensor.constant(batch * np, pp, patchify(images, batch));
        Tensor x = Ops.linear(fp32, "patch", patches, patchW, patchB);
        x = Ops.addPositional(Ops.prependToken(x, cls, np), pos, np + 1);
        for (Block b : blocks) {
            x = b.forward(ex, x, batch, np + 1, false);
        }
        x = Ops.layerNorm(x, lnfg, lnfb, 1e-5);
        int[] clsRows = new int[batch];
        for (int b = 0; b < batch; b++) {
            clsRows[b] = b * (np + 1);
        }
        return Ops.linear(ex, "head", Ops.selectRows(x, clsRows), headW, headB);
    }
}
