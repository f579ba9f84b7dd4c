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
    private long seed;
    private long step;
    private long calls;

    public GemmExecutor(MatmulPolicy policy, GemmBackend backend) {
        this.policy = policy;
        this.backend = backend;
    }

    public MatmulPolicy policy() {
        return policy;
    }

    /** Sets the training step (and seed) that counter-based stochastic quantizers draw from. */
    public void setStep(long seed, long step) {
        this.seed = seed;
        this.step = step;
        this.calls = 0;
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
        long t0 = System.nanoTime();
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
            int layerIndex = layerIndex(layer);
            FloatMatrix ha = a;
            FloatMatrix hb = b;
            int block = spec.hadamard() ? hadamardBlock(a.cols()) : 1;
            if (block > 1) {
                ha = hadamard(a, block);
                hb = hadamard(b, block);
            }
            FloatMatrix qa = spec.lhs().fakeQuantize(ha, new OperandSpec.Context(what + " lhs", seed, step, layerIndex, calls++));
            FloatMatrix qb = spec.rhs().fakeQuantize(hb, new OperandSpec.Context(what + " rhs", seed, step, layerIndex, calls++));
            out = Gemm.f32(qa, qb, backend);
        }
        if (recording) {
            double ops = 2.0 * a.rows() * b.rows() * a.cols();
            double sec = (System.nanoTime() - t0) / 1e9;
            stats.computeIfAbsent(role.label(), k -> new RoleStats()).add(ops, ratio, hhA, hhB, sec);
            stats.computeIfAbsent(layer + "/" + role.label(), k -> new RoleStats()).add(ops, ratio, hhA, hhB, sec);
        }
        return out;
    }

    /** Block index from a layer name like {@code h3.attn}: 3; −1 for layers outside the blocks. */
    static int layerIndex(String layer) {
        if (layer.length() > 1 && layer.charAt(0) == 'h' && Character.isDigit(layer.charAt(1))) {
            int end = 1;
            while (end < layer.length() && Character.isDigit(layer.charAt(end))) {
                end++;
            }
            return Integer.parseInt(layer.substring(1, end));
        }
        return -1;
    }

    /** The largest power of two up to 64 dividing k. */
    static int hadamardBlock(int k) {
        int b = 64;
        while (b > 1 && k % b != 0) {
            b >>= 1;
        }
        return b;
    }

    private static FloatMatrix hadamard(FloatMatrix m, int block) {
        double[] d = dev.lowbit.quant.Sqnr.toDouble(m);
        dev.lowbit.quant.HadamardQuantizer.transformRowsInPlace(d, m.rows(), m.cols(), block);
        return FloatMatrix.ofDoubles(d, m.rows(), m.cols());
    }

    /** Running totals for one role: GEMM count, operations, and work-weighted unpack statistics. */
    public static final class RoleStats {
        long count;
        double ops;
        double unpackedOps;
        double heavyA;
        double heavyB;
        double maxRatio;
        double seconds;

        void add(double o, double ratio, double hhA, double hhB, double sec) {
            count++;
            seconds += sec;
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
            seconds += o.seconds;
            return this;
        }

        /** Wall time spent in these GEMMs (quantization, unpacking and fold included). */
        public double seconds() {
            return seconds;
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
