package dev.lowbit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.policy.Presets;
import dev.lowbit.train.RunResult;
import dev.lowbit.train.TrainConfig;
import dev.lowbit.train.Trainer;
import org.junit.jupiter.api.Test;

/**
 * Same seed ⇒ same bits whatever the thread count, on the backend the CLI uses (its GEMM kernels split output tiles, the
 * IM-Unpack recipes also quantize large tensors and run per-head attention items in parallel) — and, where that is oneDNN,
 * the same bits as the pure-Java {@code simd} backend (exact integer GEMMs of the same codes, the same float32 kernels).
 */
class TrainThreadsTest {
    static TrainConfig config(String policy, int batch, int context, int dim) {
        return new TrainConfig("kjv-gpt", policy, 3, 5, batch, context, 1, dim, 2, 3e-3, 1, 2, 1, 0, null, null, 0);
    }

    static void assertSameBits(TrainConfig c) {
        GemmBackend be = GemmBackends.preferred();
        assertThat(be.name()).isIn("simd", "onednn");
        RunResult one = Trainer.run(c, be.withThreads(1), false, null);
        RunResult three = Trainer.run(c, be.withThreads(3), false, null);
        assertSame(c, one, three);
        if (!be.name().equals("simd")) {
            assertSame(c, one, Trainer.run(c, GemmBackends.byName("simd").withThreads(2), false, null));
        }
    }

    static void assertSame(TrainConfig c, RunResult one, RunResult three) {
        assertArrayEquals(one.trainLoss(), three.trainLoss(), c.policy());
        assertThat(three.finalValLoss()).as(c.policy()).isEqualTo(one.finalValLoss());
        assertThat(three.quantizerParams().keySet()).isEqualTo(one.quantizerParams().keySet());
        for (var e : one.quantizerParams().entrySet()) { // int4-hq's learned LSQ steps
            assertArrayEquals(e.getValue(), three.quantizerParams().get(e.getKey()), e.getKey());
        }
    }

    @Test
    void everyRecipeGivesTheSameLossesWithOneAndThreeThreads() {
        for (String policy : Presets.describe().keySet()) {
            if (Presets.inferenceOnly(policy)) {
                continue;
            }
            assertSameBits(config(policy, 4, 16, 32));
        }
    }

    @Test
    void imunpackWithTensorsLargeEnoughToQuantizeInParallel() {
        // 1024 tokens × 128 FFN features: activations and gradients of 2 × 65536 entries and more
        assertSameBits(config("imunpack", 16, 64, 32));
    }
}
