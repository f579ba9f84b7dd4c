package dev.lowbit.train;

import dev.lowbit.policy.Presets;
import dev.lowbit.LowbitException;
import java.nio.file.Path;

/**
 * Everything that determines a training run. Same config (and same seed) ⇒ the same bits, whatever the
 * thread count.
 *
 * @param task {@code kjv-gpt} or {@code fashion-vit}
 * @param policy a recipe name from {@link Presets}
 * @param bits IM-Unpack bit-width for the {@code imunpack} recipe (0: chosen per GEMM, {@code FastImUnpack.AUTO_BITS})
 * @param evalEvery validation every this many steps (and at the end)
 * @param evalBatches batches per validation
 * @param dataDir Fashion-MNIST directory (null: Debian's location)
 * @param checkpointDir where to write checkpoints (null: none)
 * @param checkpointEvery write a checkpoint every this many steps (and at the end)
 * @param clip maximum global gradient norm (0: no clipping)
 */
public record TrainConfig(String task, String policy, int steps, long seed, int batch, int context, int layers, int dim,
                          int heads, double lr, int warmup, int evalEvery, int evalBatches, int bits, Path dataDir,
                          Path checkpointDir, int checkpointEvery, double clip) {
    /** Gradient clipping of the default regime (global norm 1.0). */
    public static final double DEFAULT_CLIP = 1.0;

    /** With the default gradient clipping ({@link #DEFAULT_CLIP}). */
    public TrainConfig(String task, String policy, int steps, long seed, int batch, int context, int layers, int dim,
                       int heads, double lr, int warmup, int evalEvery, int evalBatches, int bits, Path dataDir,
                       Path checkpointDir, int checkpointEvery) {
        this(task, policy, steps, seed, batch, context, layers, dim, heads, lr, warmup, evalEvery, evalBatches, bits, dataDir,
                checkpointDir, checkpointEvery, DEFAULT_CLIP);
    }

    public TrainConfig {
        if (!(clip >= 0) || Double.isInfinite(clip)) {
            throw new LowbitException("--clip must be a finite number >= 0 (0: no clipping), got " + clip);
        }
        if (warmup < 1) {
            throw new LowbitException("--warmup must be >= 1, got " + warmup);
        }
        if (!task.equals("kjv-gpt") && !task.equals("fashion-vit")) {
            throw new LowbitException("unknown task '" + task + "' (use kjv-gpt or fashion-vit)");
        }
        positive("--steps", steps);
        positive("--batch", batch);
        positive("--layers", layers);
        positive("--dim", dim);
        positive("--heads", heads);
        positive("--eval-every", evalEvery);
        positive("eval batches", evalBatches);
        if (context < 2) {
            throw new LowbitException("--context must be >= 2, got " + context);
        }
        if (dim % heads != 0) {
            throw new LowbitException("--dim " + dim + " is not a multiple of --heads " + heads);
        }
        if (!(lr > 0)) {
            throw new LowbitException("--lr must be positive, got " + lr);
        }
        if (Presets.inferenceOnly(policy)) {
            throw new LowbitException("policy '" + policy + "' is inference-only (it needs a pretrained model: "
                    + "./lowbit embed --precision " + policy + "); train with int8, imunpack, fp8, ... instead");
        }
        Presets.byName(policy, bits); // validates the name and bits
    }

    private static void positive(String what, long v) {
        if (v < 1) {
            throw new LowbitException(what + " must be >= 1, got " + v);
        }
    }

    /** A small, quick default per task. */
    public static TrainConfig defaults(String task, String policy) {
        return task.equals("fashion-vit")
                ? new TrainConfig(task, policy, 600, 7, 64, 2, 2, 64, 4, 2e-3, 50, 100, 8, 0, null, null, 0)
                : new TrainConfig(task, policy, 600, 7, 32, 64, 2, 96, 4, 2e-3, 50, 100, 8, 0, null, null, 0);
    }

    public TrainConfig withPolicy(String p) {
        return new TrainConfig(task, p, steps, seed, batch, context, layers, dim, heads, lr, warmup, evalEvery, evalBatches, bits,
                dataDir, checkpointDir, checkpointEvery, clip);
    }

    /** What must match for a checkpoint to be resumed. */
    String identity() {
        return task + "|" + policy + "|" + seed + "|" + batch + "|" + context + "|" + layers + "|" + dim + "|" + heads + "|" + lr
                + "|" + warmup + "|" + steps + "|" + bits + (clip == DEFAULT_CLIP ? "" : "|clip " + clip);
    }
}
