package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.io.AtomicFiles;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GptqGemms;
import dev.lowbit.nn.MixedPrecision;
import dev.lowbit.nn.PrecisionSearch;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.report.Json;
import dev.lowbit.report.Plots;
import dev.lowbit.text.WordPieceTokenizer;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit search}: FLIQS-style mixed-precision search over the GEMM groups of all-MiniLM-L6-v2. */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = {"Mixed-precision search (FLIQS-style, Dotzel et al. 2023) on all-MiniLM-L6-v2: one precision per layer and",
            "GEMM group (qkv: Q, K, V; attn: Q·Kᵀ and P·V; o; ffn1; ffn2) that minimises the cost subject to a minimum",
            "cosine to fp32 on calibration sentences. Cost = Σ over GEMMs of b_lhs · b_rhs · MACs (bit operations) at a",
            "reference sequence length, b = storage bits per element (element + block-scale bits: fp32 32, int8/fp8 8,",
            "mxfp8 8.25, nvfp4 4.5, mxfp4 4.25, imunpack:L ⌈log2 L⌉ — heavy hitters beyond the grid not counted).",
            "Steps: per-group sensitivity (each group alone in each candidate, the rest fp32); exact multiple-choice",
            "knapsack on the summed sensitivities; the knapsack's policy re-evaluated for real, its internal budget",
            "rescaled/bisected until feasible; greedy single-group downgrades, each re-evaluated. Prints one JSON object:",
            "the uniform candidates and the searched policies with cost, effective bits and min/mean cosine (calibration,",
            "and --eval sentences); progress on stderr."},
        footer = {"", "Examples:",
            "  ./lowbit search --budget 0.99 --out policy.txt --plot pareto.png",
            "  ./lowbit search --budget 0.993 --eval sentences.txt --cache sens.txt --out policy.txt   # 2nd run: cached sensitivities",
            "  ./lowbit embed --in sentences.txt --out E.npy --precision policy.txt     # run the searched policy",
            "", "The policy is text: '*=fp8,0.attn=int8,5.ffn2=fp32' (LAYERS.GROUP=PRECISION, later entries override;",
            "LAYERS: *, N or N-M; unnamed groups run fp32), accepted by embed --precision as a string or a file."})
final class SearchCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    BackendOption backendOption;

    @Spec
    CommandSpec spec;

    @Option(names = "--budget", defaultValue = "0.99", paramLabel = "COS",
            description = "Target min cosine to fp32 on the calibration sentences for the --out policy, in (0, 1] (default: ${DEFAULT-VALUE}).")
    double budget;

    @Option(names = "--sweep", defaultValue = "uniform,0.95,0.98,0.995", paramLabel = "C1,C2,…",
            description = "More targets, searched for the Pareto front; 'uniform' adds each uniform candidate's calibration min cosine (a policy at least as accurate as that format, on calibration); 'none': only --budget (default: ${DEFAULT-VALUE}).")
    String sweep;

    @Option(names = "--cache", paramLabel = "FILE", description = "Sensitivity cache: read if it exists and was written for the same calibration sentences, (re)written after the sensitivity step.")
    Path cache;

    @Option(names = "--candidates", defaultValue = "int8,fp8,mxfp8,nvfp4,mxfp4,imunpack:15", paramLabel = "P1,P2,…",
            description = "Precisions a group may take besides fp32: fp32, int8, llm-int8, fp8, mxfp8, mxfp4, nvfp4, imunpack[:L], rtn-15, rtn-clip[:L] (default: ${DEFAULT-VALUE}).")
    String candidates;

    @Option(names = "--calib", defaultValue = "64", paramLabel = "N",
            description = "Calibration sentences: N of the 64 built-in ones, evenly spaced (default: ${DEFAULT-VALUE}; fewer run faster but generalize worse).")
    int calib;

    @Option(names = "--calib-file", paramLabel = "FILE", description = "Calibration sentences from a file (one per line) instead of the built-in ones.")
    Path calibFile;

    @Option(names = "--eval", paramLabel = "FILE", description = "Held-out sentences (one per line): every uniform candidate and searched policy is also evaluated on them (the plot then shows these).")
    Path eval;

    @Option(names = "--ref-length", defaultValue = "128", paramLabel = "L", description = "Sequence length at which MACs are counted (default: ${DEFAULT-VALUE}).")
    int refLength;

    @Option(names = "--refine", defaultValue = "6", paramLabel = "N", description = "Greedy downgrade evaluations per target (default: ${DEFAULT-VALUE}).")
    int refine;

    @Option(names = "--out", paramLabel = "policy.txt", description = "Write the --budget policy (comment header + one assignment per line).")
    Path out;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Pareto plot: cost vs min cosine of uniform and searched policies.")
    Path plot;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "T", description = "Worker threads (default: ${DEFAULT-VALUE}; results do not depend on it).")
    int threads;

    record Row(String kind, String name, PrecisionSearch.Evaluation calib, PrecisionSearch.Evaluation eval, double effBits) {}

    @Override
    public Integer call() {
        Inputs.checkOutput(out, "--out");
        Inputs.checkOutput(plot, "--plot");
        if (plot != null && !plot.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw new LowbitException("--plot " + plot + ": plots are written as PNG; use a .png file name");
        }
        checkTarget(budget, "--budget");
        List<Double> targets = new ArrayList<>();
        boolean matchUniform = false;
        if (!sweep.strip().equalsIgnoreCase("none") && !sweep.isBlank()) {
            for (String s : sweep.split(",")) {
                if (s.strip().equalsIgnoreCase("uniform")) {
                    matchUniform = true;
                    continue;
                }
                double t;
                try {
                    t = Double.parseDouble(s.strip());
                } catch (NumberFormatException e) {
                    throw new LowbitException("--sweep: '" + s.strip() + "' is not a number (use e.g. 0.95,0.98, uniform or none)");
                }
                checkTarget(t, "--sweep");
                if (!targets.contains(t)) {
                    targets.add(t);
                }
            }
        }
        if (!targets.contains(budget)) {
            targets.add(budget);
        }
        Inputs.checkOutput(cache, "--cache");
        if (threads < 1) {
            throw new LowbitException("--threads must be >= 1, got " + threads);
        }
        if (refine < 0) {
            throw new LowbitException("--refine must be >= 0, got " + refine);
        }
        if (refLength < 1) {
            throw new LowbitException("--ref-length must be >= 1, got " + refLength);
        }
        List<String> cands = new ArrayList<>();
        for (String s : candidates.split(",")) {
            if (s.isBlank()) {
                throw new LowbitException("--candidates: empty name in '" + candidates + "'");
            }
            String k = s.strip().toLowerCase(Locale.ROOT);
            if (k.equals("gptq-w4")) {
                throw new LowbitException("--candidates: gptq-w4 needs calibration of the whole model and cannot be mixed");
            }
            try {
                MixedPrecision.parse("*=" + k, 1); // unknown names fail here
                PrecisionSearch.bitsPerElement(k);
            } catch (LowbitException e) {
                throw new LowbitException("--candidates: " + e.getMessage());
            }
            cands.add(k);
        }
        List<String> calibText;
        if (calibFile != null) {
            calibText = EmbedCommand.readLines(calibFile).text();
            if (calibText.isEmpty()) {
                throw new LowbitException("--calib-file " + calibFile + ": no sentences (the file is empty)");
            }
        } else {
            List<String> all = GptqGemms.calibrationSentences();
            if (calib < 1 || calib > all.size()) {
                throw new LowbitException("--calib must be in 1.." + all.size() + ", got " + calib);
            }
            calibText = new ArrayList<>();
            for (int i = 0; i < calib; i++) {
                calibText.add(all.get((int) ((long) i * all.size() / calib)));
            }
        }
        List<String> evalText = null;
        if (eval != null) {
            evalText = EmbedCommand.readLines(eval).text();
            if (evalText.isEmpty()) {
                throw new LowbitException("--eval " + eval + ": no sentences (the file is empty)");
            }
        }
        System.setProperty("lowbit.threads", Integer.toString(threads));
        GemmBackend backend = backendOption.backend();
        long t0 = System.nanoTime();
        BertWeights weights = MiniLm.weights();
        WordPieceTokenizer tok = MiniLm.tokenizer();
        int layers = weights.config().layers();
        PrintWriter err = spec.commandLine().getErr();
        int sensitivityRuns = layers * MixedPrecision.Group.values().length * cands.size();
        double macs = costOf(weights).totalMacs();
        int[] sensitivityDone = {0};
        PrecisionSearch.Listener log = (n, phase, e) -> {
            String what = phase.equals("sensitivity") ? "sensitivity " + (++sensitivityDone[0]) + "/" + sensitivityRuns : phase;
            err.println(String.format(Locale.ROOT, "search: %4d  %-22s min cos %.5f  bits %5.2f  %5.0fs  %s", n, what,
                    e.minCosine(), Math.sqrt(e.cost() / macs), (System.nanoTime() - t0) / 1e9, e.policy()));
            err.flush();
        };
        PrecisionSearch search = new PrecisionSearch(weights, ids(tok, calibText), cands, costOf(weights), backend, threads, log);
        PrecisionSearch.Evaluator evaluator = evalText == null ? null : search.evaluator(ids(tok, evalText));
        PrecisionSearch.CostModel cm = search.costModel();

        List<Row> uniform = new ArrayList<>();
        for (String c : search.candidates()) {
            MixedPrecision m = MixedPrecision.uniform(c, layers);
            uniform.add(new Row("uniform", c, search.calibration().evaluate(m, "uniform"),
                    evaluator == null ? null : evaluator.evaluate(m, "uniform (eval)"), cm.effectiveBits(m)));
        }
        Map<Double, String> labels = new LinkedHashMap<>();
        if (matchUniform) {
            for (Row u : uniform) {
                double t = u.calib().minCosine();
                if (t < 1 && t > 0 && !targets.contains(t)) {
                    targets.add(t);
                    labels.put(t, String.format(Locale.ROOT, "as accurate as %s (calibration min cos %.5f)", u.name(), t));
                }
            }
        }
        targets.sort(Double::compare);
        String key = search.calibrationKey();
        Map<String, Double> known = null;
        if (cache != null && Files.isRegularFile(cache)) {
            known = readCache(cache, key);
            if (known == null) {
                err.println("search: " + cache + " was written for other calibration sentences; recomputing");
            } else {
                search.knownSensitivity(known);
                err.println("search: " + known.size() + " sensitivities from " + cache);
            }
        }
        search.sensitivity();
        if (cache != null) {
            Map<String, Double> all = new LinkedHashMap<>(known == null ? Map.of() : known);
            all.putAll(search.sensitivityEntries());
            writeCache(cache, key, all);
        }
        List<Row> searched = new ArrayList<>();
        Map<Double, PrecisionSearch.Result> results = new LinkedHashMap<>();
        for (double t : targets) {
            PrecisionSearch.Result r = search.search(t, refine);
            results.put(t, r);
            MixedPrecision m = r.best().policy();
            searched.add(new Row("searched", labels.getOrDefault(t, String.format(Locale.ROOT, "min cos >= %s", t)), r.best(),
                    evaluator == null ? null : evaluator.evaluate(m, "searched (eval)"), cm.effectiveBits(m)));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        Json j = Json.object().put("model", "all-MiniLM-L6-v2").put("calibrationSentences", search.calibration().size())
                .put("evalSentences", evaluator == null ? null : evaluator.size()).put("refLength", refLength)
                .put("costUnit", "bit operations: sum over GEMMs of b_lhs * b_rhs * MACs at refLength")
                .put("totalMacs", cm.totalMacs()).put("candidates", search.candidates().stream()
                        .map(c -> Json.object().put("name", c).put("bitsPerElement", PrecisionSearch.bitsPerElement(c))).toList());
        j.put("uniform", uniform.stream().map(SearchCommand::rowJson).toList());
        List<Json> sr = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            PrecisionSearch.Result r = results.get(targets.get(i));
            Row row = searched.get(i);
            Json o = rowJson(row).put("target", r.target()).put("feasible", r.feasible()).put("evaluations", r.evaluations())
                    .put("predictedError", search.predictedError(r.best().policy()));
            List<String> dominates = new ArrayList<>();
            for (Row u : uniform) {
                if (dominates(row, u)) {
                    dominates.add(u.name());
                }
            }
            o.put("dominatesUniform", dominates);
            sr.add(o);
        }
        j.put("searched", sr);
        Json sens = Json.object();
        for (Map.Entry<String, double[][]> e : search.sensitivityByCandidate().entrySet()) {
            List<Json> rows = new ArrayList<>();
            for (int l = 0; l < layers; l++) {
                Json r = Json.object().put("layer", l);
                for (MixedPrecision.Group g : MixedPrecision.Group.values()) {
                    r.put(g.label(), e.getValue()[l][g.ordinal()]);
                }
                rows.add(r);
            }
            sens.put(e.getKey(), rows);
        }
        j.put("sensitivity", sens).put("sensitivityMetric", "1 - min cosine, one group in the candidate, the rest fp32 (calibration)");
        PrecisionSearch.Result main = results.get(budget);
        j.put("policy", main.best().policy().toString()).put("policyFeasible", main.feasible())
                .put("evaluations", search.evaluations()).put("seconds", Math.round(seconds * 10) / 10.0).put("threads", threads)
                .put("backend", backend.name());
        if (out != null) {
            j.put("out", out.toString());
            writePolicy(out, main, cm, budget, search.calibration().size(), evaluator == null ? null : searched.get(targets.indexOf(budget)).eval());
        }
        if (plot != null) {
            Plots.savePng(plot, charts(uniform, searched, evaluator != null, cm.totalMacs()));
            j.put("plot", plot.toString());
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.println(j);
        pw.flush();
        return 0;
    }

    private static final String CACHE_HEADER = "# lowbit search sensitivity cache: 1 - min cosine, one group in the candidate, the rest fp32";

    /** The cached sensitivities for calibration key {@code key}, or null if the file is for other sentences. */
    static Map<String, Double> readCache(Path file, String key) {
        List<String> lines = EmbedCommand.readLines(file).text();
        if (lines.size() < 2 || !lines.get(0).equals(CACHE_HEADER)) {
            throw new LowbitException("--cache " + file + ": not a sensitivity cache written by lowbit search");
        }
        if (!lines.get(1).equals("calibration " + key)) {
            return null;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (String l : lines.subList(2, lines.size())) {
            int sp = l.lastIndexOf(' ');
            try {
                double v = Double.parseDouble(l.substring(sp + 1));
                if (sp < 0 || !(v >= 0 && v <= 2)) {
                    throw new NumberFormatException();
                }
                out.put(l.substring(0, sp), v);
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                throw new LowbitException("--cache " + file + ": bad line '" + l + "'");
            }
        }
        return out;
    }

    static void writeCache(Path file, String key, Map<String, Double> entries) {
        StringBuilder sb = new StringBuilder(CACHE_HEADER).append('\n').append("calibration ").append(key).append('\n');
        entries.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, o -> o.write(bytes));
    }

    private PrecisionSearch.CostModel costOf(BertWeights w) {
        return new PrecisionSearch.CostModel(w.config(), refLength);
    }

    private static void checkTarget(double t, String option) {
        if (!(t > 0 && t <= 1)) {
            throw new LowbitException(option + " must be a min cosine in (0, 1], got " + t);
        }
    }

    private static List<int[]> ids(WordPieceTokenizer tok, List<String> text) {
        return text.stream().map(s -> tok.encode(s, WordPieceTokenizer.DEFAULT_MAX_LENGTH).ids()).toList();
    }

    /** The accuracy a row is judged by: the held-out evaluation when there is one, else calibration. */
    private static PrecisionSearch.Evaluation judged(Row r) {
        return r.eval() != null ? r.eval() : r.calib();
    }

    /** Strictly better: lower cost at an equal or higher min cosine. */
    static boolean dominates(Row a, Row b) {
        return judged(a).cost() < judged(b).cost() && judged(a).minCosine() >= judged(b).minCosine();
    }

    private static Json rowJson(Row r) {
        Json o = Json.object().put("kind", r.kind()).put("name", r.name()).put("policy", r.calib().policy().toString())
                .put("cost", r.calib().cost()).put("effectiveBits", round(r.effBits()))
                .put("calibMinCosine", r.calib().minCosine()).put("calibMeanCosine", r.calib().meanCosine());
        if (r.eval() != null) {
            o.put("evalMinCosine", r.eval().minCosine()).put("evalMeanCosine", r.eval().meanCosine());
        }
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    private static void writePolicy(Path file, PrecisionSearch.Result r, PrecisionSearch.CostModel cm, double budget, int calibN,
                                    PrecisionSearch.Evaluation eval) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# lowbit search: all-MiniLM-L6-v2, target min cosine %s on %d calibration sentences%s%n",
                budget, calibN, r.feasible() ? "" : " (NOT reached: the most accurate policy found)"));
        sb.append(String.format(Locale.ROOT, "# calibration min cosine %.6f, mean %.6f%s%n", r.best().minCosine(), r.best().meanCosine(),
                eval == null ? "" : String.format(Locale.ROOT, "; held-out min cosine %.6f, mean %.6f", eval.minCosine(), eval.meanCosine())));
        sb.append(String.format(Locale.ROOT, "# cost %.4g bit operations at L = %d (effective bits %.3f)%n", r.best().cost(), cm.refLength(),
                cm.effectiveBits(r.best().policy())));
        sb.append("# use: ./lowbit embed --in sentences.txt --out E.npy --precision ").append(file.getFileName()).append('\n');
        for (String entry : r.best().policy().toString().split(",")) {
            sb.append(entry).append('\n');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, o -> o.write(bytes));
    }

    private static List<XYChart> charts(List<Row> uniform, List<Row> searched, boolean held, double macs) {
        List<XYChart> out = new ArrayList<>();
        out.add(chart(uniform, searched, held, macs, 0, Double.POSITIVE_INFINITY, "all policies"));
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (Row u : uniform) {
            if (!u.name().equals("fp32") && u.effBits() >= 6) { // the 8-bit formats: zoom on them
                lo = Math.min(lo, u.effBits() - 1.5);
                hi = Math.max(hi, u.effBits() + 0.5);
            }
        }
        if (hi > 0) {
            out.add(chart(uniform, searched, held, macs, lo, hi, "zoom on the 8-bit region"));
        }
        return out;
    }

    /** The points with effective bits in [lo, hi]: uniform formats as squares, searched policies and their Pareto front. */
    private static XYChart chart(List<Row> uniform, List<Row> searched, boolean held, double macs, double lo, double hi, String what) {
        XYChart ch = new XYChartBuilder().width(720).height(560)
                .title("MiniLM, " + (held ? "held-out" : "calibration") + " sentences: " + what)
                .xAxisTitle("effective bits = sqrt(bit operations / MACs)").yAxisTitle("min cosine to fp32").build();
        ch.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        ch.getStyler().setMarkerSize(9);
        ch.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        List<Row> in = new ArrayList<>();
        for (Row r : searched) {
            double b = Math.sqrt(judged(r).cost() / macs);
            if (b >= lo && b <= hi && !in.stream().anyMatch(o -> o.calib().policy().equals(r.calib().policy()))) {
                in.add(r);
            }
        }
        in.sort((a, b) -> Double.compare(judged(a).cost(), judged(b).cost()));
        if (!in.isEmpty()) {
            List<Row> front = new ArrayList<>();
            for (Row r : in) {
                if (front.isEmpty() || judged(r).minCosine() > judged(front.getLast()).minCosine()) {
                    front.add(r);
                }
            }
            XYSeries f = ch.addSeries("searched: Pareto front", front.stream().mapToDouble(r -> Math.sqrt(judged(r).cost() / macs)).toArray(),
                    front.stream().mapToDouble(r -> judged(r).minCosine()).toArray());
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            f.setMarker(SeriesMarkers.NONE);
            XYSeries s = ch.addSeries("searched (mixed)", in.stream().mapToDouble(r -> Math.sqrt(judged(r).cost() / macs)).toArray(),
                    in.stream().mapToDouble(r -> judged(r).minCosine()).toArray());
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        for (Row u : uniform) {
            double b = Math.sqrt(judged(u).cost() / macs);
            if (u.name().equals("fp32") || b < lo || b > hi) {
                continue; // fp32: cosine 1 at 32 bits, off the scale of the rest
            }
            XYSeries s = ch.addSeries("uniform " + u.name(), new double[] {b}, new double[] {judged(u).minCosine()});
            s.setMarker(SeriesMarkers.SQUARE);
        }
        return ch;
    }
}
