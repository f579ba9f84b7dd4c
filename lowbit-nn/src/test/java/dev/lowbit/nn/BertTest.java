package dev.lowbit.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.tensor.FloatMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A tiny random BERT against a float64 reference written straight from the formulas, computed on the full
 * padded batch with an additive −1e30 mask (as the ONNX graph does), so that packing only the unmasked
 * positions is checked too.
 */
class BertTest {
    static final BertConfig C = new BertConfig(40, 16, 2, 4, 24, 12, 2, 1e-12f);

    static FloatMatrix rand(SplittableRandom r, int rows, int cols, double scale) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (r.nextGaussian() * scale);
        }
        return FloatMatrix.wrap(d, rows, cols);
    }

    static float[] vec(SplittableRandom r, int n, double mean, double scale) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (mean + r.nextGaussian() * scale);
        }
        return d;
    }

    static LinearWeights lin(SplittableRandom r, int out, int in) {
        return new LinearWeights(rand(r, out, in, 1 / Math.sqrt(in)), vec(r, out, 0, 0.1));
    }

    static LayerNormWeights ln(SplittableRandom r, int n) {
        return new LayerNormWeights(vec(r, n, 1, 0.1), vec(r, n, 0, 0.1), 1e-12f);
    }

    static BertWeights weights(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<BertLayerWeights> layers = new ArrayList<>();
        int d = C.hidden();
        for (int l = 0; l < C.layers(); l++) {
            layers.add(new BertLayerWeights(lin(r, d, d), lin(r, d, d), lin(r, d, d), lin(r, d, d), ln(r, d),
                    lin(r, C.intermediate(), d), lin(r, d, C.intermediate()), ln(r, d)));
        }
        return new BertWeights(C, rand(r, C.vocabSize(), d, 1), rand(r, C.maxPositions(), d, 0.5), rand(r, 2, d, 0.5), ln(r, d), layers);
    }

    // ------------------------------------------------------------------ float64 reference

    static double[] refLinear(double[] x, LinearWeights w) {
        double[] y = new double[w.out()];
        for (int j = 0; j < w.out(); j++) {
            double s = w.bias()[j];
            for (int i = 0; i < w.in(); i++) {
                s += x[i] * w.weight().get(j, i);
            }
            y[j] = s;
        }
        return y;
    }

    static double[] refLn(double[] x, LayerNormWeights p) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + p.eps()) * p.gamma()[i] + p.beta()[i];
        }
        return y;
    }

    static double[] reference(BertWeights w, int[] ids, int[] mask, int[] types) {
        int len = ids.length;
        int d = C.hidden();
        double[][] x = new double[len][d];
        for (int t = 0; t < len; t++) {
            for (int j = 0; j < d; j++) {
                x[t][j] = w.wordEmbeddings().get(ids[t], j) + w.tokenTypeEmbeddings().get(types[t], j) + w.positionEmbeddings().get(t, j);
            }
            x[t] = refLn(x[t], w.embeddingNorm());
        }
        int hd = C.headDim();
        for (BertLayerWeights lw : w.layers()) {
            double[][] q = new double[len][];
            double[][] k = new double[len][];
            double[][] v = new double[len][];
            for (int t = 0; t < len; t++) {
                q[t] = refLinear(x[t], lw.query());
                k[t] = refLinear(x[t], lw.key());
                v[t] = refLinear(x[t], lw.value());
            }
            double[][] ctx = new double[len][d];
            for (int h = 0; h < C.heads(); h++) {
                for (int t = 0; t < len; t++) {
                    double[] s = new double[len];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u < len; u++) {
                        double dot = 0;
                        for (int j = 0; j < hd; j++) {
                            dot += q[t][h * hd + j] * k[u][h * hd + j];
                        }
                        s[u] = dot / Math.sqrt(hd) + (mask[u] == 1 ? 0 : -1e30);
                        max = Math.max(max, s[u]);
                    }
                    double sum = 0;
                    for (int u = 0; u < len; u++) {
                        s[u] = Math.exp(s[u] - max);
                        sum += s[u];
                    }
                    for (int u = 0; u < len; u++) {
                        for (int j = 0; j < hd; j++) {
                            ctx[t][h * hd + j] += s[u] / sum * v[u][h * hd + j];
                        }
                    }
                }
            }
            for (int t = 0; t < len; t++) {
                double[] a = refLinear(ctx[t], lw.attentionOutput());
                for (int j = 0; j < d; j++) {
                    a[j] += x[t][j];
                }
                a = refLn(a, lw.attentionNorm());
                double[] hmid = refLinear(a, lw.intermediate());
                for (int j = 0; j < hmid.length; j++) {
                    hmid[j] = 0.5 * hmid[j] * (1 + dev.lowbit.numeric.Erf.erf(hmid[j] / Math.sqrt(2)));
                }
                double[] y = refLinear(hmid, lw.output());
                for (int j = 0; j < d; j++) {
                    y[j] += a[j];
                }
                x[t] = refLn(y, lw.outputNorm());
            }
        }
        double[] e = new double[d];
        int n = 0;
        for (int t = 0; t < len; t++) {
            if (mask[t] == 1) {
                n++;
                for (int j = 0; j < d; j++) {
                    e[j] += x[t][j];
                }
            }
        }
        double norm = 0;
        for (int j = 0; j < d; j++) {
            e[j] /= n;
            norm += e[j] * e[j];
        }
        for (int j = 0; j < d; j++) {
            e[j] /= Math.sqrt(norm);
        }
        return e;
    }

    static int[][] batch(SplittableRandom r, int b, int len, boolean holes) {
        int[][] ids = new int[b][len];
        int[][] mask = new int[b][len];
        for (int i = 0; i < b; i++) {
            int n = 1 + r.nextInt(len);
            for (int t = 0; t < len; t++) {
                ids[i][t] = t < n ? r.nextInt(C.vocabSize()) : 0;
                mask[i][t] = t < n && !(holes && t > 0 && r.nextInt(4) == 0) ? 1 : 0;
            }
        }
        return concat(ids, mask);
    }

    static int[][] concat(int[][] a, int[][] b) {
        int[][] out = new int[a.length + b.length][];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void fp32MatchesTheFloat64ReferenceWithPaddingAndMaskHoles() {
        BertWeights w = weights(1);
        SplittableRandom r = new SplittableRandom(2);
        for (boolean holes : new boolean[] {false, true}) {
            int b = 6;
            int[][] both = batch(r, b, 12, holes);
            int[][] ids = java.util.Arrays.copyOfRange(both, 0, b);
            int[][] mask = java.util.Arrays.copyOfRange(both, b, 2 * b);
            int[][] types = new int[b][12];
            types[1][3] = 1;
            try (Bert bert = new Bert(w, Precision.fp32(), GemmBackends.scalar(), 2)) {
                float[][] got = bert.forward(ids, mask, types).embeddings();
                for (int i = 0; i < b; i++) {
                    double[] ref = reference(w, ids[i], mask[i], types[i]);
                    for (int j = 0; j < C.hidden(); j++) {
                        assertThat((double) got[i][j]).as("seq %d dim %d holes %s", i, j, holes)
                                .isCloseTo(ref[j], org.assertj.core.data.Offset.offset(2e-5));
                    }
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnThreadsOrBatchComposition() {
        BertWeights w = weights(3);
        SplittableRandom r = new SplittableRandom(4);
        List<int[]> seqs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            int[] s = new int[1 + r.nextInt(12)];
            for (int t = 0; t < s.length; t++) {
                s[t] = r.nextInt(C.vocabSize());
            }
            seqs.add(s);
        }
        List<Precision> precisions = new java.util.ArrayList<>(List.of(Precision.imunpack(3),
                Precision.imunpack(4).withScope(Precision.Scope.ROW), Precision.imunpack(4).withScope(Precision.Scope.SEQUENCE)));
        for (String name : dev.lowbit.policy.Presets.describe().keySet()) { // every preset, fake-quantized ones included
            precisions.add(Precision.parse(name, null));
        }
        for (Precision p : precisions) {
            try (Bert one = new Bert(w, p, GemmBackends.scalar(), 1, true, seqs);
                 Bert three = new Bert(w, p, GemmBackends.scalar(), 3, false, seqs)) {
                float[][] all = three.embed(seqs);
                for (int i = 0; i < seqs.size(); i++) {
                    assertThat(one.embed(List.of(seqs.get(i)))[0]).as("%s seq %d", p.label(), i).containsExactly(all[i]);
                }
                if (p.rtn() || p.mode() == Precision.Mode.LLM_INT8) {
                    assertThat(one.verifiedGemms()).isPositive();
                }
                if (p.quantized() && p.mode() != Precision.Mode.FAKE) { // a simulation holds float32 weights
                    assertThat(one.linearWeightBytes()).isLessThan(new Bert(w, Precision.fp32(), GemmBackends.scalar(), 1).linearWeightBytes());
                }
            }
        }
    }

    @Test
    void lowBitEmbeddingsStayClose() {
        BertWeights w = weights(5);
        List<int[]> seqs = List.of(new int[] {1, 5, 9, 12, 3, 7}, new int[] {2, 8, 8, 30});
        try (Bert f = new Bert(w, Precision.fp32(), GemmBackends.scalar(), 1);
             Bert q = new Bert(w, Precision.int8(), GemmBackends.scalar(), 1)) {
            float[][] a = f.embed(seqs);
            float[][] b = q.embed(seqs);
            for (int i = 0; i < a.length; i++) {
                double dot = 0;
                for (int j = 0; j < a[i].length; j++) {
                    dot += a[i][j] * b[i][j];
                }
                assertThat(dot).isGreaterThan(0.99);
            }
            List<GemmSiteStats> st = q.stats();
            assertThat(st).hasSize(C.layers() * GemmRole.values().length);
            assertThat(st.get(0).calls()).isEqualTo(1); // Q of layer 0: one GEMM over the whole batch
            assertThat(st.get(GemmRole.QK.ordinal()).calls()).isEqualTo(2L * C.heads()); // per sequence and head
        }
    }

    @Test
    void badInputsAreErrors() {
        BertWeights w = weights(6);
        try (Bert bert = Bert.fp32(w)) {
            assertThatThrownBy(() -> bert.embed(List.of(new int[] {1, 40}))).isInstanceOf(LowbitException.class)
                    .hasMessageContaining("outside the vocabulary");
            assertThatThrownBy(() -> bert.embed(List.of(new int[13]))).isInstanceOf(LowbitException.class)
                    .hasMessageContaining("supports 12");
            assertThatThrownBy(() -> bert.forward(new int[][] {{1, 2}}, new int[][] {{1, 2}}, null)).isInstanceOf(LowbitException.class)
                    .hasMessageContaining("0 or 1");
        }
        assertThatThrownBy(() -> new BertWeights(C, FloatMatrix.zeros(40, 15), FloatMatrix.zeros(12, 16), FloatMatrix.zeros(2, 16),
                w.embeddingNorm(), w.layers())).isInstanceOf(LowbitException.class).hasMessageContaining("word embeddings are 40x15");
        assertThatThrownBy(() -> Precision.parse("mxfp3", null)).isInstanceOf(LowbitException.class).hasMessageContaining("unknown precision 'mxfp3' (available: " + Precision.NAMES + ")").hasMessageContaining("llm-int8, gptq-w4");
    }
}
