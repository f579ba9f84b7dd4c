package dev.lowbit.train;

import dev.lowbit.LowbitException;
import dev.lowbit.autograd.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay and global-norm gradient clipping. State (moments and step) is
 * exposed for checkpoints.
 */
public final class AdamW {
    public final double beta1;
    public final double beta2;
    public final double eps;
    public final double weightDecay;
    public final double clipNorm;
    final Map<String, float[]> m = new LinkedHashMap<>();
    final Map<String, float[]> v = new LinkedHashMap<>();
    long step;

    public AdamW(double beta1, double beta2, double eps, double weightDecay, double clipNorm) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.clipNorm = clipNorm;
    }

    /** One update of every parameter of {@code model} with learning rate {@code lr}; returns the gradient norm. */
    public double step(Model model, double lr) {
        return step(model, new QuantizerParams(), lr);
    }

    /**
     * One update of every parameter of {@code model} and of the policy's quantizer parameters {@code quant}
     * (learned LSQ steps: no weight decay, learning rate × {@link QuantizerParams#LR_SCALE}; their gradients
     * count in the global norm that is clipped, as with any parameter); returns the gradient norm.
     */
    public double step(Model model, QuantizerParams quant, double lr) {
        List<Tensor> all = new ArrayList<>(model.params().values());
        all.addAll(quant.params().values());
        double sq = 0;
        for (Tensor p : all) {
            if (p.hasGrad()) {
                for (float g : p.grad()) {
                    sq += (double) g * g;
                }
            }
        }
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(norm)) {
            throw new LowbitException("gradient norm is " + norm + ": training diverged");
        }
        double clip = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        for (Tensor p : all) {
            if (!p.hasGrad()) {
                continue;
            }
            float[] mm = m.computeIfAbsent(p.name(), k -> new float[p.size()]);
            float[] vv = v.computeIfAbsent(p.name(), k -> new float[p.size()]);
            float[] g = p.grad();
            float[] w = p.data;
            boolean isQuant = p.name().startsWith(QuantizerParams.PREFIX);
            double decay = !isQuant && model.decays(p) ? lr * weightDecay : 0;
            double lrp = isQuant ? lr * QuantizerParams.LR_SCALE : lr;
            for (int i = 0; i < w.length; i++) {
                double gi = g[i] * clip;
                mm[i] = (float) (beta1 * mm[i] + (1 - beta1) * gi);
                vv[i] = (float) (beta2 * vv[i] + (1 - beta2) * gi * gi);
                double upd = (mm[i] / bc1) / (Math.sqrt(vv[i] / bc2) + eps);
                w[i] = (float) (w[i] - decay * w[i] - lrp * upd);
            }
        }
        return norm;
    }
}
