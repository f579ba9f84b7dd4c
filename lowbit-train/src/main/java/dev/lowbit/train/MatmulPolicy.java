package dev.lowbit.train;

import dev.lowbit.LowbitException;
import dev.lowbit.autograd.GemmRole;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** A {@link GemmSpec} for every {@link GemmRole}; immutable, resolved once per training run. */
public record MatmulPolicy(String name, Map<GemmRole, GemmSpec> specs) {
    public MatmulPolicy {
        EnumMap<GemmRole, GemmSpec> m = new EnumMap<>(GemmRole.class);
        for (GemmRole r : GemmRole.values()) {
            m.put(r, specs.getOrDefault(r, GemmSpec.FP32));
        }
        specs = Collections.unmodifiableMap(m);
        for (GemmRole r : GemmRole.values()) {
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
                for (GemmRole b : r.backwardRoles()) {
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

    /** Whether a backward role of forward role {@code role} reuses the forward's quantized operands ({@link OperandSpec.Saved}). */
    public boolean savesForward(GemmRole role) {
        for (GemmRole b : role.backwardRoles()) {
            if (spec(b).rhs() instanceof OperandSpec.Saved) {
                return true;
            }
        }
        return false;
    }

    public GemmSpec spec(GemmRole role) {
        return specs.get(role);
    }

    /** The same spec for every forward role and another for every backward role. */
    public static MatmulPolicy uniform(String name, GemmSpec forward, GemmSpec backward) {
        EnumMap<GemmRole, GemmSpec> m = new EnumMap<>(GemmRole.class);
        for (GemmRole r : GemmRole.values()) {
            m.put(r, r.isBackward() ? backward : forward);
        }
        return new MatmulPolicy(name, m);
    }
}
