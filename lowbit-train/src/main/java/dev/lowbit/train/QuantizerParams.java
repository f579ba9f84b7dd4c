package dev.lowbit.train;

import dev.lowbit.LowbitException;
import dev.lowbit.autograd.Tensor;
import dev.lowbit.policy.GemmKey;
import dev.lowbit.policy.OperandSpec;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;

/**
 * Trainable state that belongs to a precision policy rather than to the model: today the learned LSQ steps
 * of {@link OperandSpec.LsqLearned}, one 1×1 parameter per (layer, role, operand). A {@link GemmExecutor}
 * owns one; the trainer hands these parameters to the optimizer (no weight decay, learning rate ×
 * {@link #LR_SCALE}) and to checkpoints next
 * to the model's, so a new recipe with learned quantizer state needs no change to model code.
 *
 * <p>Parameters are created on the first forward GEMM that needs them (initialized from that operand) and
 * kept sorted by name, so iteration order — and with it the optimizer's gradient-norm sum — does not depend
 * on creation order (a resumed run restores them before its first forward).
 */
public final class QuantizerParams {
    /** Name prefix that keeps quantizer parameters apart from model parameters in the optimizer and checkpoints. */
    public static final String PREFIX = "quant:";

    /**
     * Learning-rate multiplier for quantizer parameters. AdamW moves every parameter by about the learning rate
     * per step whatever its gradient's scale (LSQ's gradient scale 1/√(n·7) does not slow it), and weight steps
     * are only 0.006–0.012 in the kjv-gpt model, so at the full rate (2e-3) they swing by tens of percent per
     * step. 0.1 was measured better than 1 for both int4-hq and int4-hq-linear (docs/training.md).
     */
    public static final double LR_SCALE = 0.1;

    private final Map<String, Tensor> params = new TreeMap<>();

    /** Every parameter by name, in name order; a parameter is present once it has been initialized. */
    public Map<String, Tensor> params() {
        return Collections.unmodifiableMap(params);
    }

    /** The name of the step of {@code side} ("lhs" or "rhs") of GEMM {@code role} in {@code layer} (named by its role label). */
    public static String stepName(String layer, GemmKey role, String side) {
        return PREFIX + layer + "/" + role.label() + "/" + side + ".lsq-step";
    }

    /**
     * The parameter {@code name}, created with the value {@code init} supplies when absent. Any stored value
     * is made positive first (LSQ re-applies {@code |s|} on every forward, as the paper's code does).
     */
    Tensor step(String name, DoubleSupplier init) {
        Tensor t = params.get(name);
        if (t == null) {
            t = Tensor.param(name, 1, 1, new float[] {(float) init.getAsDouble()});
            params.put(name, t);
        }
        float s = Math.abs(t.data[0]);
        if (!(s > 0) || !Float.isFinite(s)) {
            throw new LowbitException(name.substring(PREFIX.length()) + " is " + t.data[0] + ": the LSQ step must be positive and finite (training diverged?)");
        }
        t.data[0] = s;
        return t;
    }

    /** Puts a parameter with the given values (a checkpoint being restored). */
    void restore(String name, float[] values) {
        if (!name.startsWith(PREFIX)) {
            throw new LowbitException("not a quantizer parameter: " + name);
        }
        params.put(name, Tensor.param(name, values.length, 1, values.clone()));
    }

    /** Zeroes every parameter's gradient. */
    public void zeroGrad() {
        for (Tensor t : params.values()) {
            t.zeroGrad();
        }
    }
}
