package dev.lowbit.autograd;

import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.train.GemmExecutor;
import dev.lowbit.train.GemmRole;

/**
 * Differentiable ops. Each computes its forward value and registers its backward closure right next to
 * it; gradients accumulate into the parents' {@code grad()}.
 */
public final class Ops {
    private Ops() {}

    // ------------------------------------------------------------------ linear algebra

    /**
     * {@code y = x·Wᵀ + b} with x N×in, W out×in, b 1×out (or null). Backward: {@code dx = dy·W}
     * (role GRAD_INPUT, NN layout) and {@code dW = dyᵀ·x} (role GRAD_WEIGHT, TN layout), both through the
     * executor (plain float32 runs in those layouts without transposed copies; other specs see dy·(Wᵀ)ᵀ
     * and (dyᵀ)·(xᵀ)ᵀ exactly as before).
     */
    public static Tensor linear(GemmExecutor ex, String layer, Tensor x, Tensor w, Tensor b) {
        FloatMatrix y = ex.gemm(GemmRole.OUTPUT, layer, x.matrix(), w.matrix());
        float[] yd = y.data();
        if (b != null) {
            for (int r = 0; r < x.rows; r++) {
                for (int c = 0; c < w.rows; c++) {
                    yd[r * w.rows + c] += b.data[c];
                }
            }
        }
        Tensor out = Tensor.result(x.rows, w.rows, yd, x, w, b);
        out.onBackward(() -> {
            FloatMatrix dy = out.gradMatrix();
            if (x.requiresGrad()) {
                addInto(x.grad(), ex.gemm(GemmRole.GRAD_INPUT, layer, GemmLayout.NN, dy, w.matrix()).data());
            }
            if (w.requiresGrad()) {
                addInto(w.grad(), ex.gemm(GemmRole.GRAD_WEIGHT, layer, GemmLayout.TN, dy, x.matrix()).data());
            }
            if (b != null && b.requiresGrad()) {
                float[] db = b.grad();
                float[] g = out.grad();
                for (int r = 0; r < out.rows; r++) {
                    for (int c = 0; c < out.cols; c++) {
                        db[c] += g[r * out.cols + c];
                    }
                }
            }
        });
        return out;
    }

    /** A compact transposed copy (blocked 32×32 so both sides stay in cache). */
    public static FloatMatrix transpose(FloatMatrix m) {
        int rows = m.rows();
        int cols = m.cols();
        FloatMatrix t = FloatMatrix.zeros(cols, rows);
        float[] td = t.data();
        float[] md = m.data();
        for (int r0 = 0; r0 < rows; r0 += 32) {
            for (int c0 = 0; c0 < cols; c0 += 32) {
                int r1 = Math.min(rows, r0 + 32);
                int c1 = Math.min(cols, c0 + 32);
                for (int r = r0; r < r1; r++) {
                    int src = m.index(r, 0);
                    for (int c = c0; c < c1; c++) {
                        td[c * rows + r] = md[src + c];
                    }
                }
            }
        }
        return t;
    }

    static void addInto(float[] acc, float[] v) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += v[i];
        }
    }

    // ------------------------------------------------------------------ element-wise

    public static Tensor add(Tensor a, Tensor b) {
        checkSame(a, b);
        float[] y = new float[a.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = a.data[i] + b.data[i];
        }
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
        for (int i = 0; i < y.length; i++) {
            y[i] = a.data[i] * b.data[i];
        }
        Tensor out = Tensor.result(a.rows, a.cols, y, a, b);
        out.onBackward(() -> {
            float[] g = out.grad();
            if (a.requiresGrad()) {
                float[] ga = a.grad();
                for (int i = 0; i < g.length; i++) {
                    ga[i] += g[i] * b.data[i];
                }
            }
            if (b.requiresGrad()) {
                float[] gb = b.grad();
                for (int i = 0; i < g.length; i++) {
                    gb[i] += g[i] * a.data[i];
                }
            }
        });
        return out;
    }

    private static void checkSame(Tensor a, Tensor b) {
        if (a.rows != b.rows || a.cols != b.cols) {
            throw new IllegalArgumentException("shapes differ: " + a + " and " + b);
        }
    }

    private static final double INV_SQRT2 = 1 / Math.sqrt(2);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    /** GELU with erf (not the tanh approximation): {@code 0.5·x·(1 + erf(x/√2))}, erf to 1.5e-7. */
    public static Tensor gelu(Tensor x) {
        float[] y = new float[x.size()];
        for (int i = 0; i < y.length; i++) {
            double v = x.data[i];
            y[i] = (float) (0.5 * v * (1 + Erf.erfFloat(v * INV_SQRT2)));
        }
        Tensor out = Tensor.result(x.rows, x.cols, y, x);
        out.onBackward(() -> {
            float[] g = out.grad();
            float[] gx = x.grad();
            for (int i = 0; i < g.length; i++) {
                double v = x.data[i];
                double d = 0.5 * (1 + Erf.erfFloat(v * INV_SQRT2)) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
                gx[i] += (float) (g[i] * d);
            }
        });
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

    /** Row-wise LayerNorm: {@code (x − mean)/sqrt(var + eps)·gamma + beta} with gamma, beta 1×C. */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        int n = x.rows;
        int c = x.cols;
        float[] y = new float[x.size()];
        float[] xhat = new float[x.size()];
        float[] rstd = new float[n];
        for (int r = 0; r < n; r++) {
            double mean = 0;
            for (int j = 0; j < c; j++) {
                mean += x.data[r * c + j];
            }
            mean /= c;
            double var = 0;
            for (int j = 0; j < c; j++) {
                double d = x.data[r * c + j] - mean;
                var += d * d;
            }
            var /= c;
            double rs = 1 / Math.sqrt(var + eps);
            rstd[r] = (float) rs;
            for (int j = 0; j < c; j++) {
                float xh = (float) ((x.data[r * c + j] - mean) * rs);
                xhat[r * c + j] = xh;
                y[r * c + j] = xh * gamma.data[j] + beta.data[j];
            }
        }
        Tensor out = Tensor.result(n, c, y, x, gamma, beta);
        out.onBackward(() -> {
            float[] g = out.grad();
            float[] gg = gamma.requiresGrad() ? gamma.grad() : null;
            float[] gb = beta.requiresGrad() ? beta.grad() : null;
            float[] gx = x.requiresGrad() ? x.grad() : null;
            for (int r = 0; r < n; r++) {
                double sumD = 0;
                double sumDx = 0;
                for (int j = 0; j < c; j++) {
                    int i = r * c + j;
                    double d = g[i] * gamma.data[j];
                    sumD += d;
                    sumDx += d * xhat[i];
                    if (gg != null) {
                        gg[j] += g[i] * xhat[i];
                    }
                    if (gb != null) {
                        gb[j] += g[i];
                    }
                }
                if (gx != null) {
                    double mD = sumD / c;
                    double mDx = sumDx / c;
                    for (int j = 0; j < c; j++) {
                        int i = r * c + j;
                        gx[i] += (float) (rstd[r] * (g[i] * gamma.data[j] - mD - xhat[i] * mDx));
                    }
                }
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
                for (int j = 0; j < d; j++) {
                    gt[ids[i] * d + j] += g[i * d + j];
                }
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
        float[] y = x.data.clone();
        for (int r = 0; r < x.rows; r++) {
            int p = r % t;
            for (int j = 0; j < d; j++) {
                y[r * d + j] += pos.data[p * d + j];
            }
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
                    int p = r % t;
                    for (int j = 0; j < d; j++) {
                        gp[p * d + j] += g[r * d + j];
                    }
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
     * Mean cross-entropy of logits (N×V) against targets; the softmax is two-pass (max, then sum of
     * exponentials) in float64. Backward: (softmax − onehot)/N.
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets) {
        int n = logits.rows;
        int v = logits.cols;
        float[] probs = new float[n * v];
        double loss = 0;
        for (int r = 0; r < n; r++) {
            double lse = Softmax.rowInto(logits.data, r * v, v, probs, r * v);
            loss += lse - logits.data[r * v + targets[r]];
        }
        Tensor out = Tensor.result(1, 1, new float[] {(float) (loss / n)}, logits);
        out.onBackward(() -> {
            float g = out.grad()[0] / n;
            float[] gl = logits.grad();
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < v; j++) {
                    gl[r * v + j] += g * (probs[r * v + j] - (j == targets[r] ? 1 : 0));
                }
            }
        });
        return out;
    }
}
