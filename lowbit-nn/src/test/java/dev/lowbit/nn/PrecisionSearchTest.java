package dev.lowbit.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The search on a tiny random BERT: cost model, exact knapsack (against brute force), re-evaluated feasibility. */
class PrecisionSearchTest {
    private static final MixedPrecision.Group[] G = MixedPrecision.Group.values();

    private static List<int[]> sentences(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> seqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] s = new int[3 + r.nextInt(9)];
            for (int t = 0; t < s.length; t++) {
                s[t] = r.nextInt(BertTest.C.vocabSize());
            }
            seqs.add(s);
        }
        return seqs;
    }

    private static PrecisionSearch search(int threads) {
        return new PrecisionSearch(BertTest.weights(21), sentences(22, 4), List.of("int8", "mxfp4"),
                new PrecisionSearch.CostModel(BertTest.C, 8), GemmBackends.scalar(), threads, null);
    }

    @Test
    void costIsBitsTimesBitsTimesMacs() {
        assertThat(PrecisionSearch.bitsPerElement("fp32")).isEqualTo(32);
        assertThat(PrecisionSearch.bitsPerElement("int8")).isEqualTo(8);
        assertThat(PrecisionSearch.bitsPerElement("fp8")).isEqualTo(8);
        assertThat(PrecisionSearch.bitsPerElement("mxfp8")).isEqualTo(8.25);
        assertThat(PrecisionSearch.bitsPerElement("mxfp4")).isEqualTo(4.25);
        assertThat(PrecisionSearch.bitsPerElement("nvfp4")).isEqualTo(4.5);
        assertThat(PrecisionSearch.bitsPerElement("imunpack:15")).isEqualTo(4);
        assertThat(PrecisionSearch.bitsPerElement("imunpack:31")).isEqualTo(5);
        assertThat(PrecisionSearch.bitsPerElement("imunpack")).isEqualTo(8); // embed's 255 levels
        assertThat(PrecisionSearch.bitsPerElement("rtn-15")).isEqualTo(4);
        assertThatThrownBy(() -> PrecisionSearch.bitsPerElement("bfp-fast")).isInstanceOf(LowbitException.class)
                .hasMessageContaining("no storage-bit count for precision 'bfp-fast'");
        // MiniLM at L = 128: per layer 4·L·d² + 2·L·d·d_ff + 2·L²·d MACs
        PrecisionSearch.CostModel m = new PrecisionSearch.CostModel(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f), 128);
        double perLayer = 4.0 * 128 * 384 * 384 + 2.0 * 128 * 384 * 1536 + 2.0 * 128 * 128 * 384;
        assertThat(m.totalMacs()).isEqualTo(6 * perLayer);
        assertThat(m.cost(MixedPrecision.uniform("int8", 6))).isEqualTo(64 * 6 * perLayer);
        assertThat(m.effectiveBits(MixedPrecision.uniform("mxfp4", 6))).isCloseTo(4.25, within(1e-12));
        // llm-int8 leaves attention in float32: those MACs count 32 · 32
        double attn = 2.0 * 128 * 128 * 384;
        assertThat(m.cost(MixedPrecision.uniform("llm-int8", 6))).isEqualTo(6 * (64 * (perLayer - attn) + 1024 * attn));
        MixedPrecision mix = MixedPrecision.parse("*=int8,0.ffn2=mxfp4", 6);
        assertThat(m.cost(mix)).isEqualTo(64 * 6 * perLayer - (64 - 4.25 * 4.25) * 128 * 384 * 1536);
    }

    @Test
    void knapsackIsOptimalAgainstBruteForceAndSearchMeetsItsTargetForReal() {
        PrecisionSearch s = search(1);
        double[][][] e = s.sensitivity();
        int layers = BertTest.C.layers();
        assertThat(s.evaluations()).isEqualTo(layers * G.length * 2);
        PrecisionSearch.CostModel cm = s.costModel();
        List<String> cands = s.candidates();
        double[][][] gc = new double[layers][G.length][cands.size()];
        for (int l = 0; l < layers; l++) {
            for (MixedPrecision.Group g : G) {
                for (int f = 0; f < cands.size(); f++) {
                    gc[l][g.ordinal()][f] = cm.groupCost(g, cands.get(f), Precision.forEmbed(cands.get(f)));
                }
            }
        }
        for (double budget : new double[] {1e-4, 1e-3, 1e-2, 5e-2}) {
            MixedPrecision k = s.knapsack(budget);
            assertThat(s.predictedError(k)).isLessThanOrEqualTo(budget);
            // brute force over all 3^10 policies of the predicted (additive) model
            double bestStrict = Double.POSITIVE_INFINITY; // cheapest with Σe ≤ budget − one unit per item (surely in reach)
            double bestAny = Double.POSITIVE_INFINITY; // cheapest with Σe ≤ budget (a lower bound)
            int items = layers * G.length;
            double slack = items * budget / PrecisionSearch.UNITS;
            int[] pick = new int[items];
            for (int code = 0; code < Math.pow(3, items); code++) {
                int c = code;
                double err = 0;
                double cost = 0;
                for (int it = 0; it < items; it++) {
                    pick[it] = c % 3;
                    c /= 3;
                    int l = it / G.length;
                    MixedPrecision.Group g = G[it % G.length];
                    err += e[l][g.ordinal()][pick[it]];
                    cost += gc[l][g.ordinal()][pick[it]];
                }
                if (err <= budget) {
                    bestAny = Math.min(bestAny, cost);
                }
                if (err <= budget - slack) {
                    bestStrict = Math.min(bestStrict, cost);
                }
            }
            assertThat(cm.cost(k)).as("budget %s", budget).isBetween(bestAny * (1 - 1e-12), bestStrict * (1 + 1e-12));
        }
        PrecisionSearch.Result r = s.search(0.99, 3);
        assertThat(r.feasible()).isTrue();
        assertThat(r.best().minCosine()).isGreaterThanOrEqualTo(0.99);
        // the reported accuracy is that of a real run of the policy
        PrecisionSearch.Evaluation again = search(2).calibration().evaluate(r.best().policy(), "check");
        assertThat(again.minCosine()).isEqualTo(r.best().minCosine());
        assertThat(r.best().cost()).isLessThan(cm.cost(MixedPrecision.uniform("fp32", layers)));
        assertThatThrownBy(() -> s.search(1.5, 1)).isInstanceOf(LowbitException.class).hasMessageContaining("(0, 1]");
    }

    @Test
    void sameInputsSamePoliciesWhateverTheThreads() {
        PrecisionSearch a = search(1);
        PrecisionSearch b = search(3);
        assertThat(java.util.Arrays.deepEquals(b.sensitivity(), a.sensitivity())).isTrue();
        assertThat(b.search(0.98, 2).best().policy()).isEqualTo(a.search(0.98, 2).best().policy());
    }
}
