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
            long t0 = System.nanoTime();
            RunResult gpu = Trainer.run(c, cuda, false, null);
            long t1 = System.nanoTime();
            RunResult cpu = Trainer.run(c, new SimdGemmBackend(2), false, null);
            long t2 = System.nanoTime();
            System.out.printf("RESULT train kjv-gpt %s 4 steps: cuda %.2f s, simd %.2f s, final val loss %.6f%n", policy,
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9, gpu.finalValLoss());
            assertArrayEquals(cpu.trainLoss(), gpu.trainLoss(), policy);
            assertThat(gpu.finalValLoss()).as(policy).isEqualTo(cpu.finalValLoss());
        }
    }
}
