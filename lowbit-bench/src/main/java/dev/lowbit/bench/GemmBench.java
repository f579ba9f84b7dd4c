package dev.lowbit.bench;

import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ImUnpackSpec;
import dev.lowbit.format.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.simd.SimdGemmBackend;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.RandomMatrices;
import dev.lowbit.unpack.UnpackStrategy;
import dev.lowbit.unpack.Unpacked;
import dev.lowbit.unpack.Unpacker;
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
 * lowbit's GEMMs, one benchmark per entry of {@code ./lowbit bench gemm} (same operands). Time per call;
 * GOPS = 2·M·N·K / time. Run (see docs/performance.md):
 * {@code java --add-modules jdk.incubator.vector -jar lowbit-bench/target/lowbit-bench.jar GemmBench -p shape=4096x1536x384 -p threads=1}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 7, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx8g"})
public class GemmBench {
    @Param({"4096x1536x384", "1536x4096x384", "1024x1024x1024"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    SimdGemmBackend be;
    FloatMatrix a;
    FloatMatrix b;
    FloatMatrix bt;
    FloatMatrix c;
    IntMatrix[] ints = new IntMatrix[9];
    IntMatrix[] intsB = new IntMatrix[9];
    IntMatrix ci;
    FloatMatrix x;
    FloatMatrix w;
    ImUnpackSpec spec;
    QuantizedMatrix qa;
    QuantizedMatrix qw;
    Unpacked unpacked;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        int m = Integer.parseInt(p[0]);
        int n = Integer.parseInt(p[1]);
        int k = Integer.parseInt(p[2]);
        be = new SimdGemmBackend(threads);
        a = RandomMatrices.gaussian(m, k, 1);
        b = RandomMatrices.gaussian(n, k, 2);
        bt = RandomMatrices.gaussian(k, n, 3);
        c = FloatMatrix.zeros(m, n);
        ci = IntMatrix.zeros(m, n);
        SplittableRandom r = new SplittableRandom(4);
        for (int bits : new int[] {2, 4, 8}) {
            ints[bits] = random(m, k, bits, r);
            intsB[bits] = random(n, k, bits, r);
        }
        x = RandomMatrices.outlierChannels(m, k, Math.max(1, k / 12), 100, 5);
        w = RandomMatrices.gaussian(n, k, 6);
        spec = new ImUnpackSpec(QuantParams.P95_N15, new QuantParams(1.0, 15, Granularity.TENSOR, false), 4, UnpackStrategy.COLUMN);
        qa = RtnQuantizer.quantize(x, spec.lhs());
        qw = RtnQuantizer.quantize(w, spec.rhs());
        unpacked = Unpacker.unpack(qa.codes(), qw.codes(), 4, spec.strategy());
    }

    static IntMatrix random(int rows, int cols, int bits, SplittableRandom r) {
        int lim = (1 << (bits - 1)) - 1;
        IntMatrix x = IntMatrix.zeros(rows, cols);
        for (int i = 0; i < x.data().length; i++) {
            x.data()[i] = r.nextInt(2 * lim + 1) - lim;
        }
        return x;
    }

    @Benchmark
    public FloatMatrix fp32Nt() {
        be.gemmF32(GemmLayout.NT, a, b, c);
        return c;
    }

    @Benchmark
    public FloatMatrix fp32Nn() {
        be.gemmF32(GemmLayout.NN, a, bt, c);
        return c;
    }

    @Benchmark
    public IntMatrix int8Exact() {
        be.gemmInt(ints[8], intsB[8], 8, new IntEpilogue.ToInt(ci));
        return ci;
    }

    @Benchmark
    public IntMatrix int4Exact() {
        be.gemmInt(ints[4], intsB[4], 4, new IntEpilogue.ToInt(ci));
        return ci;
    }

    @Benchmark
    public IntMatrix int2Exact() {
        be.gemmInt(ints[2], intsB[2], 2, new IntEpilogue.ToInt(ci));
        return ci;
    }

    /** Stage 1 of {@link #imUnpackB4}: quantize both operands. */
    @Benchmark
    public Object imUnpackB4Quantize() {
        return new Object[] {RtnQuantizer.quantize(x, spec.lhs()), RtnQuantizer.quantize(w, spec.rhs())};
    }

    /** Stage 2: unpack the codes. */
    @Benchmark
    public Unpacked imUnpackB4Unpack() {
        return Unpacker.unpack(qa.codes(), qw.codes(), 4, spec.strategy());
    }

    /** Stage 3: the plain low-bit GEMM of the unpacked operands (no fold), int32 output. */
    @Benchmark
    public IntMatrix imUnpackB4GemmOnly() {
        be.gemmInt(unpacked.lhs(), unpacked.rhs(), 4, new IntEpilogue.ToInt(ci));
        return ci;
    }

    @Benchmark
    public FloatMatrix imUnpackB4() {
        ImUnpackGemm.multiplyInto(x, w, spec, be, c);
        return c;
    }
}
