package dev.lowbit.train;

import dev.lowbit.LowbitException;
import dev.lowbit.Parallel;
import dev.lowbit.autograd.Matmul;
import dev.lowbit.autograd.Ops;
import dev.lowbit.autograd.Tensor;
import dev.lowbit.gemm.DfpGemm;
import dev.lowbit.gemm.FastImUnpack;
import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.gemm.GemmPlan;
import dev.lowbit.policy.GemmKey;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.policy.GemmSpec;
import dev.lowbit.policy.PrecisionPolicy;
import dev.lowbit.policy.ScaleScope;
import dev.lowbit.policy.OperandSpec;
import dev.lowbit.quant.DfpQuantizer;
import dev.lowbit.quant.HadamardQuantizer;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.unpack.Digits;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs every GEMM of a training step as its {@link GemmSpec} (by site and pass) says, and records per role label
 * ({@link GemmKey#label()}; the two gradient passes of an attention site share one) and per layer how often it ran, its operations, and for IM-Unpack its unpack ratio and heavy-hitter
 * fractions. Used from one thread; the backend parallelizes inside a GEMM.
 */
public final class GemmExecutor implements Matmul {
    /** What a per-tensor scale covers here: a GEMM call's whole operand (the batch's tokens; one (sequence, head) in attention). */
    public static final ScaleScope SCALE_SCOPE = ScaleScope.BATCH;

    private final PrecisionPolicy policy;
    private final GemmBackend backend;
    private final Map<String, RoleStats> stats = new TreeMap<>();
    /** RTN codes of this step's operands ({@link StepCodeCache}). */
    private final StepCodeCache codeCache = new StepCodeCache();
    private boolean recording = true;
    private boolean probing;
    private long probeNanos;
    private long seed;
    private long step;
    private long calls;

    private final QuantizerParams qparams = new QuantizerParams();

    public GemmExecutor(PrecisionPolicy policy, GemmBackend backend) {
        this.policy = policy;
        this.backend = backend;
    }

    /**
     * The policy's trainable quantizer state (learned LSQ steps), created on the first forward GEMM that
     * uses it; the trainer optimizes and checkpoints it with the model's parameters.
     */
    public QuantizerParams quantizerParams() {
        return qparams;
    }

    public PrecisionPolicy policy() {
        return policy;
    }

    /** Sets the training step (and seed) that counter-based stochastic quantizers draw from. */
    public void setStep(long seed, long step) {
        this.seed = seed;
        this.step = step;
        this.calls = 0;
        codeCache.clear();
    }

    /** Whether to record statistics (off during evaluation). */
    public void setRecording(boolean on) {
        recording = on;
        codeCache.clear();
    }

    /**
     * Whether this step's quantized GEMMs are also run in float32 on their unquantized operands, recording each
     * role's output SQNR ({@link RoleStats#sqnrDb}) — statistics only: the step's results do not change.
     */
    public void setProbe(boolean on) {
        probing = on;
    }

    /** Nanoseconds spent on the float32 reference GEMMs of probed steps (not part of the GEMMs' own timings). */
    public long probeNanos() {
        return probeNanos;
    }

    /**
     * On a probed step, unless the role runs in plain float32 (its own reference), the float32 GEMM of the same
     * unquantized operands ({@code op(a, b)} in {@code layout}) against {@code out}: its energy and the error's energy go
     * to the role's and the layer's statistics.
     */
    private void probe(GemmKey role, String layer, GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out) {
        if (!probing || !recording || plainFp32(policy.spec(role))) {
            return;
        }
        long t0 = System.nanoTime();
        FloatMatrix ref = Gemm.f32(layout, a, b, backend);
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < ref.rows(); i++) {
            for (int j = 0; j < ref.cols(); j++) {
                double r = ref.get(i, j);
                double e = out.get(i, j) - r;
                signal += r * r;
                noise += e * e;
            }
        }
        for (String key : new String[] {role.label(), layer + "/" + role.label()}) {
            RoleStats st = stats.computeIfAbsent(key, k -> new RoleStats());
            st.probes++;
            double[] at = st.byStep.computeIfAbsent(step + 1, k -> new double[2]); // steps counted from 1, as in valLoss
            at[0] += signal;
            at[1] += noise;
        }
        probeNanos += System.nanoTime() - t0;
    }

    /** Aggregated statistics keyed by {@code role} and by {@code layer/role}. */
    public Map<String, RoleStats> stats() {
        return stats;
    }

    /** {@code C = A·Bᵀ} for {@code pass} of {@code site} in {@code layer}. */
    public FloatMatrix gemm(GemmSite site, GemmPass pass, String layer, FloatMatrix a, FloatMatrix b) {
        return gemm(GemmKey.of(site, pass), layer, GemmLayout.NT, a, b);
    }

    /** Whether {@code pass} of {@code site} runs in plain float32 (layout-independent, so batched and transposed layouts are free). */
    @Override
    public boolean isPlainFp32(GemmSite site, GemmPass pass) {
        return plainFp32(policy.spec(site, pass));
    }

    /** Whether {@code spec} is plain float32 (no quantization, no transform): then any layout runs as is. */
    static boolean plainFp32(GemmSpec spec) {
        return spec.exec() == GemmSpec.Exec.FLOAT && spec.lhs() instanceof OperandSpec.Fp32 && spec.rhs() instanceof OperandSpec.Fp32
                && !spec.hadamard();
    }

    /**
     * {@code C = op(A, B)} in {@code layout} (NT: A·Bᵀ, NN: A·B, TN: Aᵀ·B) for {@code role} in {@code layer}.
     * Plain float32 runs in the given layout (no transposed copies); every other spec sees its operands as
     * m×k and n×k (the reduction axis along rows), exactly as with {@link #gemm(GemmSite, GemmPass, String, FloatMatrix, FloatMatrix)}.
     */
    public FloatMatrix gemm(GemmSite site, GemmPass pass, String layer, GemmLayout layout, FloatMatrix a, FloatMatrix b) {
        return gemm(GemmKey.of(site, pass), layer, layout, a, b);
    }

    private FloatMatrix gemm(GemmKey role, String layer, GemmLayout layout, FloatMatrix a, FloatMatrix b) {
        GemmSpec spec = policy.spec(role);
        if (spec.rhs() instanceof OperandSpec.Saved) {
            throw new LowbitException(layer + " " + role.label() + " reuses its forward GEMM's quantized operand: "
                    + "run it through the forward's handle (GemmExecutor.forward)");
        }
        long t0 = System.nanoTime();
        FloatMatrix out;
        Phases ph = new Phases();
        if (plainFp32(spec)) {
            out = Gemm.f32(layout, a, b, backend);
            ph.gemm = System.nanoTime() - t0;
        } else if (spec.exec() == GemmSpec.Exec.IMUNPACK) {
            // the RTN codes are written in the NT layout while quantizing: no transposed float copies
            out = FloatMatrix.zeros(layout.m(a), layout.n(b));
            imunpack(spec, layer + " " + role.label(), layout, a, b, out, ph);
        } else {
            FloatMatrix na = layout == GemmLayout.TN ? Ops.transpose(a) : a;
            FloatMatrix nb = layout == GemmLayout.NT ? b : Ops.transpose(b);
            ph.transpose = System.nanoTime() - t0;
            out = FloatMatrix.zeros(na.rows(), nb.rows());
            nt(spec, role, layer, na, nb, out, ph);
        }
        record(role, layer, layout.m(a), layout.n(b), layout.k(a), System.nanoTime() - t0, ph);
        probe(role, layer, layout, a, b, out);
        return out;
    }

    /**
     * A batch of independent GEMMs of one site, pass and layout, e.g. one per (sequence, head) of attention.
     * Plain float32 goes to the backend as one batch ({@link Gemm#f32Batch}); other specs run item by item,
     * each quantized on its own (per-tensor scales stay per item).
     */
    @Override
    public FloatMatrix[] gemmBatch(GemmSite site, GemmPass pass, String layer, GemmLayout layout, FloatMatrix[] a, FloatMatrix[] b) {
        GemmKey role = GemmKey.of(site, pass);
        GemmSpec spec = policy.spec(role);
        FloatMatrix[] out = new FloatMatrix[a.length];
        if (spec.exec() == GemmSpec.Exec.IMUNPACK && a.length > 1 && backend.threads() > 1) {
            return imunpackBatch(spec, role, layer, layout, a, b);
        }
        if (!plainFp32(spec)) {
            for (int i = 0; i < a.length; i++) {
                out[i] = gemm(role, layer, layout, a[i], b[i]);
            }
            return out;
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < a.length; i++) {
            out[i] = FloatMatrix.zeros(layout.m(a[i]), layout.n(b[i]));
        }
        Gemm.f32Batch(layout, a, b, out, backend);
        long dt = System.nanoTime() - t0;
        if (recording && a.length > 0) {
            double ops = 0;
            for (int i = 0; i < a.length; i++) {
                ops += 2.0 * layout.m(a[i]) * layout.n(b[i]) * layout.k(a[i]);
            }
            Phases ph = new Phases();
            ph.gemm = dt;
            for (String key : new String[] {role.label(), layer + "/" + role.label()}) {
                RoleStats st = stats.computeIfAbsent(key, k -> new RoleStats());
                st.add(ops, 1, 0, 0, dt / 1e9, 0, ph);
                st.count += a.length - 1;
            }
        }
        return out;
    }

    /**
     * The items of an IM-Unpack batch shared out over the backend's threads (contiguous ranges, each item exact and
     * independent, so the outputs do not depend on the thread count); statistics are recorded afterwards, in item order.
     */
    private FloatMatrix[] imunpackBatch(GemmSpec spec, GemmKey role, String layer, GemmLayout layout, FloatMatrix[] a,
                                        FloatMatrix[] b) {
        int n = a.length;
        FloatMatrix[] out = new FloatMatrix[n];
        Phases[] phases = new Phases[n];
        long[] nanos = new long[n];
        String what = layer + " " + role.label();
        Parallel.forRanges(Math.min(backend.threads(), n), n, (t, from, to) -> {
            for (int i = from; i < to; i++) {
                long t0 = System.nanoTime();
                Phases ph = new Phases();
                out[i] = FloatMatrix.zeros(layout.m(a[i]), layout.n(b[i]));
                imunpack(spec, what, layout, a[i], b[i], out[i], ph);
                phases[i] = ph;
                nanos[i] = System.nanoTime() - t0;
            }
        });
        for (int i = 0; i < n; i++) {
            record(role, layer, layout.m(a[i]), layout.n(b[i]), layout.k(a[i]), nanos[i], phases[i]);
            probe(role, layer, layout, a[i], b[i], out[i]);
        }
        return out;
    }

    private void nt(GemmSpec spec, GemmKey role, String layer, FloatMatrix a, FloatMatrix b, FloatMatrix out, Phases ph) {
        if (spec.exec() == GemmSpec.Exec.IMUNPACK) {
            imunpack(spec, layer + " " + role.label(), GemmLayout.NT, a, b, out, ph);
        } else if (spec.exec() == GemmSpec.Exec.DFP) {
            dfp(spec, layer + " " + role.label(), a, b, out, ph);
        } else {
            Quantized q = quantizeForward(spec, role, layer, a, b, ph);
            long t1 = System.nanoTime();
            Gemm.f32(q.qa, q.qb, out, backend);
            ph.gemm += System.nanoTime() - t1;
        }
    }

    /**
     * The operands of a float-executed GEMM {@code A·Bᵀ} (both m×k, n×k) as the spec quantizes them: the
     * Hadamard transform along k when the spec has one, then each operand's quantizer ({@link OperandSpec.LsqLearned}
     * with its step from {@link #quantizerParams()}, created from this operand on first use).
     */
    private Quantized quantizeForward(GemmSpec spec, GemmKey role, String layer, FloatMatrix a, FloatMatrix b, Phases ph) {
        long t0 = System.nanoTime();
        String what = layer + " " + role.label();
        int layerIndex = layerIndex(layer);
        FloatMatrix ha = a;
        FloatMatrix hb = b;
        int block = spec.hadamard() ? HadamardQuantizer.blockFor(a.cols()) : 1;
        if (block > 1) {
            ha = HadamardQuantizer.transformRows(a, block);
            hb = HadamardQuantizer.transformRows(b, block);
        }
        Tensor sa = null;
        Tensor sb = null;
        FloatMatrix qa;
        FloatMatrix qb;
        if (spec.lhs() instanceof OperandSpec.LsqLearned) {
            FloatMatrix x = ha;
            sa = qparams.step(QuantizerParams.stepName(layer, role, "lhs"), () -> LsqStep.init(x));
            qa = LsqStep.quantize(ha, sa.data[0]);
            calls++;
        } else {
            qa = spec.lhs().fakeQuantize(ha, new OperandSpec.Context(what + " lhs", seed, step, layerIndex, calls++));
        }
        if (spec.rhs() instanceof OperandSpec.LsqLearned) {
            FloatMatrix x = hb;
            sb = qparams.step(QuantizerParams.stepName(layer, role, "rhs"), () -> LsqStep.init(x));
            qb = LsqStep.quantize(hb, sb.data[0]);
            calls++;
        } else {
            qb = spec.rhs().fakeQuantize(hb, new OperandSpec.Context(what + " rhs", seed, step, layerIndex, calls++));
        }
        ph.quantize += System.nanoTime() - t0;
        return new Quantized(spec, ha, hb, qa, qb, block, sa, sb);
    }

    /**
     * A forward GEMM's operands as quantized: {@code ha, hb} what the quantizers saw (after the Hadamard
     * transform when {@code block > 1}), {@code qa, qb} what the GEMM multiplied, and the learned steps (null
     * for other quantizers).
     */
    private record Quantized(GemmSpec spec, FloatMatrix ha, FloatMatrix hb, FloatMatrix qa, FloatMatrix qb, int block,
                             Tensor stepA, Tensor stepB) {}

    /**
     * {@code C = A·Bᵀ} (A m×k, B n×k), the forward GEMM of {@code site} in {@code layer}, with a handle whose
     * {@link Forward#gradLhs} and {@link Forward#gradRhs} run the gradient GEMMs. Where the policy's gradient
     * passes reuse the forward operands ({@link OperandSpec.Saved}, e.g. learned LSQ steps), the handle keeps
     * the quantized operands; otherwise the backward GEMMs are the plain {@code dA = dC·B} (NN) and
     * {@code dB = dCᵀ·A} (TN) calls of {@link #gemm(GemmSite, GemmPass, String, GemmLayout, FloatMatrix, FloatMatrix)}.
     */
    @Override
    public Forward forward(GemmSite site, String layer, FloatMatrix a, FloatMatrix b) {
        GemmKey role = GemmKey.of(site, GemmPass.FORWARD);
        GemmSpec spec = policy.spec(role);
        if (!policy.savesForward(site)) {
            return new Forward(role, layer, a, b, gemm(role, layer, GemmLayout.NT, a, b), null);
        }
        long t0 = System.nanoTime();
        Phases ph = new Phases();
        Quantized q = quantizeForward(spec, role, layer, a, b, ph);
        long t1 = System.nanoTime();
        FloatMatrix out = FloatMatrix.zeros(a.rows(), b.rows());
        Gemm.f32(q.qa, q.qb, out, backend);
        ph.gemm += System.nanoTime() - t1;
        record(role, layer, a.rows(), b.rows(), a.cols(), System.nanoTime() - t0, ph);
        probe(role, layer, GemmLayout.NT, a, b, out);
        return new Forward(role, layer, a, b, out, q);
    }

    /** A forward GEMM's result and its backward GEMMs; see {@link GemmExecutor#forward}. */
    public final class Forward implements Matmul.Forward {
        private final GemmKey role;
        private final String layer;
        private final FloatMatrix a;
        private final FloatMatrix b;
        private final FloatMatrix out;
        private final Quantized saved;

        private Forward(GemmKey role, String layer, FloatMatrix a, FloatMatrix b, FloatMatrix out, Quantized saved) {
            this.role = role;
            this.layer = layer;
            this.a = a;
            this.b = b;
            this.out = out;
            this.saved = saved;
        }

        /** C = A·Bᵀ. */
        public FloatMatrix out() {
            return out;
        }

        /** The gradient of A, {@code dC·B} (m×k), as the site's {@link GemmPass#GRAD_INPUT} spec computes it. */
        @Override
        public FloatMatrix gradLhs(FloatMatrix dC) {
            GemmKey bwd = GemmKey.of(role.site(), GemmPass.GRAD_INPUT);
            if (saved == null || !(policy.spec(bwd).rhs() instanceof OperandSpec.Saved)) {
                return gemm(bwd, layer, GemmLayout.NN, dC, b);
            }
            return savedBackward(bwd, dC, true);
        }

        /** The gradient of B, {@code dCᵀ·A} (n×k), as the site's {@link GemmPass#GRAD_WEIGHT} spec computes it. */
        @Override
        public FloatMatrix gradRhs(FloatMatrix dC) {
            GemmKey bwd = GemmKey.of(role.site(), GemmPass.GRAD_WEIGHT);
            if (saved == null || !(policy.spec(bwd).rhs() instanceof OperandSpec.Saved)) {
                return gemm(bwd, layer, GemmLayout.TN, dC, a);
            }
            return savedBackward(bwd, dC, false);
        }

        /**
         * One backward GEMM on the saved forward operand. With the forward's Hadamard transform H (orthogonal,
         * symmetric), C = Â·B̂ᵀ for Â = A·H, B̂ = B·H; the GEMM gives the gradient of the quantized Â (dC·Q(B̂))
         * or B̂ (dCᵀ·Q(Â)) in the transformed basis, which is exactly what the LSQ backward needs; then the
         * forward operand's quantizer backward (LSQ: mask and step gradient; others: straight through) and
         * ·H maps it back. No GEMM beyond the two of a plain backward.
         */
        private FloatMatrix savedBackward(GemmKey bwd, FloatMatrix dC, boolean lhsSide) {
            GemmSpec spec = policy.spec(bwd);
            long t0 = System.nanoTime();
            Phases ph = new Phases();
            String what = layer + " " + bwd.label();
            FloatMatrix g = lhsSide ? dC : Ops.transpose(dC);
            FloatMatrix partner = lhsSide ? saved.qb : saved.qa;
            ph.transpose = System.nanoTime() - t0;
            long t1 = System.nanoTime();
            FloatMatrix qg = spec.lhs().fakeQuantize(g, new OperandSpec.Context(what + " lhs", seed, step, layerIndex(layer), calls++));
            calls++; // the right operand is the saved forward operand: nothing to quantize (the call numbering stays that of gemm)
            long t2 = System.nanoTime();
            ph.quantize = t2 - t1;
            FloatMatrix dHat = Gemm.f32(GemmLayout.NN, qg, partner, backend);
            long t3 = System.nanoTime();
            ph.gemm = t3 - t2;
            Tensor stepParam = lhsSide ? saved.stepA : saved.stepB;
            if (stepParam != null) {
                double gs = LsqStep.backward(lhsSide ? saved.ha : saved.hb, stepParam.data[0], dHat.data());
                stepParam.grad()[0] += (float) gs;
            }
            FloatMatrix d = saved.block > 1 ? HadamardQuantizer.transformRows(dHat, saved.block) : dHat;
            ph.quantize += System.nanoTime() - t3;
            record(bwd, layer, g.rows(), partner.cols(), g.cols(), System.nanoTime() - t0, ph);
            probe(bwd, layer, lhsSide ? GemmLayout.NN : GemmLayout.TN, dC, lhsSide ? b : a, d);
            return d;
        }
    }

    /**
     * A DFP GEMM {@code A·Bᵀ} (A m×k, B n×k): both operands encoded as dynamic fixed point tensors (one shared exponent
     * each, int16 codes), then {@link DfpGemm#multiply} — int32 accumulation in bounded chunks, each flushed to float32.
     */
    private void dfp(GemmSpec spec, String what, FloatMatrix a, FloatMatrix b, FloatMatrix out, Phases ph) {
        long t0 = System.nanoTime();
        DfpQuantizer.Dfp qa = DfpQuantizer.encode(a, ((OperandSpec.Dfp) spec.lhs()).bits(), what + " lhs");
        DfpQuantizer.Dfp qb = DfpQuantizer.encode(b, ((OperandSpec.Dfp) spec.rhs()).bits(), what + " rhs");
        calls += 2;
        long t1 = System.nanoTime();
        ph.quantize += t1 - t0;
        DfpGemm.multiply(qa, qb, DfpGemm.AUTO_CHUNK, out.data(), backend.threads());
        ph.gemm += System.nanoTime() - t1;
    }

    private void imunpack(GemmSpec spec, String what, GemmLayout layout, FloatMatrix a, FloatMatrix b, FloatMatrix out, Phases ph) {
        int statBits = spec.bits() == FastImUnpack.AUTO_BITS ? 8 : spec.bits();
        QuantParams pa = ((OperandSpec.Rtn) spec.lhs()).params();
        QuantParams pb = ((OperandSpec.Rtn) spec.rhs()).params();
        FastImUnpack.Result r = null;
        if (recording) {
            long t0 = System.nanoTime();
            long thr = Digits.base(statBits);
            RtnQuantizer.IntCodes qa = codeCache.codes(a, pa, layout == GemmLayout.TN, thr, what + " lhs", backend.threads());
            RtnQuantizer.IntCodes qb = qa == null ? null : codeCache.codes(b, pb, layout != GemmLayout.NT, thr, what + " rhs", backend.threads());
            long t1 = System.nanoTime();
            if (qa != null && qb != null) {
                r = FastImUnpack.multiplyCodes(qa, qb, spec.bits(), backend, out);
                ph.quantize += t1 - t0;
            }
        }
        if (r == null) {
            r = FastImUnpack.multiplyInto(layout, a, b, pa, pb, spec.bits(), statBits, backend, out, what);
        }
        ph.ratio = r.ratio();
        ph.bits = r.bits();
        ph.floatPath = r.plan() instanceof GemmPlan.FloatLanes;
        ph.widePath = r.plan() instanceof GemmPlan.Wide;
        double na = (double) a.rows() * a.cols();
        double nb = (double) b.rows() * b.cols();
        ph.hhA = na == 0 ? 0 : r.lhsHeavy() / na;
        ph.hhB = nb == 0 ? 0 : r.rhsHeavy() / nb;
        ph.quantize += r.quantizeNanos();
        ph.unpack += r.unpackNanos();
        ph.gemm += r.gemmNanos();
    }

    private void record(GemmKey role, String layer, int m, int n, int k, long nanos, Phases ph) {
        if (recording) {
            double ops = 2.0 * m * n * k;
            double sec = nanos / 1e9;
            stats.computeIfAbsent(role.label(), x -> new RoleStats()).add(ops, ph.ratio, ph.hhA, ph.hhB, sec, ph.bits, ph);
            stats.computeIfAbsent(layer + "/" + role.label(), x -> new RoleStats()).add(ops, ph.ratio, ph.hhA, ph.hhB, sec, ph.bits, ph);
        }
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


}
