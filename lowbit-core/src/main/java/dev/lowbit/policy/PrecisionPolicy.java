package dev.lowbit.policy;

import dev.lowbit.LowbitException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link GemmSpec} for every GEMM of a training step ({@link GemmKey}: site and pass; missing keys run in
 * float32); immutable, resolved once per training run. {@link #specs()} iterates in {@link GemmKey#ALL} order.
 */
public record PrecisionPolicy(String name, Map<GemmKey, GemmSpec> specs) {
    public PrecisionPolicy {
        Map<GemmKey, GemmSpec> m = new LinkedHashMap<>();
        for (GemmKey k : GemmKey.ALL) {
            m.put(k, specs.getOrDefault(k, GemmSpec.FP32));
        }
        specs = Collections.unmodifiableMap(m);
        for (GemmKey r : GemmKey.ALL) {
            GemmSpec s = m.get(r);
            if (r.isBackward()) {
                if (s.lhs() instanceof OperandSpec.LsqLearned || s.rhs() instanceof OperandSpec.LsqLearned
                        || s.lhs() instanceof OperandSpec.Saved) {
                    throw new LowbitException("policy " + name + ": " + r.label() + " is a backward role; a learned LSQ step belongs to "
                            + "the forward GEMM, and only its right operand can be the saved forward operand");
                }
                if (s.rhs() instanceof OperandSpec.Saved && s.hadamard()) {
                    throw new LowbitException("policy " + name + ": " + r.label() + " reuses the forward operand in the forward's basis; "
                            + "it cannot add its own Hadamard transform");
                }
            } else {
                if (s.lhs() instanceof OperandSpec.Saved || s.rhs() instanceof OperandSpec.Saved) {
                    throw new LowbitException("policy " + name + ": " + r.label() + " is a forward role and has no saved operand to reuse");
                }
                boolean learned = s.lhs() instanceof OperandSpec.LsqLearned || s.rhs() instanceof OperandSpec.LsqLearned;
                boolean saved = false;
                for (GemmKey b : r.backwardKeys()) {
                    boolean bs = m.get(b).rhs() instanceof OperandSpec.Saved;
                    saved |= bs;
                    if (learned && !bs) {
                        throw new LowbitException("policy " + name + ": " + r.label() + " learns LSQ steps, so " + b.label()
                                + " must reuse the forward's quantized operand (OperandSpec.Saved) to give the steps a gradient");
                    }
                }
                if (saved && s.exec() != GemmSpec.Exec.FLOAT) {
                    throw new LowbitException("policy " + name + ": the backward of " + r.label() + " reuses the forward operand, "
                            + "which only float execution saves");
                }
            }
        }
    }

    /** Whether a gradient pass of {@code site} reuses the forward's quantized operands ({@link OperandSpec.Saved}). */
    public boolean savesForward(GemmSite site) {
        for (GemmKey b : GemmKey.of(site, GemmPass.FORWARD).backwardKeys()) {
            if (spec(b).rhs() instanceof OperandSpec.Saved) {
                return true;
            }
        }
        return false;
    }

    public GemmSpec spec(GemmSite site, GemmPass pass) {
        return specs.get(GemmKey.of(site, pass));
    }

    public GemmSpec spec(GemmKey key) {
        return specs.get(key);
    }

    /** The same spec for every forward pass and another for every gradient pass. */
    public static PrecisionPolicy uniform(String name, GemmSpec forward, GemmSpec backward) {
        Map<GemmKey, GemmSpec> m = new LinkedHashMap<>();
        for (GemmKey k : GemmKey.ALL) {
            m.put(k, k.isBackward() ? backward : forward);
        }
        return new PrecisionPolicy(name, m);
    }
}
