package dev.lowbit.autograd;

import dev.lowbit.round.Rng;
import java.util.function.Supplier;

/**
 * Finite-difference gradient checks: for a function of some parameters, compares the autograd gradient
 * of {@code L = Σ f(x)∘R} (R fixed random weights) with central differences
 * {@code (L(x + h) − L(x − h)) / 2h}, with L accumulated in float64.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The largest violation found, as {@code |numeric − analytic| / (atol + rtol·max(|numeric|, |analytic|))}. */
    public static double worst(Supplier<Tensor> f, Tensor[] params, double h, double atol, double rtol, long seed) {
        Tensor out = f.get();
        float[] r = new float[out.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) (Rng.uniform(seed, i) * 2 - 1);
        }
        for (Tensor p : params) {
            p.zeroGrad();
        }
        weightedSum(out, r).backward();
        double worst = 0;
        for (Tensor p : params) {
            float[] analytic = p.grad().clone();
            int step = Math.max(1, p.size() / 24); // a spread-out sample of entries
            for (int i = 0; i < p.size(); i += step) {
                float saved = p.data[i];
                p.data[i] = (float) (saved + h);
                double lp = loss(f.get(), r);
                p.data[i] = (float) (saved - h);
                double lm = loss(f.get(), r);
                p.data[i] = saved;
                double numeric = (lp - lm) / (2 * h);
                double err = Math.abs(numeric - analytic[i]) / (atol + rtol * Math.max(Math.abs(numeric), Math.abs(analytic[i])));
                worst = Math.max(worst, err);
            }
        }
        return worst;
    }

    private static double loss(Tensor out, float[] r) {
        double s = 0;
        for (int i = 0; i < r.length; i++) {
            s += (double) out.data[i] * r[i];
        }
        return s;
    }

    /** {@code Σ x∘r} as a scalar tensor. */
    static Tensor weightedSum(Tensor x, float[] r) {
        double s = loss(x, r);
        Tensor out = Tensor.result(1, 1, new float[] {(float) s}, x);
        out.onBackward(() -> {
            float g = out.grad()[0];
            float[] gx = x.grad();
            for (int i = 0; i < r.length; i++) {
                gx[i] += g * r[i];
            }
        });
        return out;
    }
}
