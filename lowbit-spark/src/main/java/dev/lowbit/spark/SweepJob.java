package dev.lowbit.spark;

import dev.lowbit.LowbitException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./lowbit spark sweep}: a grid of {@code ./lowbit train} runs, one Spark task per cell. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Run a training study on Spark, one task per cell.",
            "Every (policy, seed, layers, dim) cell is one './lowbit train' run in one Spark task. Writes OUT/runs/CELL.json (the 'train --out' format), OUT/table.parquet and OUT/table.md (final",
            "loss, gap to fp32 of the same seed and size, mean ± std over seeds) and OUT/plots/*.png ('train --from' plots",
            "per size and seed). Prints one JSON object: cells, ran, skipped, failed, seconds, cellSecondsSum, errors."},
        footer = {"", "A cell that fails (unknown policy, NaN loss) is reported with its one-line error; the others complete",
            "(exit 0). Re-running the same command skips the cells whose JSON exists (a resumable study).",
            "", "Examples:",
            "  ./lowbit spark sweep --task kjv-gpt --policies fp32,imunpack,imunpack:31,fp8 --seeds 7,8,9 --steps 300 --out study/",
            "  ./lowbit spark sweep --task kjv-gpt --policies fp32,imunpack:31 --seeds 7,8 --layers 2,4 --dim 64,96 --out study/ \\",
            "      --master spark://host:7077"})
final class SweepJob implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--task", required = true, description = "kjv-gpt or fashion-vit.")
    String task;

    @Option(names = "--policies", required = true, split = ",", paramLabel = "P1,P2", description = "Policies (recipes of './lowbit train').")
    List<String> policies;

    @Option(names = "--seeds", defaultValue = "7", split = ",", paramLabel = "S1,S2", description = "Seeds (default: ${DEFAULT-VALUE}).")
    List<Long> seeds;

    @Option(names = "--layers", split = ",", paramLabel = "L1,L2", description = "Transformer blocks, one or more (default: 2).")
    List<Integer> layers;

    @Option(names = "--dim", split = ",", paramLabel = "D1,D2", description = "Model widths, one or more (default: 96 GPT / 64 ViT).")
    List<Integer> dims;

    @Option(names = "--steps", defaultValue = "600", description = "Training steps per cell (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", description = "Batch size (train's default).")
    Integer batch;

    @Option(names = "--context", description = "GPT context length (train's default).")
    Integer context;

    @Option(names = "--heads", description = "Attention heads (train's default).")
    Integer heads;

    @Option(names = "--lr", description = "Peak learning rate (train's default).")
    Double lr;

    @Option(names = "--warmup", description = "Warm-up steps (train's default).")
    Integer warmup;

    @Option(names = "--clip", description = "Maximum gradient norm, 0: none (train's default: 1.0).")
    Double clip;

    @Option(names = "--eval-every", description = "Validate every N steps (train's default).")
    Integer evalEvery;

    @Option(names = "--bits", paramLabel = "B|auto", description = "IM-Unpack bit-width (train's default: auto).")
    String bits;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Study directory (created; reused to resume).")
    Path out;

    @Option(names = "--master", paramLabel = "URL", description = "local[*] (default: in this JVM), local[N] or spark://host:7077.")
    String master;

    @Option(names = "--threads-per-task", defaultValue = "0", paramLabel = "T",
            description = "--threads of each run (default: spark.task.cpus).")
    int threadsPerTask;

    @Option(names = "--debug", description = "Print stack traces on errors.")
    boolean debug;

    @Override
    public Integer call() {
        if (steps < 1) {
            throw new LowbitException("--steps must be >= 1, got " + steps);
        }
        if (threadsPerTask < 0) {
            throw new LowbitException("--threads-per-task must be >= 0, got " + threadsPerTask);
        }
        if (!task.equals("kjv-gpt") && !task.equals("fashion-vit")) {
            throw new LowbitException("unknown task '" + task + "' (use kjv-gpt or fashion-vit)");
        }
        if (policies.stream().anyMatch(String::isBlank)) {
            throw new LowbitException("--policies has an empty name");
        }
        List<String> extra = new ArrayList<>();
        add(extra, "--batch", batch);
        add(extra, "--context", context);
        add(extra, "--heads", heads);
        add(extra, "--lr", lr);
        add(extra, "--warmup", warmup);
        add(extra, "--clip", clip);
        add(extra, "--eval-every", evalEvery);
        add(extra, "--bits", bits);
        List<Integer> l = layers != null ? layers : List.of(2);
        List<Integer> d = dims != null ? dims : List.of(task.equals("kjv-gpt") ? 96 : 64);
        if (java.nio.file.Files.exists(out) && !java.nio.file.Files.isDirectory(out)) {
            throw new LowbitException("--out " + out + " is a file, not a directory");
        }
        List<Sweep.Cell> cells = Sweep.grid(task, policies, seeds, l, d, steps, extra);
        SparkSession spark = SparkCli.session(master, "lowbit spark sweep");
        try {
            Sweep.Result r = Sweep.run(spark, cells, out, threadsPerTask);
            spec.commandLine().getOut().println(Sweep.summary(r, out));
            spec.commandLine().getOut().flush();
            return 0;
        } finally {
            spark.stop();
        }
    }

    private static void add(List<String> args, String name, Object v) {
        if (v != null) {
            args.add(name);
            args.add(v.toString());
        }
    }
}
