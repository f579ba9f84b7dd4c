package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ImUnpackResult;
import dev.lowbit.gemm.ImUnpackSpec;
import dev.lowbit.gemm.ScalarGemm;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.Sqnr;
import dev.lowbit.report.Json;
import dev.lowbit.report.Plots;
import dev.lowbit.report.QuantComparison;
import dev.lowbit.report.Table;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import dev.lowbit.train.RunResult;
import dev.lowbit.train.TrainConfig;
import dev.lowbit.train.Trainer;
import dev.lowbit.unpack.UnpackStrategy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit demo}: what IM-Unpack does, on built-in synthetic matrices. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show what IM-Unpack does, on built-in matrices.",
            "",
            "Three GEMMs (Gaussian, heavy-tailed Student-t, activations with outlier channels), each for",
            "b in {2,3,4,8} and every strategy: the unpack ratio m'n'k'/mnk, the heavy-hitter fractions,",
            "a check that the folded low-bit GEMM is exact, and the error vs float64.",
            "Then the real all-MiniLM-L6-v2 embeds 8 built-in sentences in fp32, imunpack (255 levels) and int8: similarities,",
            "cosine to fp32, the unpack ratio of every GEMM of every layer, and sentences/s.", ""},
        footer = {"", "Examples:", "  ./lowbit demo", "  ./lowbit demo --plot demo.png", "  ./lowbit demo --json > demo.json",
            "  ./lowbit demo --train-steps 0 --no-model   # the synthetic sections only"})
final class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    BackendOption backendOption;

    static final int[] BITS = {2, 3, 4, 8};
    static final UnpackStrategy[] STRATEGIES = {UnpackStrategy.ROW, UnpackStrategy.COLUMN, UnpackStrategy.BOTH, UnpackStrategy.AUTO};

    @Spec
    CommandSpec spec;

    @Option(names = "--size", defaultValue = "128x128x256", paramLabel = "MxNxK", description = "GEMM shape (default: ${DEFAULT-VALUE}).")
    String size;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the synthetic matrices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--beta", defaultValue = "0.95", description = "Percentile (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--levels", defaultValue = "15", description = "Quantization levels (default: ${DEFAULT-VALUE}).")
    int levels;

    @Option(names = "--train-steps", defaultValue = "150",
            description = "Steps of the short training comparison (fp32 vs imunpack vs rtn-clip on a tiny GPT); 0 skips it (default: ${DEFAULT-VALUE}).")
    int trainSteps;

    @Option(names = "--no-model", description = "Skip the real-model section (all-MiniLM-L6-v2 in fp32, imunpack and int8).")
    boolean noModel;

    @Option(names = "--threads", paramLabel = "T", description = "Worker threads of the real-model section (default: the number of processors).")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object instead of the tables.")
    boolean json;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw the unpack ratios as a PNG bar chart.")
    Path plot;

    /** One demo input: a left operand and a weight. */
    record Case(String name, String description, FloatMatrix lhs, FloatMatrix rhs) {}

    /** One measured cell of the demo grid. */
    record Cell(String matrix, int bits, String strategy, String chosen, double ratio, double lhsHeavy, double rhsHeavy,
                boolean exact, double relError) {}

    static List<Case> cases(int m, int n, int k, long seed) {
        return List.of(
                new Case("gaussian", "i.i.d. N(0,1) activations and weights", RandomMatrices.gaussian(m, k, seed),
                        RandomMatrices.gaussian(n, k, seed + 1)),
                new Case("heavy-tailed", "i.i.d. Student-t (nu = 3) activations and weights", RandomMatrices.studentT(m, k, 3, seed + 2),
                        RandomMatrices.studentT(n, k, 3, seed + 3)),
                new Case("outlier-channels", "N(0,1) activations with k/64 channels x40 (LLM-like), Gaussian weights",
                        RandomMatrices.outlierChannels(m, k, Math.max(1, k / 64), 40, seed + 4), RandomMatrices.gaussian(n, k, seed + 5)));
    }

    @Override
    public Integer call() {
        Inputs.checkOutput(plot, "--plot");
        int[] shape = BenchShapes.parse(size);
        int modelThreads = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (modelThreads < 1) {
            throw new LowbitException("--threads must be >= 1, got " + modelThreads);
        }
        Inputs.checkBeta(beta);
        QuantParams qp = new QuantParams(beta, levels, Granularity.TENSOR, false);
        GemmBackend be = backendOption.backend();
        Progress progress = Progress.stderr(spec, "demo", cases(0, 0, 0, seed).size() * BITS.length * STRATEGIES.length);
        List<Cell> cells = new ArrayList<>();
        for (Case c : cases(shape[0], shape[1], shape[2], seed)) {
            double[] ref = ScalarGemm.f64(c.lhs(), c.rhs());
            for (int b : BITS) {
                for (UnpackStrategy s : STRATEGIES) {
                    ImUnpackResult r = ImUnpackGemm.multiply(c.lhs(), c.rhs(), ImUnpackSpec.of(qp, b, s), be, true);
                    cells.add(new Cell(c.name(), b, s.label(), r.stats().strategies(), r.stats().ratio(),
                            r.stats().lhs().heavyHitterFraction(), r.stats().rhs().heavyHitterFraction(), r.exact(),
                            Sqnr.relativeError(r.outF64(), ref)));
                    progress.step();
                }
            }
        }
        progress.done();
        List<FormatsDemo.Row> formatRows = FormatsDemo.run(seed);
        Case cmpCase = cases(shape[0], shape[1], shape[2], seed).getLast();
        List<QuantComparison.MethodResult> compared = QuantComparison.run(
                new QuantComparison.Inputs(cmpCase.lhs(), cmpCase.rhs(), cmpCase.lhs(), 4, seed, be), QuantComparison.parseMethods("all"));
        List<RunResult> runs = new ArrayList<>();
        if (trainSteps > 0) {
            for (String policy : List.of("fp32", "imunpack", "rtn-clip")) {
                TrainConfig c = new TrainConfig("kjv-gpt", policy, trainSteps, seed, 16, 32, 1, 48, 4, 3e-3, Math.max(1, trainSteps / 10),
                        Math.max(1, trainSteps / 5), 4, 4, null, null, 0);
                Progress bar = Progress.stderr(spec, "demo training " + policy, trainSteps);
                runs.add(Trainer.run(c, be, false, (st, total, loss, rate) -> bar.stepTo(st, String.format(Locale.ROOT, "loss %.3f", loss))));
                bar.done();
            }
        }
        RealModelDemo.Result model = null;
        if (!noModel) {
            Progress bar = Progress.stderr(spec, "demo all-MiniLM-L6-v2", RealModelDemo.PRECISIONS.size());
            model = RealModelDemo.run(be, modelThreads, bar);
            bar.done();
        }
        PrintWriter pw = spec.commandLine().getOut();
        if (json) {
            List<Json> list = cells.stream().map(c -> Json.object().put("matrix", c.matrix()).put("bits", c.bits())
                    .put("strategy", c.strategy()).put("chosenStrategy", c.chosen()).put("ratio", c.ratio())
                    .put("lhsHeavyHitterFraction", c.lhsHeavy()).put("rhsHeavyHitterFraction", c.rhsHeavy())
                    .put("exact", c.exact()).put("relErrorVsFp32", c.relError())).toList();
            pw.println(Json.object().put("shape", size).put("seed", seed).put("beta", beta).put("levels", levels)
                    .put("backend", be.name()).put("results", list).put("compare", CompareCommand.toJson(compared))
                    .put("training", runs.stream().map(r -> TrainCommand.toJson(r, be)).toList())
                    .put("formats", FormatsDemo.json(formatRows)).put("realModel", model == null ? null : RealModelDemo.json(model)));
        } else {
            pw.print(tables(shape, qp, be, cells));
            pw.print("\nThe seeds' quantizers on the outlier-channels GEMM (4 bits where a method has a choice):\n");
            pw.print(CompareCommand.table(compared));
            if (!runs.isEmpty()) {
                pw.print("\nShort training run: character-level GPT on the KJV (1 layer, width 48, context 32, batch 16, " + trainSteps
                        + " steps), every GEMM incl. backward and attention under the policy:\n");
                pw.print(TrainCommand.table("kjv-gpt", runs.stream().map(TrainCommand.Summary::of).toList()));
            }
            pw.print(FormatsDemo.table(formatRows, seed));
            if (model != null) {
                pw.print(RealModelDemo.text(model));
            }
        }
        if (plot != null) {
            List<org.knowm.xchart.internal.chartpart.Chart<?, ?>> all = new ArrayList<>(charts(cells));
            if (!runs.isEmpty()) {
                all.add(TrainCommand.chart("kjv-gpt", runs.stream().map(TrainCommand.Summary::of).toList()));
            }
            if (model != null && RealModelDemo.chart(model) != null) {
                all.add(RealModelDemo.chart(model));
            }
            Plots.savePng(plot, all);
            if (!json) {
                pw.println("plot written to " + plot);
            }
        }
        pw.flush();
        return cells.stream().allMatch(Cell::exact) ? 0 : 1;
    }

    private String tables(int[] shape, QuantParams qp, GemmBackend be, List<Cell> cells) {
        StringBuilder sb = new StringBuilder();
        sb.append("IM-Unpack demo: C = A·Wᵀ with A ").append(shape[0]).append('x').append(shape[2]).append(", W ")
                .append(shape[1]).append('x').append(shape[2]).append(", RTN ").append(qp.label())
                .append(" per tensor (heavy hitters kept), seed ").append(seed).append(", backend ").append(be.name()).append("\n\n");
        sb.append("Each integer GEMM is rewritten into b-bit GEMMs plus a fold; 'ratio' is the unpacked work m'n'k'/mnk.\n");
        sb.append("'exact' compares the fold with the int64 GEMM of the codes; the error vs float64 does not depend on b.\n");
        for (Case c : cases(0, 0, 0, seed)) {
            sb.append("\n").append(c.name()).append(": ").append(c.description()).append('\n');
            Table t = new Table("b", "heavy hitters (A)", "heavy hitters (W)", "row", "column", "both", "auto", "exact", "rel. error");
            for (int b : BITS) {
                List<Cell> row = cells.stream().filter(x -> x.matrix().equals(c.name()) && x.bits() == b).toList();
                Cell first = row.getFirst();
                Cell auto = row.getLast();
                t.row(b, pct(first.lhsHeavy()), pct(first.rhsHeavy()), row.get(0).ratio(), row.get(1).ratio(), row.get(2).ratio(),
                        Table.format(auto.ratio()) + " (" + auto.chosen() + ")", row.stream().allMatch(Cell::exact) ? "yes" : "NO",
                        first.relError());
            }
            sb.append(t);
        }
        return sb.toString();
    }

    private static String pct(double f) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * f);
    }

    private List<XYChart> charts(List<Cell> cells) {
        List<XYChart> charts = new ArrayList<>();
        for (Case c : cases(0, 0, 0, seed)) {
            XYChart ch = new XYChartBuilder().width(560).height(420).title(c.name() + " (" + size + ", " + levels + " levels)")
                    .xAxisTitle("bits b").yAxisTitle("unpack ratio m'n'k'/mnk (log)").build();
            ch.getStyler().setYAxisLogarithmic(true);
            ch.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
            for (UnpackStrategy s : STRATEGIES) {
                List<Double> xs = new ArrayList<>();
                List<Double> ys = new ArrayList<>();
                for (Cell x : cells) {
                    if (x.matrix().equals(c.name()) && x.strategy().equals(s.label())) {
                        xs.add((double) x.bits());
                        ys.add(x.ratio());
                    }
                }
                ch.addSeries(s.label(), xs, ys);
            }
            charts.add(ch);
        }
        return charts;
    }
}
