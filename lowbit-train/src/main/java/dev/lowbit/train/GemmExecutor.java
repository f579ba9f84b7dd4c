package dev.lowbit.train;

import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ImUnpackResult;
import dev.lowbit.gemm.ImUnpackSpec;
import dev.lowbit.tensor.FloatMatrix;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs every GEMM of a training step as its role's {@link GemmSpec} says, and records per role (and
 * per layer) how often it ran, its operations, and for IM-Unpack its unpack ratio and heavy-hitter
 * fractions. Used from one thread; the backend parallelizes inside a GEMM.
 */
public final class GemmExecutor {
    private final MatmulPolicy policy;
    private final GemmBackend backend;
    private final Map<String, RoleStats> stats = new TreeMap<>();
    private boolean recording = true;

    public GemmExecutor(MatmulPolicy policy, GemmBackend backend) {
        this.policy = policy;
        this.backend = backend;
    }

    public MatmulPolicy policy() {
        return policy;
    }

    /** Whether to record statistics (off during evaluation). */
    public void setRecording(boolean on) {
        recording = on;
    }

    /** Aggregated statistics keyed by {@code role} and by {@code layer/role}. */
    public Map<String, RoleStats> stats() {
        return stats;
    }

    /** {@code C = A·Bᵀ} for {@code role} in {@code layer}. */
    public FloatMatrix gemm(GemmRole role, String layer, FloatMatrix a, FloatMatrix b) {
        GemmSpec spec = policy.spec(role);
        FloatMatrix out;
        double ratio = 1;
        double hhA = 0;
        double hhB = 0;
        if (spec.exec() == GemmSpec.Exec.IMUNPACK) {
            ImUnpackSpec is = new ImUnpackSpec(((OperandSpec.Rtn) spec.lhs()).params(), ((OperandSpec.Rtn) spec.rhs()).params(),
                    spec.bits(), spec.strategy());
            ImUnpackResult r = ImUnpackGemm.multiply(a, b, is, backend, false);
            out = r.out();
            ratio = r.stats().ratio();
            hhA = r.stats().lhs().heavyHitterFraction();
            hhB = r.stats().rhs().heavyHitterFraction();
        } else {
            String what = layer + " " + role.label();
            out = Gemm.f32(spec.lhs().fakeQuantize(a, what + " lhs"), spec.rhs().fakeQuantize(b, what + " rhs"), backend);
        }
        if (recording) {
            double ops = 2.0 * a.rows() * b.rows() * a.cols();
            stats.computeIfAbsent(role.label(), k -> new RoleStats()).add(ops, ratio, hhA, hhB);
            stats.computeIfAbsent(layer + "/" + role.label(), k -> new RoleStats()).add(ops, ratio, hhA, hhB);
        }
        return out;
    }

    /** Running totals for one role: GEMM count, operations, and work-weighted unpack statistics. */
    public static final class RoleStats {
        long count;
        double ops;
        double unpackedOps;
        double heavyA;
        double heavyB;
        double maxRatio;

        void add(double o, double ratio, double hhA, double hhB) {
            count++;
            ops += o;
            unpackedOps += o * ratio;
            heavyA += hhA * o;
            heavyB += hhB * o;
            maxRatio = Math.max(maxRatio, ratio);
        }

        /** A copy of these totals. */
        public RoleStats copy() {
            return new RoleStats().plus(this);
        }

        /** Adds {@code o}'s totals into this one and returns it. */
        public RoleStats plus(RoleStats o) {
            count += o.count;
            ops += o.ops;
            unpackedOps += o.unpackedOps;
            heavyA += o.heavyA;
            heavyB += o.heavyB;
            maxRatio = Math.max(maxRatio, o.maxRatio);
            return this;
        }

        public long count() {
            return count;
        }

        public double ops() {
            return ops;
        }

        /** Work-weighted mean unpack ratio: unpacked operations / original operations. */
        public double ratio() {
            return ops == 0 ? 1 : unpackedOps / ops;
        }

        public double maxRatio() {
            return maxRatio;
        }

        public double lhsHeavyHitterFraction() {
            return ops == 0 ? 0 : heavyA / ops;
        }

        public double rhsHeavyHitterFraction() {
            return ops == 0 ? 0 : heavyB / ops;
        }
    }
}
