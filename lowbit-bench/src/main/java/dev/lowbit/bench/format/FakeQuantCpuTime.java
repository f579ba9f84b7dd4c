package dev.lowbit.bench.format;

import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.Formats;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.round.Rounding;
import dev.lowbit.simd.format.ScalarFakeQuant;
import dev.lowbit.simd.format.VectorFakeQuant;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The same kernels as {@link FakeQuantBench}, timed by the thread's CPU time (ThreadMXBean) as well as by the wall
 * clock, so the per-core rate stays meaningful on a machine shared with other work: elements / CPU-second is what one
 * core does while it runs this thread. Warm-up 3 s per kernel, then the median of 7 runs of 0.5 s.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp lowbit-bench/target/lowbit-bench.jar dev.lowbit.bench.format.FakeQuantCpuTime [format…]
 * </pre>
 */
public final class FakeQuantCpuTime {
    private FakeQuantCpuTime() {}

    interface Kernel {
        void run();
    }

    public static void main(String[] args) {
        int n = FakeQuantBench.N;
        SplittableRandom rnd = new SplittableRandom(1);
        float[] x = new float[n];
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "vector width %d bits, %d elements per call%n", VectorFakeQuant.vectorBits(), n);
        System.out.printf(Locale.ROOT, "%-7s %-11s %16s %16s%n", "format", "kernel", "G elem/CPU-s", "G elem/wall-s");
        for (String name : args.length > 0 ? args : new String[] {"e4m3", "e2m1", "bf16", "mxfp4"}) {
            NumberFormat f = Formats.parse(name);
            Kernel vector = () -> VectorFakeQuant.round(f, x, out, n / 32, 32);
            Kernel twin = f instanceof MiniFloat m ? () -> ScalarFakeQuant.roundMiniFloat(m, x, out, 0, n)
                    : () -> ScalarFakeQuant.roundMx((BlockFormat) f, x, out, n / 32, 32);
            Kernel reference = () -> f.round(x, out, n / 32, 32, Rounding.NEAREST_EVEN, 1);
            String[] labels = {"vector", "scalarTwin", "reference"};
            Kernel[] kernels = {vector, twin, reference};
            for (int k = 0; k < kernels.length; k++) {
                long end = System.nanoTime() + 3_000_000_000L;
                while (System.nanoTime() < end) {
                    kernels[k].run();
                }
                double[] cpu = new double[7];
                double[] wall = new double[7];
                for (int r = 0; r < 7; r++) {
                    long calls = 0;
                    long c0 = mx.getCurrentThreadCpuTime();
                    long w0 = System.nanoTime();
                    while (System.nanoTime() - w0 < 500_000_000L) {
                        kernels[k].run();
                        calls++;
                    }
                    long w1 = System.nanoTime();
                    long c1 = mx.getCurrentThreadCpuTime();
                    cpu[r] = calls * (double) n / (c1 - c0);
                    wall[r] = calls * (double) n / (w1 - w0);
                }
                Arrays.sort(cpu);
                Arrays.sort(wall);
                System.out.printf(Locale.ROOT, "%-7s %-11s %16.3f %16.3f%n", name, labels[k], cpu[3], wall[3]);
            }
        }
    }
}
