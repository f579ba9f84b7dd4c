package dev.lowbit.autograd;

import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.tensor.FloatMatrix;

/**
 * Multi-head scaled dot-product attention as one differentiable op, with every GEMM through the
 * executor: per sequence b and head h, {@code S = Q·Kᵀ/√d} (site ATTN_SCORE), causal mask, two-pass
 * softmax P ({@link dev.lowbit.numeric.VectorMath#softmax}, the 1/√d folded in), {@code O = P·V} (site ATTN_VALUE). Backward:
 * {@code dP = dO·Vᵀ} (ATTN_VALUE, GRAD_INPUT), {@code dVᵀ = dOᵀ·P} (ATTN_VALUE, GRAD_WEIGHT),
 * {@code dS = P∘(dP − rowsum(dP∘P))/√d}, {@code dQ = dS·K} (ATTN_SCORE, GRAD_INPUT), {@code dK = dSᵀ·Q}
 * (ATTN_SCORE, GRAD_WEIGHT) — the gradient is always the left operand.
 */
public final class Attention {
    private Attention() {}

    /**
     * @param qkv (B·T)×3D: queries, keys and values side by side
     * @return (B·T)×D
     */
    public static Tensor apply(Matmul ex, String layer, Tensor qkv, int batch, int t, int heads, boolean causal) {
        int d = qkv.cols / 3;
        int dh = d / heads;
        if (qkv.cols != 3 * d || d % heads != 0 || qkv.rows != batch * t) {
            throw new IllegalArgumentException("attention: " + qkv + " with B=" + batch + " T=" + t + " heads=" + heads);
        }
        if (allPlainFp32(ex)) {
            return batched(ex, layer, qkv, batch, t, heads, causal);
        }
        FloatMatrix all = qkv.matrix();
        float scale = (float) (1 / Math.sqrt(dh));
        float[] out = new float[batch * t * d];
        float[][] probs = new float[batch * heads][];
        Matmul.Forward[] scores = new Matmul.Forward[batch * heads];
        Matmul.Forward[] values = new Matmul.Forward[batch * heads];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                FloatMatrix q = all.view(b * t, h * dh, t, dh);
                FloatMatrix k = all.view(b * t, d + h * dh, t, dh);
                FloatMatrix v = all.view(b * t, 2 * d + h * dh, t, dh);
                scores[b * heads + h] = ex.forward(GemmSite.ATTN_SCORE, layer, q, k);
                float[] s = scores[b * heads + h].out().data();
                float[] p = new float[t * t];
                for (int i = 0; i < t; i++) {
                    int len = causal ? i + 1 : t;
                    Ops.VM.softmax(s, i * t, scale, p, i * t, len);
                }
                probs[b * heads + h] = p;
                values[b * heads + h] = ex.forward(GemmSite.ATTN_VALUE, layer, FloatMatrix.wrap(p, t, t), Ops.transpose(v));
                float[] o = values[b * heads + h].out().data();
                for (int i = 0; i < t; i++) {
                    System.arraycopy(o, i * dh, out, (b * t + i) * d + h * dh, dh);
                }
            }
        }
        Tensor res = Tensor.result(batch * t, d, out, qkv);
        res.onBackward(() -> {
            float[] g = res.grad();
            float[] gqkv = qkv.grad();
            for (int b = 0; b < batch; b++) {
                for (int h = 0; h < heads; h++) {
                    FloatMatrix dOut = FloatMatrix.wrap(g, batch * t, d).view(b * t, h * dh, t, dh);
                    FloatMatrix p = FloatMatrix.wrap(probs[b * heads + h], t, t);
                    Matmul.Forward pv = values[b * heads + h];
                    float[] dp = pv.gradLhs(dOut).data(); // dP = dO·Vᵀ
                    float[] dvT = pv.gradRhs(dOut).data(); // dVᵀ = dOᵀ·P
                    float[] ds = new float[t * t];
                    float[] pd = p.data();
                    for (int i = 0; i < t; i++) {
                        Ops.VM.softmaxBackward(pd, i * t, dp, i * t, scale, ds, i * t, causal ? i + 1 : t);
                    }
                    FloatMatrix dsm = FloatMatrix.wrap(ds, t, t);
                    Matmul.Forward qk = scores[b * heads + h];
                    float[] dq = qk.gradLhs(dsm).data(); // dQ = dS·K
                    float[] dk = qk.gradRhs(dsm).data(); // dK = dSᵀ·Q
                    for (int i = 0; i < t; i++) {
                        int row = (b * t + i) * 3 * d;
                        for (int j = 0; j < dh; j++) {
                            gqkv[row + h * dh + j] += dq[i * dh + j];
                            gqkv[row + d + h * dh + j] += dk[i * dh + j];
                            gqkv[row + 2 * d + h * dh + j] += dvT[j * t + i];
                        }
                    }
                }
            }
        });
        return res;
    }

    /** Whether every pass of both attention sites runs in plain float32. */
    private static boolean allPlainFp32(Matmul ex) {
        for (GemmSite site : new GemmSite[] {GemmSite.ATTN_SCORE, GemmSite.ATTN_VALUE}) {
            for (GemmPass pass : GemmPass.values()) {
                if (!ex.isPlainFp32(site, pass)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The same attention with every GEMM of one kind issued as one batch over all (sequence, head) pairs
     * and in the layout that needs no transposed copies: S = Q·Kᵀ (NT), O = P·V (NN), dP = dO·Vᵀ (NT),
     * dVᵀ = dOᵀ·P (TN), dQ = dS·K (NN), dK = dSᵀ·Q (TN). Used when the attention GEMMs are plain float32,
     * where the layout does not change a bit of the result; the element-wise parts are those of
     * {@link #apply}.
     */
    static Tensor batched(Matmul ex, String layer, Tensor qkv, int batch, int t, int heads, boolean causal) {
        int d = qkv.cols / 3;
        int dh = d / heads;
        int count = batch * heads;
        FloatMatrix all = qkv.matrix();
        float scale = (float) (1 / Math.sqrt(dh));
        FloatMatrix[] q = new FloatMatrix[count];
        FloatMatrix[] k = new FloatMatrix[count];
        FloatMatrix[] v = new FloatMatrix[count];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int i = b * heads + h;
                q[i] = all.view(b * t, h * dh, t, dh);
                k[i] = all.view(b * t, d + h * dh, t, dh);
                v[i] = all.view(b * t, 2 * d + h * dh, t, dh);
            }
        }
        FloatMatrix[] scores = ex.gemmBatch(GemmSite.ATTN_SCORE, GemmPass.FORWARD, layer, GemmLayout.NT, q, k);
        FloatMatrix[] probs = new FloatMatrix[count];
        for (int i = 0; i < count; i++) {
            float[] s = scores[i].data();
            float[] p = new float[t * t];
            for (int r = 0; r < t; r++) {
                Ops.VM.softmax(s, r * t, scale, p, r * t, causal ? r + 1 : t);
            }
            probs[i] = FloatMatrix.wrap(p, t, t);
        }
        FloatMatrix[] o = ex.gemmBatch(GemmSite.ATTN_VALUE, GemmPass.FORWARD, layer, GemmLayout.NN, probs, v);
        float[] out = new float[batch * t * d];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                float[] od = o[b * heads + h].data();
                for (int i = 0; i < t; i++) {
                    System.arraycopy(od, i * dh, out, (b * t + i) * d + h * dh, dh);
                }
            }
        }
        Tensor res = Tensor.result(batch * t, d, out, qkv);
        res.onBackward(() -> {
            FloatMatrix g = FloatMatrix.wrap(res.grad(), batch * t, d);
            float[] gqkv = qkv.grad();
            FloatMatrix[] dOut = new FloatMatrix[count];
            for (int b = 0; b < batch; b++) {
                for (int h = 0; h < heads; h++) {
                    dOut[b * heads + h] = g.view(b * t, h * dh, t, dh);
                }
            }
            FloatMatrix[] dp = ex.gemmBatch(GemmSite.ATTN_VALUE, GemmPass.GRAD_INPUT, layer, GemmLayout.NT, dOut, v);
            FloatMatrix[] dvT = ex.gemmBatch(GemmSite.ATTN_VALUE, GemmPass.GRAD_WEIGHT, layer, GemmLayout.TN, dOut, probs);
            FloatMatrix[] dsm = new FloatMatrix[count];
            for (int i = 0; i < count; i++) {
                float[] dpd = dp[i].data();
                float[] pd = probs[i].data();
                float[] ds = new float[t * t];
                for (int r = 0; r < t; r++) {
                    Ops.VM.softmaxBackward(pd, r * t, dpd, r * t, scale, ds, r * t, causal ? r + 1 : t);
                }
                dsm[i] = FloatMatrix.wrap(ds, t, t);
            }
            FloatMatrix[] dq = ex.gemmBatch(GemmSite.ATTN_SCORE, GemmPass.GRAD_INPUT, layer, GemmLayout.NN, dsm, k);
            FloatMatrix[] dk = ex.gemmBatch(GemmSite.ATTN_SCORE, GemmPass.GRAD_WEIGHT, layer, GemmLayout.TN, dsm, q);
            for (int b = 0; b < batch; b++) {
                for (int h = 0; h < heads; h++) {
                    int idx = b * heads + h;
                    float[] dqd = dq[idx].data();
                    float[] dkd = dk[idx].data();
                    float[] dvd = dvT[idx].data();
                    for (int i = 0; i < t; i++) {
                        int row = (b * t + i) * 3 * d;
                        for (int j = 0; j < dh; j++) {
                            gqkv[row + h * dh + j] += dqd[i * dh + j];
                            gqkv[row + d + h * dh + j] += dkd[i * dh + j];
                            gqkv[row + 2 * d + h * dh + j] += dvd[j * t + i];
                        }
                    }
                }
            }
        });
        return res;
    }
}
