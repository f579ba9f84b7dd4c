package dev.lowbit.bench.format;

import dev.lowbit.format.Formats;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.round.Rounding;
import dev.lowbit.simd.format.ScalarFakeQuant;
import dev.lowbit.simd.format.VectorFakeQuant;
import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.MiniFloat;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fake-quantization throughput on one thread, in elements per second (ops/s × {@link #N} through
 * {@code @OperationsPerInvocation}): the vector kernel, its scalar bit-level twin, and the core reference
 * ({@code NumberFormat.round}, any rounding) for e4m3, e2m1, bf16 and mxfp4, round to nearest even, on
 * 64 Ki N(0,1) floats (256 KiB in + 256 KiB out: cache-resident, so this is compute throughput).
 *
 * <pre>
 * ./mvnw -B -q -pl lowbit-bench -am package -DskipTests
 * java --add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow -jar lowbit-bench/target/lowbit-bench.jar \
 *     'dev.lowbit.bench.format.FakeQuantBench' -f 1 -wi 3 -i 5 -w 1s -r 1s
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class FakeQuantBench {
    public static final int N = 1 << 16;

    @Param({"e4m3", "e2m1", "bf16", "mxfp4"})
    public String format;

    NumberFormat f;
    float[] x;
    float[] out;

    @Setup
    public void setup() {
        f = Formats.parse(format);
        SplittableRandom rnd = new SplittableRandom(1);
        x = new float[N];
        out = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] vector() {
        VectorFakeQuant.round(f, x, out, N / 32, 32);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] scalarTwin() {
        if (f instanceof MiniFloat m) {
            ScalarFakeQuant.roundMiniFloat(m, x, out, 0, N);
        } else {
            ScalarFakeQuant.roundMx((BlockFormat) f, x, out, N / 32, 32);
        }
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public float[] reference() {
        f.round(x, out, N / 32, 32, Rounding.NEAREST_EVEN, 1);
        return out;
    }
}
