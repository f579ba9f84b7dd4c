package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.FastImUnpack;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.io.AtomicFiles;
import dev.lowbit.policy.GemmKey;
import dev.lowbit.policy.GemmPass;
import dev.lowbit.policy.GemmSite;
import dev.lowbit.report.Json;
import dev.lowbit.report.Plots;
import dev.lowbit.report.Table;
import dev.lowbit.text.JsonReader;
import dev.lowbit.train.GemmExecutor;
import dev.lowbit.policy.Presets;
import dev.lowbit.train.RoleStats;
import dev.lowbit.train.RunResult;
import dev.lowbit.train.TrainConfig;
import dev.lowbit.train.Trainer;
import java.awt.Font;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit train}: train a GPT or ViT under a per-GEMM precision policy. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a Transformer with every GEMM under a precision policy, and report the curves.",
            "",
            "Tasks: kjv-gpt (character-level GPT on the King James Bible, shipped) and fashion-vit (ViT on",
            "Fashion-MNIST from Debian's dataset-fashion-mnist, or --data DIR). Every GEMM of the step —",
            "forward, grad-input, grad-weight, both attention GEMMs and their gradients — runs as the policy",
            "says; 'imunpack' executes them as exact low-bit integer GEMMs. Same seed ⇒ same bits.", ""},
        footer = {"", "Policies (results: docs/training.md):", "%s",
            "  imunpack, imunpack-sim, imunpack-fwd and rtn-clip take their forward RTN levels after a colon, e.g.",
            "  imunpack:31 (odd, default 15); gradients keep 16383.", "",
            "Which to use: imunpack:31 for FP32 parity (within 1 % of fp32 in every regime measured: +0.16 … +0.61 %);",
            "imunpack (15 levels) is the IM-Unpack paper's setting: +1.2 … +2.3 % in lowbit's default regime (2 × 96,",
            "batch 32), near parity only with 4x the tokens per step (PyTorch reference: +1.85 % vs +0.2 %).", "", "Examples:",
            "  ./lowbit train --task kjv-gpt --policy fp32 --steps 300 --plot loss.png",
            "  ./lowbit train --task kjv-gpt --policies fp32,imunpack,rtn-clip --steps 600 --out runs.json --plot loss.png",
            "  ./lowbit train --task fashion-vit --policy imunpack --steps 500 --checkpoint ckpt/ && ./lowbit train … --resume",
            "  ./lowbit train --task kjv-gpt --from fp32.json,imunpack.json --plot both.png   # runs trained apart, one table"})
final class TrainCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    BackendOption backendOption;

    @Spec
    CommandSpec spec;

    @Option(names = "--task", required = true, description = "kjv-gpt or fashion-vit.")
    String task;

    @Option(names = "--policy", paramLabel = "P", description = "Precision policy (default: fp32).")
    String policy;

    @Option(names = "--policies", paramLabel = "P1,P2", description = "Train several policies with the same seed and data.")
    String policies;

    @Option(names = "--steps", description = "Training steps (default: 600).")
    Integer steps;

    @Option(names = "--seed", description = "Seed for initialization, data order and sampling (default: 7).")
    Long seed;

    @Option(names = "--threads", description = "Worker threads for the GEMM kernels (default: all cores).")
    Integer threads;

    @Option(names = "--batch", description = "Batch size (default: 32 sequences / 64 images).")
    Integer batch;

    @Option(names = "--context", description = "GPT context length (default: 64).")
    Integer context;

    @Option(names = "--layers", description = "Transformer blocks (default: 2).")
    Integer layers;

    @Option(names = "--dim", description = "Model width (default: 96 GPT / 64 ViT).")
    Integer dim;

    @Option(names = "--heads", description = "Attention heads (default: 4).")
    Integer heads;

    @Option(names = "--lr", description = "Peak learning rate (default: 2e-3).")
    Double lr;

    @Option(names = "--warmup", description = "Linear warm-up steps before the cosine decay (default: 50, at most a tenth of --steps).")
    Integer warmup;

    @Option(names = "--clip", description = "Maximum global gradient norm; 0 turns clipping off (default: 1.0).")
    Double clip;

    @Option(names = "--bits", paramLabel = "B|auto", description = "IM-Unpack bit-width b for the imunpack policy, 2..16 (every GEMM unpacked to b-bit "
            + "integer GEMMs), or auto: per GEMM the cheapest exact execution by estimated cost — b and the unpacking, or the "
            + "codes unsplit in float32/float64 lanes where every partial sum stays exact (default: auto; the result never "
            + "depends on the choice).")
    String bits;

    @Option(names = "--eval-every", description = "Validate every N steps (default: 100).")
    Integer evalEvery;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST directory (default: /usr/share/datasets/fashion-mnist).")
    Path data;

    @Option(names = "--out", paramLabel = "run.json", description = "Also write the JSON result to this file.")
    Path out;

    @Option(names = "--plot", paramLabel = "loss.png", description = "Draw training and validation loss curves.")
    Path plot;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Write checkpoints to DIR (every --checkpoint-every steps and at the end).")
    Path checkpoint;

    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Checkpoint interval in steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue from the checkpoint in --checkpoint DIR (bit-identical to an uninterrupted run).")
    boolean resume;

    @Option(names = "--table", description = "Print a summary table instead of JSON on stdout.")
    boolean table;

    @Option(names = "--from", paramLabel = "run.json[,run2.json…]", split = ",",
            description = "Do not train: read runs saved with --out (several files: their runs in this order, a run found twice"
                    + " shown once; the first run is the baseline of 'vs first') and print their table (and --plot their curves).")
    List<Path> from;

    @Override
    public Integer call() {
        Inputs.checkOutput(out, "--out");
        Inputs.checkOutput(plot, "--plot");
        if (from != null) {
            List<Summary> saved = new ArrayList<>();
            for (Path f : from) {
                for (Summary r : readRuns(f)) { // a run saved in two files (e.g. the fp32 baseline of each) is shown once
                    if (saved.stream().noneMatch(o -> o.policy().equals(r.policy()) && o.steps() == r.steps()
                            && Double.compare(o.finalValLoss(), r.finalValLoss()) == 0)) {
                        saved.add(r);
                    }
                }
            }
            if (plot != null) {
                Plots.savePng(plot, charts(task, saved));
            }
            spec.commandLine().getOut().print(table(task, saved));
            spec.commandLine().getOut().flush();
            return 0;
        }
        if (threads != null) {
            if (threads < 1) {
                throw new LowbitException("--threads must be >= 1, got " + threads);
            }
            System.setProperty("lowbit.threads", String.valueOf(threads));
        }
        if (policy != null && policies != null) {
            throw new LowbitException("give --policy or --policies, not both");
        }
        List<String> names = policies != null ? List.of(policies.split(",")) : List.of(policy == null ? "fp32" : policy);
        TrainConfig d = TrainConfig.defaults(task, names.getFirst().strip());
        List<TrainConfig> configs = new ArrayList<>();
        for (String n : names) {
            configs.add(new TrainConfig(task, n.strip(), or(steps, d.steps()), or(seed, d.seed()), or(batch, d.batch()),
                    task.equals("kjv-gpt") ? or(context, d.context()) : 2, or(layers, d.layers()), or(dim, d.dim()), or(heads, d.heads()),
                    or(lr, d.lr()), warmup != null ? warmup : Math.min(d.warmup(), Math.max(1, or(steps, d.steps()) / 10)),
                    or(evalEvery, d.evalEvery()), d.evalBatches(), parseBits(bits, d.bits()), data, checkpoint, checkpointEvery,
                    clip != null ? clip : TrainConfig.DEFAULT_CLIP));
        }
        GemmBackend backend = backendOption.backend();
        List<RunResult> results = new ArrayList<>();
        for (TrainConfig c : configs) {
            Progress bar = Progress.stderr(spec, "train " + c.policy(), c.steps());
            results.add(Trainer.run(c, backend, resume, (s, total, loss, rate) -> bar.stepTo(s,
                    String.format(Locale.ROOT, "loss %.4f, %.0f %s/s", loss, rate, task.equals("kjv-gpt") ? "tok" : "img"))));
            bar.done();
        }
        Object json = results.size() == 1 ? toJson(results.getFirst(), backend)
                : Json.object().put("task", task).put("runs", results.stream().map(r -> toJson(r, backend)).toList());
        String text = Json.write(json);
        if (out != null) {
            AtomicFiles.write(out, o -> o.write((text + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        if (plot != null) {
            Plots.savePng(plot, charts(task, results.stream().map(Summary::of).toList()));
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (table) {
            pw.print(table(task, results.stream().map(Summary::of).toList()));
        } else {
            pw.println(text);
        }
        pw.flush();
        return 0;
    }

    /**
     * What the table and the plot need of a run, from a live result or from saved JSON.
     *
     * @param sqnrDb the probed output SQNR (dB) by role label, in {@link GemmKey#LABELS} order; only probed roles
     */
    record Summary(String policy, int steps, double[] trainLoss, List<double[]> valLoss, double finalValLoss, double accuracy,
                   double itemsPerSecond, double unpackRatio, Map<String, Double> sqnrDb, String sample, long seed) {
        static Summary of(RunResult r) {
            RoleStats all = totalStats(r.unpack());
            Map<String, Double> sqnr = new LinkedHashMap<>();
            for (String role : GemmKey.LABELS) {
                RoleStats st = r.unpack().get(role);
                if (st != null && st.probes() > 0) {
                    sqnr.put(role, st.sqnrDb());
                }
            }
            return new Summary(r.config().policy(), r.config().steps(), r.trainLoss(), r.valLoss(), r.finalValLoss(), r.accuracy(),
                    r.tokensPerSecond(), all == null ? Double.NaN : all.ratio(), sqnr, r.sample(), r.config().seed());
        }

        /** The forward linear GEMMs' (role {@code output}) probed SQNR, NaN when not probed (fp32, or runs saved before probes). */
        double outputSqnrDb() {
            return sqnrDb.getOrDefault(GemmKey.label(GemmSite.LINEAR, GemmPass.FORWARD), Double.NaN);
        }

        @SuppressWarnings("unchecked")
        static Summary of(Map<String, Object> j) {
            List<Object> tl = (List<Object>) j.get("trainLoss");
            List<double[]> vl = new ArrayList<>();
            for (Object o : (List<Object>) j.get("valLoss")) {
                List<Object> pair = (List<Object>) o;
                vl.add(new double[] {num(pair.get(0)), num(pair.get(1))});
            }
            Map<String, Object> fin = (Map<String, Object>) j.get("final");
            double ops = 0;
            double unpacked = 0;
            Map<String, Object> byRole = (Map<String, Object>) ((Map<String, Object>) j.get("unpack")).get("byRole");
            Map<String, Double> sqnr = new LinkedHashMap<>();
            for (String role : GemmKey.LABELS) {
                Map<String, Object> st = (Map<String, Object>) byRole.get(role);
                Object db = st == null ? null : st.get("sqnrDb"); // absent in runs saved before the probes existed, null when not probed
                if (db != null) {
                    sqnr.put(role, num(db));
                }
            }
            for (Object o : byRole.values()) {
                Map<String, Object> role = (Map<String, Object>) o;
                ops += num(role.get("gflop"));
                unpacked += num(role.get("gflop")) * num(role.get("ratio"));
            }
            return new Summary((String) j.get("policy"), (int) num(j.get("steps")), tl.stream().mapToDouble(Summary::num).toArray(), vl,
                    num(fin.get("valLoss")), fin.get("accuracy") == null ? Double.NaN : num(fin.get("accuracy")),
                    num(j.get("tokensPerSecond")), ops == 0 ? Double.NaN : unpacked / ops, sqnr, (String) j.get("sample"),
                    j.get("seed") == null ? 7 : (long) num(j.get("seed")));
        }

        private static double num(Object o) {
            return ((Number) o).doubleValue();
        }
    }

    /** The runs saved by {@code --out} (one run, or {@code {"task", "runs": [...]}}). */
    @SuppressWarnings("unchecked")
    static List<Summary> readRuns(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (CharacterCodingException e) {
            throw new LowbitException(file + ": not valid JSON (not UTF-8 text)");
        } catch (NoSuchFileException e) {
            throw new LowbitException(file + ": no such file");
        } catch (IOException e) {
            throw new LowbitException(file + ": cannot read: " + e.getMessage());
        }
        Object root;
        try {
            root = JsonReader.parse(text);
        } catch (RuntimeException e) {
            throw new LowbitException(file + ": not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> m)) {
            throw new LowbitException(file + ": expected a JSON object written by 'lowbit train --out'");
        }
        List<Object> runs = m.containsKey("runs") ? (List<Object>) m.get("runs") : List.of(m);
        try {
            return runs.stream().map(r -> Summary.of((Map<String, Object>) r)).toList();
        } catch (RuntimeException e) {
            throw new LowbitException(file + ": not a 'lowbit train' result (" + e.getMessage() + ")");
        }
    }

    /** Final losses, gap to the first policy, accuracy, throughput, unpack ratio; then each GPT's sample. */
    static String table(String task, List<Summary> results) {
        Table t = new Table("policy", "steps", "final val loss", "vs first", "accuracy", task.equals("kjv-gpt") ? "tokens/s" : "images/s",
                "unpack ratio", "output SQNR dB");
        StringBuilder samples = new StringBuilder();
        for (Summary r : results) {
            t.row(runName(r, results), r.steps(), r.finalValLoss(), String.format(Locale.ROOT, "%+.2f%%", gapPercent(r, results)),
                    Double.isNaN(r.accuracy()) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * r.accuracy()),
                    r.itemsPerSecond(), Double.isNaN(r.unpackRatio()) ? "-" : Table.format(r.unpackRatio()),
                    Double.isNaN(r.outputSqnrDb()) ? "-" : String.format(Locale.ROOT, "%.1f", r.outputSqnrDb()));
            if (r.sample() != null) {
                samples.append(r.policy()).append(" sample: ").append(r.sample().replace('\n', ' ')).append('\n');
            }
        }
        return t + samples.toString();
    }

    /** {@code auto} → 0 ({@code FastImUnpack.AUTO_BITS}); otherwise an integer (validated by the recipe). */
    static int parseBits(String b, int d) {
        if (b == null) {
            return d;
        }
        if (b.strip().equalsIgnoreCase("auto")) {
            return FastImUnpack.AUTO_BITS;
        }
        try {
            int v = Integer.parseInt(b.strip());
            if (v == 0) {
                throw new LowbitException("--bits must be 2..16 or auto, got 0");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new LowbitException("--bits must be 2..16 or auto, got '" + b + "'");
        }
    }

    private static <T> T or(T v, T d) {
        return v == null ? d : v;
    }

    /** Work-weighted totals over the roles (not the per-layer entries); null when nothing ran. */
    static RoleStats totalStats(Map<String, RoleStats> m) {
        RoleStats total = null;
        for (var e : m.entrySet()) {
            if (!e.getKey().contains("/")) {
                total = total == null ? e.getValue().copy() : total.plus(e.getValue());
            }
        }
        return total;
    }

    static Json toJson(RunResult r, GemmBackend backend) {
        TrainConfig c = r.config();
        Map<String, Object> byRole = new LinkedHashMap<>();
        Map<String, Object> byLayer = new LinkedHashMap<>();
        for (var e : r.unpack().entrySet()) {
            RoleStats s = e.getValue();
            Json j = Json.object().put("gemms", s.count()).put("gflop", s.ops() / 1e9).put("seconds", s.seconds()).put("ratio", s.ratio()).put("maxRatio", s.maxRatio())
                    .put("lhsHeavyHitterFraction", s.lhsHeavyHitterFraction()).put("rhsHeavyHitterFraction", s.rhsHeavyHitterFraction())
                    .put("meanBits", s.meanBits()).put("floatPathShare", s.floatPathShare()).put("widePathShare", s.widePathShare()).put("quantizeSeconds", s.quantizeSeconds()).put("unpackSeconds", s.unpackSeconds())
                    .put("gemmSeconds", s.gemmSeconds()).put("transposeSeconds", s.transposeSeconds()).put("gemmGflops", s.gflops())
                    .put("sqnrDb", s.sqnrDb()).put("probes", s.probes());
            if (!e.getKey().contains("/")) {
                List<Object> trend = new ArrayList<>();
                for (double[] v : s.sqnrDbByStep()) {
                    trend.add(Arrays.asList((long) v[0], v[1]));
                }
                j.put("sqnrDbByStep", trend);
            }
            (e.getKey().contains("/") ? byLayer : byRole).put(e.getKey(), j);
        }
        List<Object> val = new ArrayList<>();
        for (double[] v : r.valLoss()) {
            val.add(List.of((int) v[0], v[1]));
        }
        Json fin = Json.object().put("valLoss", r.finalValLoss()).put("accuracy", Double.isNaN(r.accuracy()) ? null : r.accuracy());
        Json j = Json.object().put("task", c.task()).put("policy", c.policy()).put("steps", c.steps()).put("seed", c.seed())
                .put("trainLoss", r.trainLoss()).put("valLoss", val).put("final", fin).put("tokensPerSecond", r.tokensPerSecond())
                .put("unpack", Json.object().put("byRole", byRole).put("byLayer", byLayer))
                .put("model", Json.object().put("parameters", r.parameters()).put("layers", c.layers()).put("dim", c.dim())
                        .put("heads", c.heads()).put("context", c.context()).put("batch", c.batch()).put("lr", c.lr()).put("warmup", c.warmup()).put("clip", c.clip()).put("bits", c.bits() == 0 ? (Object) "auto" : (Object) c.bits()).put("scaleScope", GemmExecutor.SCALE_SCOPE.label()))
                .put("backend", backend.name()).put("seconds", r.seconds()).put("resumedFrom", r.resumedFrom())
                .put("cpuSeconds", Double.isNaN(r.cpuSeconds()) ? null : r.cpuSeconds())
                .put("tokensPerCpuSecond", Double.isNaN(r.cpuSeconds()) ? null : r.tokensPerSecond() * r.seconds() / r.cpuSeconds());
        if (!r.quantizerParams().isEmpty()) {
            Json q = Json.object();
            for (var e : r.quantizerParams().entrySet()) {
                double init = e.getValue()[0];
                q.put(e.getKey(), Json.object().put("initial", Double.isNaN(init) ? null : init).put("final", e.getValue()[1]));
            }
            j.put("quantizerParams", q);
        }
        if (r.sample() != null) {
            j.put("sample", r.sample());
        }
        return j;
    }

    /**
     * The loss curves; with two or more runs, beside them each run's final validation loss against the first run's; and
     * when runs were probed, their output SQNR by GEMM role.
     */
    static List<org.knowm.xchart.internal.chartpart.Chart<?, ?>> charts(String task, List<Summary> results) {
        List<org.knowm.xchart.internal.chartpart.Chart<?, ?>> all = new ArrayList<>();
        all.add(chart(task, results));
        if (results.size() >= 2) {
            all.add(gapChart(task, results));
        }
        org.knowm.xchart.CategoryChart sqnr = sqnrChart(task, results);
        if (sqnr != null) {
            all.add(sqnr);
        }
        return all;
    }

    /**
     * Grouped bars: for each GEMM role probed in every probed run, each such run's output SQNR in dB; null when no run
     * was probed (fp32 only, or runs saved before the probes).
     */
    static org.knowm.xchart.CategoryChart sqnrChart(String task, List<Summary> results) {
        List<Summary> probed = results.stream().filter(r -> !r.sqnrDb().isEmpty()).toList();
        if (probed.isEmpty()) {
            return null;
        }
        List<String> roles = new ArrayList<>(probed.getFirst().sqnrDb().keySet());
        for (Summary r : probed) {
            roles.retainAll(r.sqnrDb().keySet());
        }
        if (roles.isEmpty()) {
            return null;
        }
        int width = Math.min(1000, Math.max(620, 260 + 10 * roles.size() * probed.size()));
        org.knowm.xchart.CategoryChart ch = new org.knowm.xchart.CategoryChartBuilder().width(width)
                .height(520).title(task + ": output SQNR by GEMM role").xAxisTitle("role").yAxisTitle("SQNR vs float32 (dB)").build();
        ch.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        ch.getStyler().setXAxisLabelRotation(45);
        ch.getStyler().setXAxisMaxLabelCount(roles.size());
        ch.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        Set<String> seen = new HashSet<>();
        for (Summary r : probed) {
            if (seen.add(r.policy())) { // series names must be unique
                ch.addSeries(r.policy(), roles, roles.stream().map(role -> r.sqnrDb().get(role)).toList());
            }
        }
        return ch;
    }

    /** Fills the footer's policy list from {@link dev.lowbit.policy.Presets#describe()}: one line per recipe. */
    static void describePolicies(CommandLine train) {
        StringBuilder b = new StringBuilder();
        for (var e : Presets.describe().entrySet()) {
            // wrapped here (picocli would not indent the continuation lines)
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-15s", e.getKey()));
            for (String word : e.getValue().replace("%", "%%").split(" ")) {
                if (line.length() + 1 + word.length() > 104) {
                    b.append(b.isEmpty() ? "" : "%n").append(line);
                    line = new StringBuilder(" ".repeat(17));
                }
                line.append(' ').append(word);
            }
            b.append(b.isEmpty() ? "" : "%n").append(line);
        }
        String[] footer = train.getCommandSpec().usageMessage().footer().clone();
        for (int i = 0; i < footer.length; i++) {
            footer[i] = footer[i].equals("%s") ? b.toString() : footer[i];
        }
        train.getCommandSpec().usageMessage().footer(footer);
    }

    /**
     * The final validation loss of {@code r} relative to the baseline's, in percent: the baseline is the first run with
     * the first run's policy and {@code r}'s seed (runs of several seeds compare within their seed), else the first run.
     */
    static double gapPercent(Summary r, List<Summary> results) {
        Summary first = results.getFirst();
        Summary base = results.stream().filter(b -> b.policy().equals(first.policy()) && b.seed() == r.seed()).findFirst().orElse(first);
        return 100 * (r.finalValLoss() / base.finalValLoss() - 1);
    }

    /** The policy, with its seed when the runs span several seeds. */
    static String runName(Summary r, List<Summary> results) {
        boolean seeds = results.stream().anyMatch(o -> o.seed() != results.getFirst().seed());
        return seeds ? r.policy() + " s" + r.seed() : r.policy();
    }

    /** One bar per run: final validation loss relative to the first run's, in percent (the table's "vs first"). */
    static org.knowm.xchart.CategoryChart gapChart(String task, List<Summary> results) {
        org.knowm.xchart.CategoryChart ch = new org.knowm.xchart.CategoryChartBuilder().width(Math.max(420, 60 + 45 * results.size())).height(520)
                .title(task + ": final val loss vs " + results.getFirst().policy() + (results.stream().anyMatch(o -> o.seed() != results.getFirst().seed()) ? " of the same seed" : "")).xAxisTitle("policy").yAxisTitle("gap (%)").build();
        ch.getStyler().setLegendVisible(false);
        ch.getStyler().setXAxisLabelRotation(90);
        ch.getStyler().setXAxisMaxLabelCount(results.size());
        ch.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        ch.getStyler().setLabelsVisible(true);
        ch.getStyler().setLabelsFontColorAutomaticEnabled(false);
        ch.getStyler().setDecimalPattern("0.00");
        List<String> names = results.stream().map(r -> runName(r, results)).toList();
        List<Double> gaps = results.stream().map(r -> gapPercent(r, results)).toList();
        ch.addSeries("gap", names, gaps);
        return ch;
    }

    static XYChart chart(String task, List<Summary> results) {
        XYChart ch = new XYChartBuilder().width(900).height(520).title(task + ": loss per step (train: moving average of 20)")
                .xAxisTitle("step").yAxisTitle("cross-entropy (nats)").build();
        Map<String, Integer> seen = new java.util.HashMap<>(); // the same policy twice (runs of several seeds): "fp32 (2)"
        for (Summary r : results) {
            String run = runName(r, results);
            int nth = seen.merge(run, 1, Integer::sum);
            String name = nth == 1 ? run : run + " (" + nth + ")";
            double[] tl = r.trainLoss();
            int n = tl.length;
            double[] xs = new double[n];
            double[] ys = new double[n];
            double acc = 0;
            for (int i = 0; i < n; i++) {
                acc += tl[i];
                if (i >= 20) {
                    acc -= tl[i - 20];
                }
                xs[i] = i + 1;
                ys[i] = acc / Math.min(i + 1, 20);
            }
            ch.addSeries(name + " train", xs, ys).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            double[] vx = r.valLoss().stream().mapToDouble(v -> v[0]).toArray();
            double[] vy = r.valLoss().stream().mapToDouble(v -> v[1]).toArray();
            ch.addSeries(name + " val", vx, vy);
        }
        return ch;
    }
}
