package dev.lowbit.bench;

import dev.lowbit.simd.OpenBlas;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The system OpenBLAS SGEMM through FFM, the peer of {@link GemmBench#fp32Nt} / {@link GemmBench#fp32Nn}.
 * Fails its setup with a plain message when OpenBLAS is not installed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 7, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class OpenBlasBench {
    @Param({"4096x1536x384", "1536x4096x384", "1024x1024x1024"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    OpenBlas blas;
    Arena arena;
    MemorySegment a;
    MemorySegment b;
    MemorySegment c;
    int m;
    int n;
    int k;

    @Setup
    public void setup() {
        blas = OpenBlas.load().orElseThrow(() -> new IllegalStateException(OpenBlas.whyMissing()));
        blas.setThreads(threads);
        String[] p = shape.split("x");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        arena = Arena.ofShared();
        FloatMatrix fa = RandomMatrices.gaussian(m, k, 1);
        FloatMatrix fb = RandomMatrices.gaussian(n, k, 2);
        a = arena.allocate(4L * m * k, 64);
        b = arena.allocate(4L * n * k, 64);
        c = arena.allocate(4L * m * n, 64);
        MemorySegment.copy(fa.data(), 0, a, ValueLayout.JAVA_FLOAT, 0, m * k);
        MemorySegment.copy(fb.data(), 0, b, ValueLayout.JAVA_FLOAT, 0, n * k);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment sgemmNt() {
        blas.sgemm(true, m, n, k, a, b, c);
        return c;
    }

    @Benchmark
    public MemorySegment sgemmNn() {
        blas.sgemm(false, m, n, k, a, b, c);
        return c;
    }
}
