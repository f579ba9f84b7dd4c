package dev.lowbit.autograd;

import dev.lowbit.round.Rng;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lowbit.gemm.ScalarGemmBackend;
import dev.lowbit.train.GemmExecutor;
import dev.lowbit.policy.Presets;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class OpsGradTest {
    static final GemmExecutor FP32 = new GemmExecutor(Presets.byName("fp32", 4), new ScalarGemmBackend());

    static Tensor param(String name, int rows, int cols, long seed, double scale) {
        float[] d = new float[rows * cols];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (Rng.gaussian(seed, i) * scale);
        }
        return Tensor.param(name, rows, cols, d);
    }

    static void assertGrad(Supplier<Tensor> f, Tensor... params) {
        assertThat(GradCheck.worst(f, params, 1e-2, 2e-3, 2e-2, 99)).isLessThan(1.0);
    }

    @Test
    void linear() {
        Tensor x = param("x", 5, 7, 1, 1);
        Tensor w = param("w", 4, 7, 2, 0.5);
        Tensor b = param("b", 1, 4, 3, 0.5);
        assertGrad(() -> Ops.linear(FP32, "l", x, w, b), x, w, b);
    }

    @Test
    void elementwise() {
        Tensor a = param("a", 3, 4, 4, 1);
        Tensor b = param("b", 3, 4, 5, 1);
        assertGrad(() -> Ops.add(a, b), a, b);
        assertGrad(() -> Ops.mul(a, b), a, b);
        assertGrad(() -> Ops.gelu(a), a);
    }

    @Test
    void layerNorm() {
        Tensor x = param("x", 4, 8, 6, 2);
        Tensor g = param("g", 1, 8, 7, 1);
        Tensor b = param("b", 1, 8, 8, 1);
        assertGrad(() -> Ops.layerNorm(x, g, b, 1e-5), x, g, b);
    }

    @Test
    void embeddingPositionalAndSelection() {
        Tensor table = param("emb", 6, 4, 9, 1);
        Tensor pos = param("pos", 5, 4, 10, 1);
        Tensor cls = param("cls", 1, 4, 11, 1);
        int[] ids = {1, 5, 1, 0, 2, 2};
        assertGrad(() -> Ops.addPositional(Ops.embedding(table, ids), pos, 3), table, pos);
        assertGrad(() -> Ops.selectRows(Ops.prependToken(Ops.embedding(table, ids), cls, 3), new int[] {0, 3, 2}), table, cls);
    }

    @Test
    void crossEntropy() {
        Tensor logits = param("logits", 5, 7, 12, 2);
        int[] targets = {0, 6, 3, 3, 1};
        assertGrad(() -> Ops.crossEntropy(logits, targets), logits);
        // value: mean of −log softmax at the target
        Tensor l = Ops.crossEntropy(logits, targets);
        double expected = 0;
        for (int r = 0; r < 5; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 7; j++) {
                max = Math.max(max, logits.data[r * 7 + j]);
            }
            double s = 0;
            for (int j = 0; j < 7; j++) {
                s += Math.exp(logits.data[r * 7 + j] - max);
            }
            expected += max + Math.log(s) - logits.data[r * 7 + targets[r]];
        }
        assertThat((double) l.item()).isCloseTo(expected / 5, within(1e-5));
    }

    @Test
    void attentionCausalAndFull() {
        Tensor qkv = param("qkv", 2 * 4, 3 * 6, 13, 1);
        assertGrad(() -> Attention.apply(FP32, "a", qkv, 2, 4, 2, true), qkv);
        assertGrad(() -> Attention.apply(FP32, "a", qkv, 2, 4, 3, false), qkv);
        // causal: the first position attends only to itself, so its output is its own value
        Tensor o = Attention.apply(FP32, "a", qkv, 2, 4, 2, true);
        for (int j = 0; j < 6; j++) {
            assertThat(o.data[j]).isEqualTo(qkv.data[12 + j]);
        }
    }

    @Test
    void dropoutIsSeededAndScaled() {
        Tensor x = param("x", 10, 10, 14, 1);
        Tensor d1 = Ops.dropout(x, 0.5, 3);
        Tensor d2 = Ops.dropout(x, 0.5, 3);
        assertThat(d1.data).containsExactly(d2.data);
        int zeros = 0;
        for (int i = 0; i < 100; i++) {
            if (d1.data[i] == 0) {
                zeros++;
            } else {
                assertThat(d1.data[i]).isEqualTo(x.data[i] * 2);
            }
        }
        assertThat(zeros).isBetween(30, 70);
        assertGrad(() -> Ops.dropout(x, 0.5, 3), x);
    }

    @Test
    void gradCheckCatchesAWrongGradient() {
        Tensor x = param("x", 3, 3, 15, 1);
        // a deliberately wrong backward: claims d(2x)/dx = 1
        Supplier<Tensor> wrong = () -> {
            float[] y = new float[9];
            for (int i = 0; i < 9; i++) {
                y[i] = 2 * x.data[i];
            }
            Tensor out = Tensor.result(3, 3, y, x);
            out.onBackward(() -> Ops.addInto(x.grad(), out.grad()));
            return out;
        };
        assertThat(GradCheck.worst(wrong, new Tensor[] {x}, 1e-2, 2e-3, 2e-2, 1)).isGreaterThan(10);
    }
}
