package dev.lowbit.spark;

import dev.lowbit.LowbitException;
import dev.lowbit.cli.LowbitCli;
import dev.lowbit.io.AtomicFiles;
import dev.lowbit.report.Json;
import dev.lowbit.report.Table;
import dev.lowbit.text.JsonReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A training study on Spark: every cell (policy × seed × layers × width) is one {@code ./lowbit train} run in one Spark
 * task (one {@code Trainer}, {@code --threads} = the task's cores), run through the CLI's own entry point so that
 * each run's JSON is exactly what {@code train --out} writes. The driver writes {@code runs/CELL.json} per finished
 * cell, {@code table.parquet} and {@code table.md} (final loss, gap to fp32 of the same seed and size, mean ± std over
 * seeds) and, per size and seed, the plots of {@code train --from}. A failing cell (bad policy, NaN loss) is a row
 * with its one-line error and does not stop the others; cells whose JSON exists are not run again.
 */
public final class Sweep {
    private Sweep() {}

    /** One training run of the study; {@code extra} are further {@code train} options shared by all cells. */
    public record Cell(String task, String policy, long seed, int layers, int dim, int steps, List<String> extra) implements Serializable {
        /** A file name: policy (':' → '_'), seed, size, steps. */
        public String name() {
            return String.format(Locale.ROOT, "%s-s%d-L%d-d%d-n%d", policy.replaceAll("[^A-Za-z0-9._+-]", "_"), seed, layers, dim, steps);
        }

        String group() {
            return String.format(Locale.ROOT, "L%d-d%d-s%d", layers, dim, seed);
        }

        List<String> trainArgs(int threads) {
            List<String> a = new ArrayList<>(List.of("train", "--task", task, "--policy", policy, "--seed", Long.toString(seed),
                    "--layers", Integer.toString(layers), "--dim", Integer.toString(dim), "--steps", Integer.toString(steps),
                    "--threads", Integer.toString(threads)));
            a.addAll(extra);
            return a;
        }
    }

    /** What a cell's task returns: the run's JSON, or the one-line error; where and how long it ran. */
    public record Outcome(Cell cell, String json, String error, String executor, double seconds, boolean skipped) implements Serializable {}

    /** The study's result: every cell's outcome, in cell order, and the wall time of the Spark job. */
    public record Result(List<Outcome> outcomes, double seconds) {}

    /** The cells of a grid, in policy-major order (the order of the table). */
    public static List<Cell> grid(String task, List<String> policies, List<Long> seeds, List<Integer> layers, List<Integer> dims,
                                  int steps, List<String> extra) {
        List<Cell> cells = new ArrayList<>();
        for (int l : layers) {
            for (int d : dims) {
                for (String p : policies) {
                    for (long s : seeds) {
                        cells.add(new Cell(task, p.strip(), s, l, d, steps, List.copyOf(extra)));
                    }
                }
            }
        }
        if (cells.stream().map(Cell::name).distinct().count() != cells.size()) {
            throw new LowbitException("the grid names a cell twice (repeated policy, seed, --layers or --dim)");
        }
        return cells;
    }

    /** Runs the cells not yet in {@code out/runs/} (one Spark task each), then writes the table and plots. */
    public static Result run(SparkSession spark, List<Cell> cells, Path out, int threadsPerTask) {
        Path runs = out.resolve("runs");
        try {
            Files.createDirectories(runs);
        } catch (IOException e) {
            throw new LowbitException("cannot create " + runs + ": " + e.getMessage());
        }
        List<Cell> todo = cells.stream().filter(c -> !Files.exists(runs.resolve(c.name() + ".json"))).toList();
        long t0 = System.nanoTime();
        List<Outcome> ran = todo.isEmpty() ? List.of()
                : new JavaSparkContext(spark.sparkContext()).parallelize(todo, todo.size()).map(c -> runCell(c, threadsPerTask)).collect();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Outcome> byName = new LinkedHashMap<>();
        for (Outcome o : ran) {
            byName.put(o.cell().name(), o);
            if (o.json() != null) {
                AtomicFiles.write(runs.resolve(o.cell().name() + ".json"), w -> w.write((o.json() + "\n").getBytes(StandardCharsets.UTF_8)));
            }
        }
        List<Outcome> all = new ArrayList<>();
        for (Cell c : cells) {
            Outcome o = byName.get(c.name());
            if (o == null) {
                Path f = runs.resolve(c.name() + ".json");
                try {
                    o = new Outcome(c, Files.readString(f).strip(), null, null, Double.NaN, true);
                } catch (IOException e) {
                    throw new LowbitException("cannot read " + f + ": " + e.getMessage());
                }
            }
            all.add(o);
        }
        Result r = new Result(all, seconds);
        writeTable(spark, r, out);
        writePlots(r, out);
        return r;
    }

    /** On an executor: one {@code ./lowbit train} run; never throws (a failure is the outcome's one-line error). */
    static Outcome runCell(Cell c, int threadsPerTask) {
        TaskContext tc = TaskContext.get();
        int threads = threadsPerTask > 0 ? threadsPerTask : tc == null ? 1 : Math.max(1, tc.cpus());
        String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        long t0 = System.nanoTime();
        int code;
        try {
            code = LowbitCli.execute(c.trainArgs(threads).toArray(String[]::new), new PrintWriter(so), new PrintWriter(se));
        } catch (RuntimeException | Error e) { // picocli's handlers catch the command's own exceptions; this is the rest
            code = 1;
            se.write("lowbit: internal error: " + LowbitException.oneLine(String.valueOf(e)) + "\n");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (code != 0) {
            return new Outcome(c, null, lastErrorLine(se.toString(), code), executor, seconds, false);
        }
        String json = so.toString().strip();
        double loss = finalLoss(json);
        if (!Double.isFinite(loss)) {
            return new Outcome(c, null, "final validation loss is not finite (NaN or infinite)", executor, seconds, false);
        }
        return new Outcome(c, json, null, executor, seconds, false);
    }

    static String lastErrorLine(String err, int code) {
        String last = null;
        for (String l : err.split("[\r\n]+")) {
            if (l.startsWith("lowbit: ")) {
                last = l.substring("lowbit: ".length()).strip();
            }
        }
        return last != null ? last : "train exited with status " + code;
    }

    /** {@code final.valLoss} of a {@code train --out} JSON (NaN when null, as the writer writes non-finite values). */
    @SuppressWarnings("unchecked")
    static double finalLoss(String json) {
        Map<String, Object> j = (Map<String, Object>) JsonReader.parse(json);
        Object v = ((Map<String, Object>) j.get("final")).get("valLoss");
        return v == null ? Double.NaN : ((Number) v).doubleValue();
    }

    @SuppressWarnings("unchecked")
    static double runSeconds(String json) {
        Object v = ((Map<String, Object>) JsonReader.parse(json)).get("seconds");
        return v == null ? Double.NaN : ((Number) v).doubleValue();
    }

    /** The fp32 outcome of the same seed, size and steps (the baseline of the gap), or null. */
    static Outcome baseline(Outcome o, List<Outcome> all) {
        for (Outcome b : all) {
            Cell c = b.cell();
            if (c.policy().equalsIgnoreCase("fp32") && c.seed() == o.cell().seed() && c.layers() == o.cell().layers()
                    && c.dim() == o.cell().dim() && c.steps() == o.cell().steps() && b.json() != null) {
                return b;
            }
        }
        return null;
    }

    /** Gap of the final loss to fp32 of the same seed and size, in percent (NaN without a baseline or on error). */
    static double gapPercent(Outcome o, List<Outcome> all) {
        Outcome b = baseline(o, all);
        return o.json() == null || b == null ? Double.NaN : 100 * (finalLoss(o.json()) / finalLoss(b.json()) - 1);
    }

    static void writeTable(SparkSession spark, Result r, Path out) {
        StructType schema = new StructType().add("cell", DataTypes.StringType).add("task", DataTypes.StringType)
                .add("policy", DataTypes.StringType).add("seed", DataTypes.LongType).add("layers", DataTypes.IntegerType)
                .add("dim", DataTypes.IntegerType).add("steps", DataTypes.IntegerType).add("finalValLoss", DataTypes.DoubleType)
                .add("gapToFp32Percent", DataTypes.DoubleType).add("runSeconds", DataTypes.DoubleType)
                .add("executor", DataTypes.StringType).add("skipped", DataTypes.BooleanType).add("error", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        Table cells = new Table("cell", "policy", "seed", "layers", "dim", "steps", "final val loss", "gap to fp32", "seconds", "status");
        for (Outcome o : r.outcomes()) {
            Cell c = o.cell();
            Double loss = o.json() == null ? null : finalLoss(o.json());
            double gap = gapPercent(o, r.outcomes());
            Double secs = o.json() == null ? null : runSeconds(o.json());
            rows.add(RowFactory.create(c.name(), c.task(), c.policy(), c.seed(), c.layers(), c.dim(), c.steps(), loss,
                    Double.isNaN(gap) ? null : gap, secs, o.executor(), o.skipped(), o.error()));
            cells.row(c.name(), c.policy(), c.seed(), c.layers(), c.dim(), c.steps(), loss == null ? "-" : String.format(Locale.ROOT, "%.4f", loss),
                    Double.isNaN(gap) ? "-" : String.format(Locale.ROOT, "%+.2f%%", gap),
                    secs == null ? "-" : String.format(Locale.ROOT, "%.1f", secs),
                    o.error() != null ? "error: " + o.error() : o.skipped() ? "done earlier" : "ok");
        }
        Table summary = new Table("policy", "layers", "dim", "seeds", "final val loss (mean ± std)", "gap to fp32 (mean ± std)", "failed");
        Map<String, List<Outcome>> groups = new LinkedHashMap<>();
        for (Outcome o : r.outcomes()) {
            groups.computeIfAbsent(o.cell().policy() + "|" + o.cell().layers() + "|" + o.cell().dim() + "|" + o.cell().steps(),
                    k -> new ArrayList<>()).add(o);
        }
        for (List<Outcome> g : groups.values()) {
            List<Outcome> ok = g.stream().filter(o -> o.json() != null).toList();
            double[] loss = ok.stream().mapToDouble(o -> finalLoss(o.json())).toArray();
            double[] gap = ok.stream().mapToDouble(o -> gapPercent(o, r.outcomes())).filter(Double::isFinite).toArray();
            Cell c = g.getFirst().cell();
            summary.row(c.policy(), c.layers(), c.dim(), ok.size(), meanStd(loss, "%.4f"), meanStd(gap, "%+.2f%%"), g.size() - ok.size());
        }
        String md = "# Study: " + r.outcomes().getFirst().cell().task() + "\n\n"
                + "Gap: final validation loss relative to fp32 of the same seed and size. Std: sample standard deviation over seeds.\n\n"
                + "## By policy\n\n" + markdown(summary.toString()) + "\n## Cells\n\n" + markdown(cells.toString());
        AtomicFiles.write(out.resolve("table.md"), w -> w.write(md.getBytes(StandardCharsets.UTF_8)));
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path("file", null, out.toAbsolutePath().resolve("table.parquet").toString());
        org.apache.hadoop.fs.Path tmp = new org.apache.hadoop.fs.Path("file", null,
                out.toAbsolutePath().resolve(".table.parquet.tmp-" + UUID.randomUUID()).toString());
        try {
            org.apache.hadoop.fs.FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try {
                spark.createDataFrame(rows, schema).coalesce(1).write().parquet(tmp.toString());
                EmbedJob.replace(fs, tmp, target);
            } finally {
                fs.delete(tmp, true);
            }
        } catch (IOException e) {
            throw new LowbitException("cannot write " + target + ": " + e.getMessage());
        }
    }

    static String meanStd(double[] v, String fmt) {
        if (v.length == 0) {
            return "-";
        }
        double mean = 0;
        for (double x : v) {
            mean += x / v.length;
        }
        double ss = 0;
        for (double x : v) {
            ss += (x - mean) * (x - mean);
        }
        String m = String.format(Locale.ROOT, fmt, mean);
        return v.length < 2 ? m : m + " ± " + String.format(Locale.ROOT, fmt.replace("+", ""), Math.sqrt(ss / (v.length - 1)));
    }

    /** lowbit's aligned text table as a Markdown table (header, separator, rows). */
    static String markdown(String table) {
        StringBuilder sb = new StringBuilder();
        String[] lines = table.split("\n");
        int n = 0;
        for (String l : lines) {
            if (l.isBlank() || l.matches("^[-+ ]+$")) {
                continue;
            }
            String[] cells = l.strip().split(" {2,}");
            sb.append("| ").append(String.join(" | ", cells)).append(" |\n");
            if (n++ == 0) {
                sb.append("|").append(" --- |".repeat(cells.length)).append('\n');
            }
        }
        return sb.toString();
    }

    /** Per (size, seed) with two or more finished runs: {@code train --from THEM --plot plots/GROUP.png} (fp32 first). */
    static void writePlots(Result r, Path out) {
        Map<String, List<Outcome>> groups = new LinkedHashMap<>();
        for (Outcome o : r.outcomes()) {
            if (o.json() != null) {
                groups.computeIfAbsent(o.cell().group() + "-n" + o.cell().steps(), k -> new ArrayList<>()).add(o);
            }
        }
        for (var e : groups.entrySet()) {
            List<Outcome> g = new ArrayList<>(e.getValue());
            g.sort((a, b) -> Boolean.compare(!a.cell().policy().equalsIgnoreCase("fp32"), !b.cell().policy().equalsIgnoreCase("fp32")));
            String from = String.join(",", g.stream().map(o -> out.resolve("runs").resolve(o.cell().name() + ".json").toString()).toList());
            Path plot = out.resolve("plots").resolve(e.getKey() + ".png");
            try {
                Files.createDirectories(plot.getParent());
            } catch (IOException ex) {
                throw new LowbitException("cannot create " + plot.getParent() + ": " + ex.getMessage());
            }
            StringWriter se = new StringWriter();
            int code = LowbitCli.execute(new String[] {"train", "--task", g.getFirst().cell().task(), "--from", from, "--plot", plot.toString()},
                    new PrintWriter(new StringWriter()), new PrintWriter(se));
            if (code != 0) {
                throw new LowbitException("plot " + plot + ": " + lastErrorLine(se.toString(), code));
            }
        }
    }

    /** The JSON summary the CLI prints. */
    static Json summary(Result r, Path out) {
        long ran = r.outcomes().stream().filter(o -> !o.skipped()).count();
        long failed = r.outcomes().stream().filter(o -> o.error() != null).count();
        double sequential = r.outcomes().stream().filter(o -> !o.skipped()).mapToDouble(Outcome::seconds).sum();
        List<Object> errors = new ArrayList<>();
        for (Outcome o : r.outcomes()) {
            if (o.error() != null) {
                errors.add(Json.object().put("cell", o.cell().name()).put("error", o.error()));
            }
        }
        return Json.object().put("cells", r.outcomes().size()).put("ran", ran).put("skipped", r.outcomes().size() - ran)
                .put("failed", failed).put("seconds", Math.round(r.seconds() * 1e3) / 1e3)
                .put("cellSecondsSum", Math.round(sequential * 1e3) / 1e3)
                .put("executors", r.outcomes().stream().filter(o -> o.executor() != null).map(Outcome::executor).distinct().count())
                .put("table", out.resolve("table.md").toString()).put("parquet", out.resolve("table.parquet").toString())
                .put("errors", errors);
    }
}
