package dev.lowbit.bench;

import dev.lowbit.numeric.VectorMath;
import dev.lowbit.numeric.VectorMaths;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The {@link VectorMath} kernels at MiniLM's shapes, per implementation ({@code impl} = simd or scalar; both give
 * the same bits): GELU over a 128×1536 FFN activation, softmax of 128 rows of 128 scores (one attention head),
 * LayerNorm of 128 rows of 384, and the two per-head attention products (128×128×32, 128×32×128). Run:
 * {@code java --add-modules jdk.incubator.vector -jar lowbit-bench/target/lowbit-bench.jar VectorMathBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class VectorMathBench {
    @Param({"simd", "scalar"})
    public String impl;

    static final int LEN = 128;
    static final int HD = 32;
    static final int D = 384;
    static final int FFN = 1536;

    VectorMath vm;
    float[] ffn;
    float[] ffnOut;
    float[] scores;
    float[] probs;
    float[] hidden;
    float[] normed;
    float[] gamma;
    float[] beta;
    float[] q;
    float[] kt;
    float[] v;
    float[] ctx;

    static float[] gaussian(SplittableRandom r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    @Setup
    public void setup() {
        vm = VectorMaths.byName(impl);
        SplittableRandom r = new SplittableRandom(1);
        ffn = gaussian(r, LEN * FFN, 2);
        ffnOut = new float[ffn.length];
        scores = gaussian(r, LEN * LEN, 8);
        probs = new float[scores.length];
        hidden = gaussian(r, LEN * D, 3);
        normed = new float[hidden.length];
        gamma = gaussian(r, D, 1);
        beta = gaussian(r, D, 1);
        q = gaussian(r, LEN * D, 1);
        kt = gaussian(r, HD * LEN, 1);
        v = gaussian(r, LEN * D, 1);
        ctx = new float[LEN * D];
    }

    @Benchmark
    public float[] gelu() {
        vm.gelu(ffn, 0, ffnOut, 0, ffn.length);
        return ffnOut;
    }

    @Benchmark
    public float[] softmaxHead() {
        for (int r = 0; r < LEN; r++) {
            vm.softmax(scores, r * LEN, 0.17677669f, probs, r * LEN, LEN);
        }
        return probs;
    }

    @Benchmark
    public float[] layerNorm() {
        for (int r = 0; r < LEN; r++) {
            vm.layerNorm(hidden, r * D, gamma, beta, 1e-12f, normed, r * D, null, 0, D);
        }
        return normed;
    }

    @Benchmark
    public float[] scoresQk() {
        vm.matmul(q, 0, D, kt, 0, LEN, probs, 0, LEN, LEN, LEN, HD);
        return probs;
    }

    @Benchmark
    public float[] contextPv() {
        vm.matmul(scores, 0, LEN, v, 0, D, ctx, 0, D, LEN, HD, LEN);
        return ctx;
    }
}
