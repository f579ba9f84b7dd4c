package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.io.AtomicFiles;
import dev.lowbit.report.Json;
import dev.lowbit.report.Plots;
import dev.lowbit.report.Table;
import dev.lowbit.train.GemmExecutor;
import dev.lowbit.train.Recipes;
import dev.lowbit.train.RunResult;
import dev.lowbit.train.TrainConfig;
import dev.lowbit.train.Trainer;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
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
        footer = {"", "Policies:", "  fp32, imunpack, imunpack-sim, rtn-clip, int8, rtn-15 (see docs/training.md)",
            "", "Examples:",
            "  ./lowbit train --task kjv-gpt --policy fp32 --steps 300 --plot loss.png",
            "  ./lowbit train --task kjv-gpt --policies fp32,imunpack,rtn-clip --steps 600 --out runs.json --plot loss.png",
            "  ./lowbit train --task fashion-vit --policy imunpack --steps 500 --checkpoint ckpt/ && ./lowbit train … --resume"})
final class TrainCommand implements Callable<Integer> {
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

    @Option(names = "--bits", description = "IM-Unpack bit-width b for the imunpack policy (default: 8, the fastest measured; the result does not depend on b).")
    Integer bits;

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

    @Override
    public Integer call() {
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
                    or(lr, d.lr()), Math.min(d.warmup(), Math.max(1, or(steps, d.steps()) / 10)), or(evalEvery, d.evalEvery()),
                    d.evalBatches(), or(bits, d.bits()), data, checkpoint, checkpointEvery));
        }
        GemmBackend backend = GemmBackends.preferred();
        List<RunResult> results = new ArrayList<>();
        for (TrainConfig c : configs) {
            Progress bar = Progress.stderr(spec, "train " + c.policy(), c.steps());
            results.add(Trainer.run(c, backend, resume, (s, total, loss, rate) -> bar.stepTo(s,
                    String.format(java.util.Locale.ROOT, "loss %.4f, %.0f %s/s", loss, rate, task.equals("kjv-gpt") ? "tok" : "img"))));
            bar.done();
        }
        Object json = results.size() == 1 ? toJson(results.getFirst(), backend)
                : Json.object().put("task", task).put("runs", results.stream().map(r -> toJson(r, backend)).toList());
        String text = Json.write(json);
        if (out != null) {
            AtomicFiles.write(out, o -> o.write((text + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        if (plot != null) {
            Plots.savePng(plot, List.of(chart(task, results)));
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (table) {
            pw.print(table(task, results));
        } else {
            pw.println(text);
        }
        pw.flush();
        return 0;
    }

    /** Final losses, gap to the first policy, accuracy, throughput, unpack ratio; then each GPT's sample. */
    static String table(String task, List<RunResult> results) {
        Table t = new Table("policy", "steps", "final val loss", "vs first", "accuracy", task.equals("kjv-gpt") ? "tokens/s" : "images/s",
                "unpack ratio");
        double base = results.getFirst().finalValLoss();
        StringBuilder samples = new StringBuilder();
        for (RunResult r : results) {
            GemmExecutor.RoleStats all = totalStats(r.unpack());
            t.row(r.config().policy(), r.config().steps(), r.finalValLoss(),
                    String.format(java.util.Locale.ROOT, "%+.2f%%", 100 * (r.finalValLoss() / base - 1)),
                    Double.isNaN(r.accuracy()) ? "-" : String.format(java.util.Locale.ROOT, "%.2f%%", 100 * r.accuracy()),
                    r.tokensPerSecond(), all == null ? "-" : Table.format(all.ratio()));
            if (r.sample() != null) {
                samples.append(r.config().policy()).append(" sample: ").append(r.sample().replace('\n', ' ')).append('\n');
            }
        }
        return t + samples.toString();
    }

    private static <T> T or(T v, T d) {
        return v == null ? d : v;
    }

    /** Work-weighted totals over the roles (not the per-layer entries); null when nothing ran. */
    static GemmExecutor.RoleStats totalStats(Map<String, GemmExecutor.RoleStats> m) {
        GemmExecutor.RoleStats total = null;
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
            GemmExecutor.RoleStats s = e.getValue();
            Json j = Json.object().put("gemms", s.count()).put("gflop", s.ops() / 1e9).put("seconds", s.seconds()).put("ratio", s.ratio()).put("maxRatio", s.maxRatio())
                    .put("lhsHeavyHitterFraction", s.lhsHeavyHitterFraction()).put("rhsHeavyHitterFraction", s.rhsHeavyHitterFraction());
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
                        .put("heads", c.heads()).put("context", c.context()).put("batch", c.batch()).put("lr", c.lr()).put("bits", c.bits()))
                .put("backend", backend.name()).put("seconds", r.seconds()).put("resumedFrom", r.resumedFrom());
        if (r.sample() != null) {
            j.put("sample", r.sample());
        }
        return j;
    }

    static XYChart chart(String task, List<RunResult> results) {
        XYChart ch = new XYChartBuilder().width(900).height(520).title(task + ": loss per step (train: moving average of 20)")
                .xAxisTitle("step").yAxisTitle("cross-entropy (nats)").build();
        for (RunResult r : results) {
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
            ch.addSeries(r.config().policy() + " train", xs, ys).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            double[] vx = r.valLoss().stream().mapToDouble(v -> v[0]).toArray();
            double[] vy = r.valLoss().stream().mapToDouble(v -> v[1]).toArray();
            ch.addSeries(r.config().policy() + " val", vx, vy);
        }
        return ch;
    }
}
