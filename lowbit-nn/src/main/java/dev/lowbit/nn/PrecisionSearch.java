package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * FLIQS-style mixed-precision search (Dotzel et al. 2023, arXiv 2308.03290), without the paper's reinforcement
 * learning: choose one precision preset per (layer, {@link MixedPrecision.Group GEMM group}) of a {@link Bert} to
 * minimise the {@link CostModel cost} subject to an accuracy budget — the minimum over calibration sentences of the
 * cosine between the embedding and the FP32 one.
 *
 * <ol>
 *   <li><b>Sensitivity</b> (once, cached): every group of every layer alone in every candidate, the rest FP32; its
 *       error e(l, g, f) = 1 − min cosine.
 *   <li><b>Knapsack</b>: assuming the errors add, the multiple-choice knapsack "minimise Σ cost(l, g, f) subject to
 *       Σ e(l, g, f) ≤ x" is solved exactly by dynamic programming over x cut into {@link #UNITS} units (errors
 *       rounded up).
 *   <li><b>Re-evaluation</b>: the knapsack's policy is run for real. The internal budget x starts at the target's error
 *       budget B = 1 − target and is scaled by B / (measured error) until a feasible and an infeasible x are known, then
 *       bisected (geometric mean), at most {@link #KNAPSACK_ROUNDS} rounds; the cheapest feasible policy is kept.
 *   <li><b>Greedy refinement</b>: from it, single-group moves to a cheaper candidate, best cost saved per predicted
 *       error first, each evaluated for real and kept when it stays within the budget ({@code refine} evaluations).
 * </ol>
 * Every evaluation is cached by policy; quantized weights are built once per preset (shared executors).
 * Deterministic: the same inputs give the same policies whatever the thread count.
 */
public final class PrecisionSearch {
    /** Units of the knapsack's error budget. */
    public static final int UNITS = 2000;
    /** Knapsack solutions evaluated per target at most. */
    public static final int KNAPSACK_ROUNDS = 6;

    /**
     * Storage bits per element of a preset's operands: element bits plus block-scale bits per element (MX: an 8-bit
     * E8M0 scale per 32, NVFP4: an 8-bit E4M3 scale per 16); per-tensor, per-row and per-token scales are not counted
     * (at most 32 bits per row of k ≥ 384 elements, &lt; 0.09 bits). RTN with L levels counts its grid, ⌈log2 L⌉ bits
     * (15 levels: 4); with heavy hitters kept (p95) about 5 % of the codes lie beyond the grid, which IM-Unpack executes
     * as extra b-bit GEMMs — not counted here.
     */
    public static double bitsPerElement(String name) {
        String key = name.strip().toLowerCase(Locale.ROOT);
        int colon = key.indexOf(':');
        String base = colon < 0 ? key : key.substring(0, colon);
        return switch (base) {
            case "fp32" -> 32;
            case "int8", "llm-int8", "fp8" -> 8;
            case "mxfp8" -> 8 + 8.0 / 32;
            case "mxfp4" -> 4 + 8.0 / 32;
            case "nvfp4" -> 4 + 8.0 / 16;
            case "imunpack", "imunpack-fwd", "imunpack-sim", "rtn-clip", "rtn-15" -> {
                int levels = colon >= 0 ? Integer.parseInt(key.substring(colon + 1))
                        : base.equals("imunpack") ? Precision.EMBED_IMUNPACK_LEVELS : 15;
                yield Math.ceil(Math.log(levels) / Math.log(2) - 1e-12);
            }
            default -> throw new LowbitException("no storage-bit count for precision '" + name
                    + "' (the search takes fp32, int8, llm-int8, fp8, mxfp8, mxfp4, nvfp4, imunpack[:L], rtn-15, rtn-clip[:L])");
        };
    }

    /**
     * Cost = Σ over the GEMMs of every layer of b_lhs · b_rhs · MACs (bit operations), with b the storage bits per
     * element of each operand ({@link #bitsPerElement}; a GEMM the preset leaves in float32 counts 32) and the MACs of
     * one sequence of {@code refLength} tokens: L·d·d for Q, K, V and O, L·d·d_ff for FFN1 and FFN2, L²·d for each of
     * Q·Kᵀ and P·V (over all heads).
     */
    public record CostModel(BertConfig config, int refLength) {
        public CostModel {
            if (refLength < 1) {
                throw new LowbitException("reference length must be >= 1, got " + refLength);
            }
        }

        public double macs(GemmRole role) {
            double l = refLength;
            double d = config.hidden();
            return switch (role) {
                case Q, K, V, O -> l * d * d;
                case FFN1, FFN2 -> l * d * config.intermediate();
                case QK, PV -> l * l * d;
            };
        }

        /** MACs of the whole model (all layers, all eight GEMMs). */
        public double totalMacs() {
            double m = 0;
            for (GemmRole r : GemmRole.values()) {
                m += macs(r);
            }
            return m * config.layers();
        }

        /** Bit operations of group {@code g} of one layer in preset {@code name} (precision {@code p}). */
        public double groupCost(MixedPrecision.Group g, String name, Precision p) {
            double b = bitsPerElement(name);
            double c = 0;
            for (GemmRole r : g.roles()) {
                double bits = p.quantizes(r) ? b : 32;
                c += bits * bits * macs(r);
            }
            return c;
        }

        public double cost(MixedPrecision m) {
            double c = 0;
            for (int l = 0; l < m.layers(); l++) {
                for (MixedPrecision.Group g : MixedPrecision.Group.values()) {
                    c += groupCost(g, m.name(l, g), m.at(l, g));
                }
            }
            return c;
        }

        /** √(cost / MACs): the operand width of a uniform policy of the same cost. */
        public double effectiveBits(MixedPrecision m) {
            return Math.sqrt(cost(m) / totalMacs());
        }
    }

    /** One policy run on a sentence set: cosines of its embeddings to FP32. */
    public record Evaluation(MixedPrecision policy, double cost, double minCosine, double meanCosine) {
        public double error() {
            return 1 - minCosine;
        }
    }

    /** Called after every evaluation that was not cached; {@code phase} says which step asked for it. */
    public interface Listener {
        void evaluated(int evaluations, String phase, Evaluation e);
    }

    /** The result of one target: the cheapest policy found whose calibration min cosine reaches it. */
    public record Result(double target, Evaluation best, boolean feasible, int evaluations) {}

    /** Runs policies on one sentence set against its FP32 embeddings; results cached by policy. */
    public final class Evaluator {
        private final List<int[]> sentences;
        private final float[][] reference;
        private final Map<MixedPrecision, Evaluation> cache = new HashMap<>();

        Evaluator(List<int[]> sentences) {
            if (sentences.isEmpty()) {
                throw new LowbitException("the search needs at least one sentence");
            }
            this.sentences = List.copyOf(sentences);
            try (Bert f = new Bert(weights, Precision.fp32(), backend, threads)) {
                this.reference = f.embed(this.sentences);
            }
        }

        public Evaluation evaluate(MixedPrecision m, String phase) {
            Evaluation e = cache.get(m);
            if (e != null) {
                return e;
            }
            float[][] emb;
            try (Bert b = new Bert(weights, m, backend, threads, executors)) {
                emb = b.embed(sentences);
            }
            double min = 1;
            double sum = 0;
            for (int i = 0; i < emb.length; i++) {
                double c = cosine(emb[i], reference[i]);
                min = Math.min(min, c);
                sum += c;
            }
            e = new Evaluation(m, cost.cost(m), min, sum / emb.length);
            cache.put(m, e);
            evaluations++;
            if (listener != null) {
                listener.evaluated(evaluations, phase, e);
            }
            return e;
        }

        public int size() {
            return sentences.size();
        }
    }

    private final BertWeights weights;
    private final List<String> candidates;
    private final CostModel cost;
    private final GemmBackend backend;
    private final int threads;
    private final Listener listener;
    private final Map<String, PrecisionGemms> executors = new HashMap<>();
    private final Evaluator calibration;
    private final int layers;
    private int evaluations;
    /** e(l, g, candidate) and cost(l, g, candidate); null until {@link #sensitivity()} ran. */
    private double[][][] error;
    private double[][][] groupCost;
    /** Sensitivities known beforehand ({@link #knownSensitivity}), by {@link #sensitivityKey}. */
    private final Map<String, Double> known = new HashMap<>();

    /**
     * @param candidates preset names a group may take (fp32 is always one of them)
     * @param calibration token ids of the calibration sentences ([CLS] … [SEP])
     */
    public PrecisionSearch(BertWeights weights, List<int[]> calibration, List<String> candidates, CostModel cost,
                           GemmBackend backend, int threads, Listener listener) {
        this.weights = weights;
        this.layers = weights.config().layers();
        List<String> c = new ArrayList<>();
        c.add("fp32");
        for (String s : candidates) {
            String k = s.strip().toLowerCase(Locale.ROOT);
            if (k.isEmpty()) {
                throw new LowbitException("empty candidate in the candidate list");
            }
            bitsPerElement(k);
            MixedPrecision.uniform(k, layers).at(0, MixedPrecision.Group.QKV); // resolves (fails on unknown names)
            if (!c.contains(k)) {
                c.add(k);
            }
        }
        this.candidates = List.copyOf(c);
        this.cost = cost;
        this.backend = backend;
        this.threads = threads;
        this.listener = listener;
        this.calibration = new Evaluator(calibration);
    }

    /** The candidates, fp32 first. */
    public List<String> candidates() {
        return candidates;
    }

    public CostModel costModel() {
        return cost;
    }

    /** Evaluations run so far (cache misses, every sentence set). */
    public int evaluations() {
        return evaluations;
    }

    public Evaluator calibration() {
        return calibration;
    }

    /** An evaluator on other sentences (sharing the quantized weights). */
    public Evaluator evaluator(List<int[]> sentences) {
        return new Evaluator(sentences);
    }

    /** Cosine similarity of two embeddings in float64 (0 when either is all zeros). */
    public static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
    }

    /**
     * The per-group sensitivities e(l, g, f) = 1 − min cosine with only group g of layer l in candidate f (fp32: 0),
     * indexed [layer][group][candidate]; computed on the first call.
     */
    public double[][][] sensitivity() {
        if (error != null) {
            return error;
        }
        int groups = MixedPrecision.Group.values().length;
        double[][][] e = new double[layers][groups][candidates.size()];
        double[][][] c = new double[layers][groups][candidates.size()];
        MixedPrecision fp32 = MixedPrecision.uniform("fp32", layers);
        for (int l = 0; l < layers; l++) {
            for (MixedPrecision.Group g : MixedPrecision.Group.values()) {
                for (int f = 0; f < candidates.size(); f++) {
                    MixedPrecision m = fp32.with(l, g, candidates.get(f));
                    c[l][g.ordinal()][f] = cost.groupCost(g, candidates.get(f), m.at(l, g));
                    Double k = known.get(sensitivityKey(l, g, candidates.get(f)));
                    e[l][g.ordinal()][f] = f == 0 ? 0 : k != null ? k : Math.max(0, calibration.evaluate(m, "sensitivity").error());
                }
            }
        }
        this.groupCost = c;
        this.error = e;
        return e;
    }

    /** The key of e(l, g, f) in {@link #knownSensitivity} and {@link #sensitivityEntries}: {@code l.group=name}. */
    public static String sensitivityKey(int layer, MixedPrecision.Group g, String candidate) {
        return layer + "." + g.label() + "=" + candidate;
    }

    /**
     * Sensitivities measured before on the same calibration sentences (same {@link #calibrationKey}), to skip their
     * evaluations; call before {@link #sensitivity()}.
     */
    public void knownSensitivity(Map<String, Double> errors) {
        known.putAll(errors);
    }

    /** Every sensitivity e(l, g, f), f ≠ fp32, by {@link #sensitivityKey}. */
    public Map<String, Double> sensitivityEntries() {
        sensitivity();
        Map<String, Double> out = new LinkedHashMap<>();
        for (int l = 0; l < layers; l++) {
            for (MixedPrecision.Group g : MixedPrecision.Group.values()) {
                for (int f = 1; f < candidates.size(); f++) {
                    out.put(sensitivityKey(l, g, candidates.get(f)), error[l][g.ordinal()][f]);
                }
            }
        }
        return out;
    }

    /** A hash (SHA-256, hex) of the calibration token ids: sensitivities are reusable only for the same key. */
    public String calibrationKey() {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (int[] s : calibration.sentences) {
                md.update((byte) 0x7f);
                for (int id : s) {
                    md.update(new byte[] {(byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
                }
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The errors the additive model predicts for {@code m}: Σ e(l, g, f). */
    public double predictedError(MixedPrecision m) {
        sensitivity();
        double s = 0;
        for (int l = 0; l < layers; l++) {
            for (MixedPrecision.Group g : MixedPrecision.Group.values()) {
                s += error[l][g.ordinal()][candidates.indexOf(m.name(l, g))];
            }
        }
        return s;
    }

    /**
     * The exact solution of the multiple-choice knapsack: the cheapest policy with Σ e(l, g, f) ≤ {@code budget}, the
     * errors rounded up to units of budget / {@link #UNITS}; ties go to the smaller error, then the earlier candidate.
     */
    public MixedPrecision knapsack(double budget) {
        sensitivity();
        int groups = MixedPrecision.Group.values().length;
        int items = layers * groups;
        int n = candidates.size();
        double unit = budget > 0 ? budget / UNITS : Double.POSITIVE_INFINITY;
        double[] dp = new double[UNITS + 1]; // min cost with error units <= j, items so far
        int[][] choice = new int[items][UNITS + 1];
        for (int it = 0; it < items; it++) {
            int l = it / groups;
            int g = it % groups;
            int[] w = new int[n];
            for (int f = 0; f < n; f++) {
                double e = error[l][g][f];
                w[f] = e == 0 ? 0 : budget > 0 && e / unit <= UNITS ? (int) Math.ceil(e / unit - 1e-9) : UNITS + 1;
            }
            double[] next = new double[UNITS + 1];
            for (int j = 0; j <= UNITS; j++) {
                double best = Double.POSITIVE_INFINITY;
                int arg = -1;
                for (int f = 0; f < n; f++) {
                    if (w[f] > j) {
                        continue;
                    }
                    double v = dp[j - w[f]] + groupCost[l][g][f];
                    if (arg < 0 || v < best - 1e-9 * best
                            || (Math.abs(v - best) <= 1e-9 * best && error[l][g][f] < error[l][g][arg])) {
                        best = v;
                        arg = f;
                    }
                }
                next[j] = best;
                choice[it][j] = arg;
            }
            dp = next;
        }
        MixedPrecision m = MixedPrecision.uniform("fp32", layers);
        int j = UNITS;
        for (int it = items - 1; it >= 0; it--) {
            int f = choice[it][j];
            int l = it / groups;
            int g = it % groups;
            if (f != 0) {
                m = m.with(l, MixedPrecision.Group.values()[g], candidates.get(f));
            }
            double e = error[l][g][f];
            j -= e == 0 ? 0 : (int) Math.ceil(e / unit - 1e-9);
        }
        return m;
    }

    /** The search for one target min cosine on the calibration sentences (see the class comment). */
    public Result search(double target, int refine) {
        if (!(target > 0 && target <= 1)) {
            throw new LowbitException("a target min cosine must be in (0, 1], got " + target);
        }
        sensitivity();
        int before = evaluations;
        double budget = 1 - target;
        String phase = String.format(Locale.ROOT, "knapsack %.4f", target);
        Evaluation best = null;
        double x = budget;
        double feasibleX = 0;
        double infeasibleX = Double.POSITIVE_INFINITY;
        for (int round = 0; round < KNAPSACK_ROUNDS && x > 0; round++) {
            Evaluation e = calibration.evaluate(knapsack(x), phase);
            if (e.error() <= budget) {
                if (best == null || e.cost() < best.cost()) {
                    best = e;
                }
                feasibleX = Math.max(feasibleX, x);
            } else {
                infeasibleX = Math.min(infeasibleX, x);
            }
            double ratio = budget / Math.max(e.error(), 1e-12);
            if (infeasibleX == Double.POSITIVE_INFINITY) {
                x *= Math.min(4, Math.max(1.25, ratio));
            } else if (feasibleX == 0) {
                x *= Math.max(0.25, Math.min(0.8, ratio));
            } else if (infeasibleX / feasibleX < 1.02) {
                break;
            } else {
                x = Math.sqrt(feasibleX * infeasibleX);
            }
        }
        if (best == null) {
            best = calibration.evaluate(MixedPrecision.uniform("fp32", layers), phase);
        }
        best = refine(best, budget, refine, String.format(Locale.ROOT, "greedy %.4f", target));
        return new Result(target, best, best.error() <= budget, evaluations - before);
    }

    /** Single-group moves to cheaper candidates, the most cost saved per predicted error first; kept when feasible. */
    private Evaluation refine(Evaluation start, double budget, int steps, String phase) {
        record Move(int layer, MixedPrecision.Group group, int candidate, double score) {}
        Evaluation best = start;
        List<Move> moves = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (MixedPrecision.Group g : MixedPrecision.Group.values()) {
                int cur = candidates.indexOf(best.policy().name(l, g));
                Move m = null;
                for (int f = 0; f < candidates.size(); f++) {
                    double saved = groupCost[l][g.ordinal()][cur] - groupCost[l][g.ordinal()][f];
                    if (saved <= 0) {
                        continue;
                    }
                    double score = saved / Math.max(error[l][g.ordinal()][f] - error[l][g.ordinal()][cur], 1e-9);
                    if (m == null || score > m.score()) {
                        m = new Move(l, g, f, score);
                    }
                }
                if (m != null) {
                    moves.add(m);
                }
            }
        }
        moves.sort((a, b) -> Double.compare(b.score(), a.score()));
        int tried = 0;
        for (Move m : moves) {
            if (tried >= steps) {
                break;
            }
            MixedPrecision p = best.policy().with(m.layer(), m.group(), candidates.get(m.candidate()));
            Evaluation e = calibration.evaluate(p, phase);
            tried++;
            if (e.error() <= budget && e.cost() < best.cost()) {
                best = e;
            }
        }
        return best;
    }

    /** The sensitivities as a map label → [layer][group] errors, for reports. */
    public Map<String, double[][]> sensitivityByCandidate() {
        sensitivity();
        Map<String, double[][]> out = new LinkedHashMap<>();
        for (int f = 1; f < candidates.size(); f++) {
            double[][] t = new double[layers][MixedPrecision.Group.values().length];
            for (int l = 0; l < layers; l++) {
                for (int g = 0; g < t[l].length; g++) {
                    t[l][g] = error[l][g][f];
                }
            }
            out.put(candidates.get(f), t);
        }
        return out;
    }
}
