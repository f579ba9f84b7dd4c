package dev.lowbit.autograd;

import dev.lowbit.numeric.VectorMath;
import dev.lowbit.numeric.VectorMaths;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.round.Rng;
import dev.lowbit.tensor.FloatMatrix;
import java.util.Arrays;

/**
 * Differentiable ops. Each computes its forward value and registers its backward closure right next to
 * it; gradients accumulate into the parents' {@code grad()}.
 */
public final class Ops {
    /** Element-wise and row-wise math (GELU, LayerNorm, softmax, adds): the same bits on every implementation. */
    static final VectorMath VM = VectorMaths.preferred();

    private Ops() {}

    // ------------------------------------------------------------------ linear algebra

    /**
     * {@code y = x·Wᵀ + b} with x N×in, W out×in, b 1×out (or null). Backward: {@code dx = dy·W}
     * (role GRAD_INPUT) and {@code dW = dyᵀ·x} (role GRAD_WEIGHT), both through the forward GEMM's handle
     * ({@link Matmul#forward}): plain float32 runs them in the NN and TN layouts without transposed
     * copies, other specs see dy·(Wᵀ)ᵀ and (dyᵀ)·(xᵀ)ᵀ, and a policy with learned quantizer state (LSQ
     * steps) reuses the forward's quantized operands and gives its steps their gradients there.
     */
    public static Tensor linear(Matmul ex, String layer, Tensor x, Tensor w, Tensor b) {
        Matmul.Forward fwd = ex.forward(GemmSite.LINEAR, layer, x.matrix(), w.matrix());
        float[] yd = fwd.out().data();
        if (b != null) {
            for (int r = 0; r < x.rows; r++) {
                VM.add(yd, r * w.rows, b.data, 0, yd, r * w.rows, w.rows);
            }
        }
        Tensor out = Tensor.result(x.rows, w.rows, yd, x, w, b);
        out.onBackward(() -> {
            FloatMatrix dy = out.gradMatrix();
            if (x.requiresGrad()) {
                addInto(x.grad(), fwd.gradLhs(dy).data());
            }
            if (w.requiresGrad()) {
                addInto(w.grad(), fwd.gradRhs(dy).data());
            }
            if (b != null && b.requiresGrad()) {
                float[] db = b.grad();
                float[] g = out.grad();
                for (int r = 0; r < out.rows; r++) {
                    VM.add(db, 0, g, r * out.cols, db, 0, out.cols);
                }
            }
        });
        return out;
    }

    /** A compact transposed copy ({@link VectorMath#transpose}: cache-blocked, 8 source rows per pass). */
    public static FloatMatrix transpose(FloatMatrix m) {
        FloatMatrix t = FloatMatrix.zeros(m.cols(), m.rows());
        if (m.rows() > 0 && m.cols() > 0) {
            VM.transpose(m.data(), m.index(0, 0), m.stride(), m.rows(), m.cols(), t.data(), 0, m.rows());
        }
        return t;
    }

    static void addInto(float[] acc, float[] v) {
        VM.add(acc, 0, v, 0, acc, 0, acc.length);
    }

    // ------------------------------------------------------------------ element-wise

    public static Tensor add(Tensor a, Tensor b) {
        checkSame(a, b);
        float[] y = new float[a.size()];
        VM.add(a.data, 0, b.data, 0, y, 0, y.length);
        Tensor out = Tensor.result(a.rows, a.cols, y, a, b);
        out.onBackward(() -> {
            if (a.requiresGrad()) {
                addInto(a.grad(), out.grad());
            }
            if (b.requiresGrad()) {
                addInto(b.grad(), out.grad());
            }
        });
        return out;
    }

    public static Tensor mul(Tensor a, Tensor b) {
        checkSame(a, b);
        float[] y = new float[a.size()];
        VM.mul(a.data, 0, b.data, 0, y, 0, y.length);
        Tensor out = Tensor.result(a.rows, a.cols, y, a, b);
        out.onBackward(() -> {
            float[] g = out.grad();
            if (a.requiresGrad()) {
                VM.fmaInto(g, 0, b.data, 0, a.grad(), 0, g.length);
            }
            if (b.requiresGrad()) {
                VM.fmaInto(g, 0, a.data, 0, b.grad(), 0, g.length);
            }
        });
        return out;
    }

    private static void checkSame(Tensor a, Tensor b) {
        if (a.rows != b.rows || a.cols != b.cols) {
            throw new IllegalArgumentException("shapes differ: " + a + " and " + b);
        }
    }

    /**
     * GELU with erf (not the tanh approximation): {@code x·Φ(x)}, Φ(x) = ½(1 + erf(x/√2)), by
     * {@link VectorMath#gelu} (Φ to 3e-7 absolute); backward {@code dx += dy·(Φ(x) + x·φ(x))}.
     */
    public static Tensor gelu(Tensor x) {
        float[] y = new float[x.size()];
        VM.gelu(x.data, 0, y, 0, y.length);
        Tensor out = Tensor.result(x.rows, x.cols, y, x);
        out.onBackward(() -> VM.geluBackward(x.data, 0, out.grad(), 0, x.grad(), 0, x.size()));
        return out;
    }

    /** Inverted dropout with a counter-based mask (seed, element): the same bits for any thread count. */
    public static Tensor dropout(Tensor x, double p, long seed) {
        if (p <= 0) {
            return x;
        }
        float[] mask = new float[x.size()];
        float keep = (float) (1 / (1 - p));
        for (int i = 0; i < mask.length; i++) {
            mask[i] = Rng.uniform(seed, i) < p ? 0 : keep;
        }
        return mul(x, Tensor.constant(x.rows, x.cols, mask));
    }

    // ------------------------------------------------------------------ normalization, embeddings

    /**
     * Row-wise LayerNorm: {@code (x − mean)/sqrt(var + eps)·gamma + beta} with gamma, beta 1×C, by
     * {@link VectorMath#layerNorm} and {@link VectorMath#layerNormBackward} (float32, 16-partial sums).
     */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        int n = x.rows;
        int c = x.cols;
        float[] y = new float[x.size()];
        float[] xhat = new float[x.size()];
        float[] rstd = new float[n];
        float e = (float) eps;
        for (int r = 0; r < n; r++) {
            rstd[r] = VM.layerNorm(x.data, r * c, gamma.data, beta.data, e, y, r * c, xhat, r * c, c);
        }
        Tensor out = Tensor.result(n, c, y, x, gamma, beta);
        out.onBackward(() -> {
            float[] g = out.grad();
            float[] gg = gamma.requiresGrad() ? gamma.grad() : null;
            float[] gb = beta.requiresGrad() ? beta.grad() : null;
            float[] gx = x.requiresGrad() ? x.grad() : null;
            for (int r = 0; r < n; r++) {
                VM.layerNormBackward(g, r * c, xhat, r * c, gamma.data, rstd[r], gx, r * c, gg, gb, c);
            }
        });
        return out;
    }

    /** Rows {@code ids} of {@code table} (V×D) → N×D; backward scatter-adds. */
    public static Tensor embedding(Tensor table, int[] ids) {
        int d = table.cols;
        float[] y = new float[ids.length * d];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= table.rows) {
                throw new IllegalArgumentException("token id " + ids[i] + " outside 0.." + (table.rows - 1));
            }
            System.arraycopy(table.data, ids[i] * d, y, i * d, d);
        }
        Tensor out = Tensor.result(ids.length, d, y, table);
        out.onBackward(() -> {
            float[] g = out.grad();
            float[] gt = table.grad();
            for (int i = 0; i < ids.length; i++) {
                VM.add(gt, ids[i] * d, g, i * d, gt, ids[i] * d, d);
            }
        });
        return out;
    }

    /** {@code x[b·T + t] + pos[t]} for x (B·T)×D and pos (≥T)×D. */
    public static Tensor addPositional(Tensor x, Tensor pos, int t) {
        int d = x.cols;
        if (x.rows % t != 0 || pos.rows < t || pos.cols != d) {
            throw new IllegalArgumentException("positional: " + x + " with T=" + t + " and " + pos);
        }
        float[] y = new float[x.size()];
        for (int r = 0; r < x.rows; r++) {
            VM.add(x.data, r * d, pos.data, (r % t) * d, y, r * d, d);
        }
        Tensor out = Tensor.result(x.rows, d, y, x, pos);
        out.onBackward(() -> {
            float[] g = out.grad();
            if (x.requiresGrad()) {
                addInto(x.grad(), g);
            }
            if (pos.requiresGrad()) {
                float[] gp = pos.grad();
                for (int r = 0; r < x.rows; r++) {
                    VM.add(gp, (r % t) * d, g, r * d, gp, (r % t) * d, d);
                }
            }
        });
        return out;
    }

    /** Puts {@code cls} (1×D) before each group of P rows of x (B·P)×D → (B·(P+1))×D. */
    public static Tensor prependToken(Tensor x, Tensor cls, int p) {
        int d = x.cols;
        int b = x.rows / p;
        float[] y = new float[b * (p + 1) * d];
        for (int i = 0; i < b; i++) {
            System.arraycopy(cls.data, 0, y, i * (p + 1) * d, d);
            System.arraycopy(x.data, i * p * d, y, (i * (p + 1) + 1) * d, p * d);
        }
        Tensor out = Tensor.result(b * (p + 1), d, y, x, cls);
        out.onBackward(() -> {
            float[] g = out.grad();
            for (int i = 0; i < b; i++) {
                if (cls.requiresGrad()) {
                    float[] gc = cls.grad();
                    for (int j = 0; j < d; j++) {
                        gc[j] += g[i * (p + 1) * d + j];
                    }
                }
                if (x.requiresGrad()) {
                    float[] gx = x.grad();
                    for (int j = 0; j < p * d; j++) {
                        gx[i * p * d + j] += g[(i * (p + 1) + 1) * d + j];
                    }
                }
            }
        });
        return out;
    }

    /** Rows {@code idx} of x. */
    public static Tensor selectRows(Tensor x, int[] idx) {
        int d = x.cols;
        float[] y = new float[idx.length * d];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(x.data, idx[i] * d, y, i * d, d);
        }
        Tensor out = Tensor.result(idx.length, d, y, x);
        out.onBackward(() -> {
            float[] g = out.grad();
            float[] gx = x.grad();
            for (int i = 0; i < idx.length; i++) {
                for (int j = 0; j < d; j++) {
                    gx[idx[i] * d + j] += g[i * d + j];
                }
            }
        });
        return out;
    }

    // ------------------------------------------------------------------ loss

    /**
     * Mean cross-entropy of logits (N×V) against targets; the softmax is {@link VectorMath#softmax} (two
     * passes, float32), the loss {@code Σ (lse_r − logit_r,target)/N} in float64. Backward: (softmax − onehot)/N.
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets) {
        int n = logits.rows;
        int v = logits.cols;
        float[] probs = new float[n * v];
        double loss = 0;
        for (int r = 0; r < n; r++) {
            double lse = VM.softmax(logits.data, r * v, 1f, probs, r * v, v);
            loss += lse - logits.data[r * v + targets[r]];
        }
        Tensor out = Tensor.result(1, 1, new float[] {(float) (loss / n)}, logits);
        out.onBackward(() -> {
            float g = out.grad()[0] / n;
            float[] gl = logits.grad();
            float[] d = probs.clone();
            for (int r = 0; r < n; r++) {
                d[r * v + targets[r]] -= 1;
            }
            // gl += g·(p − onehot), one rounding per element
            float[] gs = new float[v];
            Arrays.fill(gs, g);
            for (int r = 0; r < n; r++) {
                VM.fmaInto(gs, 0, d, r * v, gl, r * v, v);
            }
        });
        return out;
    }
}
