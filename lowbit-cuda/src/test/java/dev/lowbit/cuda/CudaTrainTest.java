package dev.lowbit.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.simd.SimdGemmBackend;
import dev.lowbit.train.RunResult;
import dev.lowbit.train.TrainConfig;
import dev.lowbit.train.Trainer;
import org.junit.jupiter.api.Test;

/**
 * {@code train --backend cuda} (issue 19 item 4): kjv-gpt trained with the exact integer recipes on the GPU gives the same
 * bits as on the CPU — every integer GEMM is exact on both, and float32 GEMMs are delegated to {@code simd} — so the loss
 * curves are identical, not just close. Skipped without a GPU.
 */
class CudaTrainTest {
    @Test
    void exactRecipesTrainToTheSameBitsOnTheGpuAsOnTheCpu() {
        assumeTrue(Cuda.available(), Cuda.unavailableReason());
        for (String policy : new String[] {"imunpack", "int8"}) {
            TrainConfig c = new TrainConfig("kjv-gpt", policy, 4, 7, 8, 32, 1, 64, 2, 3e-3, 1, 2, 1, 0, null, null, 0);
            GemmBackend cuda = new CudaGemmBackend(2);
            long calls = Int8Gemm.CALLS.get();
            RunResult gpu = Trainer.run(c, cuda, false, null);
            long gpuGemms = Int8Gemm.CALLS.get() - calls;
            RunResult cpu = Trainer.run(c, new SimdGemmBackend(2), false, null);
            System.out.printf("RESULT train kjv-gpt %s 4 steps: %d integer GEMMs on the GPU, final val loss %.6f on both%n", policy,
                    gpuGemms, gpu.finalValLoss());
            assertThat(gpuGemms).as(policy + ": integer GEMMs that ran on the GPU").isPositive();
            assertArrayEquals(cpu.trainLoss(), gpu.trainLoss(), policy);
            assertThat(gpu.finalValLoss()).as(policy).isEqualTo(cpu.finalValLoss());
        }
    }

    /** The default regime (2 × 96, batch 32, context 64), 20 steps of imunpack: wall time on cuda against simd (printed). */
    @Test
    void defaultRegimeStepTimeOnTheGpuAndTheCpu() {
        assumeTrue(Cuda.available(), Cuda.unavailableReason());
        TrainConfig c = new TrainConfig("kjv-gpt", "imunpack", 20, 7, 32, 64, 2, 96, 4, 2e-3, 5, 20, 1, 0, null, null, 0);
        int threads = Runtime.getRuntime().availableProcessors();
        for (GemmBackend be : new GemmBackend[] {new CudaGemmBackend(threads), new SimdGemmBackend(threads)}) {
            Trainer.run(c, be, false, null); // warm-up
            long calls = Int8Gemm.CALLS.get();
            long t0 = System.nanoTime();
            RunResult r = Trainer.run(c, be, false, null);
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("RESULT train kjv-gpt imunpack default regime 20 steps on %s (%d threads): %.2f s (%.0f ms/step), "
                    + "%d integer GEMMs on the GPU, final val loss %.6f%n", be.name(), threads, s, 1000 * s / 20,
                    Int8Gemm.CALLS.get() - calls, r.finalValLoss());
        }
    }
}
