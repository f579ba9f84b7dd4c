package dev.lowbit.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lowbit.gemm.GemmBackends;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Bert#residentLinearWeightBytes()} is what the model really holds: the heap grows by the executor's share of it
 * when the model is built (within 10 %), whatever {@link Bert#linearWeightBytes()} (the packed size) says.
 */
class ResidentBytesTest {
    /** 2 layers of width 256 and 1024: 1.57 M linear weights, 6.3 MB in float32, large against heap noise. */
    static final BertConfig BIG = new BertConfig(40, 256, 2, 4, 1024, 12, 2, 1e-12f);

    static BertWeights weights() {
        SplittableRandom r = new SplittableRandom(5);
        List<BertLayerWeights> layers = new ArrayList<>();
        int d = BIG.hidden();
        for (int l = 0; l < BIG.layers(); l++) {
            layers.add(new BertLayerWeights(BertTest.lin(r, d, d), BertTest.lin(r, d, d), BertTest.lin(r, d, d), BertTest.lin(r, d, d),
                    BertTest.ln(r, d), BertTest.lin(r, BIG.intermediate(), d), BertTest.lin(r, d, BIG.intermediate()), BertTest.ln(r, d)));
        }
        return new BertWeights(BIG, BertTest.rand(r, BIG.vocabSize(), d, 1), BertTest.rand(r, BIG.maxPositions(), d, 0.5),
                BertTest.rand(r, 2, d, 0.5), BertTest.ln(r, d), layers);
    }

    static long usedHeapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(30);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    @ParameterizedTest
    @ValueSource(strings = {"imunpack", "int8", "llm-int8", "fp8", "mxfp4", "nvfp4"})
    void residentBytesMatchTheHeap(String name) throws InterruptedException {
        BertWeights w = weights();
        long floatBytes = 0;
        for (BertLayerWeights lw : w.layers()) {
            for (GemmRole r : GemmRole.LINEAR) {
                floatBytes += 4L * lw.linear(r).weight().size();
            }
        }
        Precision p = Precision.parse(name, null);
        long before = usedHeapAfterGc();
        try (Bert bert = new Bert(w, p, GemmBackends.scalar(), 1)) {
            long grown = usedHeapAfterGc() - before;
            long executorBytes = bert.residentLinearWeightBytes() - floatBytes;
            assertThat(executorBytes).as(name + ": the executor holds something").isPositive();
            assertThat((double) grown).as(name + ": heap growth vs the executor's resident bytes " + executorBytes)
                    .isCloseTo(executorBytes, within(0.10 * executorBytes));
            assertThat(bert.residentLinearWeightBytes()).as(name + ": resident ≥ packed").isGreaterThan(bert.linearWeightBytes());
            if (name.equals("imunpack") || name.equals("int8") || name.equals("llm-int8")) {
                // issue 17 item 2: the codes are held as int8 (one byte per weight, plus scales and maxima), not int32
                assertThat((double) executorBytes).as(name + ": packed int8 codes").isLessThan(1.1 * floatBytes / 4);
            }
        }
    }
}
