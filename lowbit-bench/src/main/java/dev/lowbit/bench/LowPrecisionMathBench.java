package dev.lowbit.bench;

import dev.lowbit.numeric.LowPrecisionVectorMath;
import dev.lowbit.numeric.MathPrecision;
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
 * The low-precision transcendentals ({@code VectorMath.withMath}: exp, GELU and softmax designed for bf16, fp16 or
 * fp8 E4M3 and rounded to it; {@code -unrounded}: the approximation alone, whose rounding would be one conversion
 * instruction with hardware low-precision types) against the float32 ones ({@code math = fp32}), per implementation, at MiniLM's
 * shapes: exp and GELU over a 128×1536 FFN activation (exp arguments ≤ 0, as in softmax), softmax of 128 rows of
 * 128 scores. Run:
 * {@code java --add-modules jdk.incubator.vector -jar lowbit-bench/target/lowbit-bench.jar LowPrecisionMathBench}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LowPrecisionMathBench {
    @Param({"simd", "scalar"})
    public String impl;

    /** fp32 (the float32 VectorMath), a target (rounded to it), or TARGET-unrounded (the approximation alone). */
    @Param({"fp32", "bf16", "bf16-unrounded", "fp16", "fp16-unrounded", "fp8", "fp8-unrounded"})
    public String math;

    static final int LEN = 128;
    static final int FFN = 1536;

    VectorMath vm;
    float[] ffn;
    float[] expArgs;
    float[] out;
    float[] scores;
    float[] probs;

    @Setup
    public void setup() {
        boolean unrounded = math.endsWith("-unrounded");
        vm = VectorMaths.byName(impl).withMath(MathPrecision.parse(math.replace("-unrounded", "")));
        if (unrounded) {
            vm = ((LowPrecisionVectorMath) vm).unrounded();
        }
        SplittableRandom r = new SplittableRandom(1);
        ffn = VectorMathBench.gaussian(r, LEN * FFN, 2);
        expArgs = new float[ffn.length];
        for (int i = 0; i < expArgs.length; i++) {
            expArgs[i] = (float) (-Math.abs(r.nextGaussian()) * 4);
        }
        out = new float[ffn.length];
        scores = VectorMathBench.gaussian(r, LEN * LEN, 8);
        probs = new float[scores.length];
    }

    @Benchmark
    public float[] exp() {
        vm.exp(expArgs, 0, out, 0, expArgs.length);
        return out;
    }

    @Benchmark
    public float[] gelu() {
        vm.gelu(ffn, 0, out, 0, ffn.length);
        return out;
    }

    @Benchmark
    public float[] softmaxHead() {
        for (int row = 0; row < LEN; row++) {
            vm.softmax(scores, row * LEN, 0.17677669f, probs, row * LEN, LEN);
        }
        return probs;
    }
}
