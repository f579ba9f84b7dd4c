package dev.lowbit.onednn;

import dev.lowbit.gemm.GemmBackendContract;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Run in a child JVM by {@link IsaLimitTest} (the ISA limit must be in the environment before oneDNN loads): prints what the
 * backend concluded, whether the 8-bit self-test passes at this ISA, whether b ≤ maxExactBits GEMMs are exact, and the
 * OpenMP wait policy libgomp saw, as {@code key=value} lines.
 */
public final class IsaProbe {
    private IsaProbe() {}

    public static void main(String[] args) {
        if (!OneDnnGemmBackend.available()) {
            System.out.println("unavailable=" + OneDnnGemmBackend.unavailableReason());
            return;
        }
        OneDnn dnn = OneDnn.get().orElseThrow();
        int bits = OneDnnGemmBackend.maxExactBits();
        System.out.println("isa=" + dnn.isa());
        System.out.println("vnni=" + dnn.hasVnni());
        System.out.println("maxExactBits=" + bits);
        System.out.println("selfTest8=" + dnn.selfTest(8));
        System.out.println("report=" + dnn.selfTestReport());
        System.out.println("ompWaitPolicy=" + cEnv("OMP_WAIT_POLICY"));
        OneDnnGemmBackend be = new OneDnnGemmBackend(2);
        SplittableRandom r = new SplittableRandom(11);
        boolean exact = true;
        for (int b = 2; b <= bits; b++) {
            for (int[] s : new int[][] {{1, 1, 3}, {17, 33, 65}, {40, 24, 1001}}) {
                IntMatrix x = GemmBackendContract.randomBits(s[0], s[2], b, r);
                IntMatrix y = GemmBackendContract.randomBits(s[1], s[2], b, r);
                int m = (1 << (b - 1)) - 1;
                Arrays.fill(x.data(), 0, s[2], m); // an all-max row against all-max rows of both signs
                Arrays.fill(y.data(), 0, s[2], m);
                if (s[1] > 1) {
                    Arrays.fill(y.data(), s[2], 2 * s[2], -m);
                }
                LongMatrix got = LongMatrix.zeros(s[0], s[1]);
                be.gemmInt(x, y, b, new IntEpilogue.ToLong(got));
                exact &= Arrays.equals(GemmBackendContract.reference(x, y).data(), got.data());
            }
        }
        System.out.println("exact=" + exact);
    }

    /** The C library's view of an environment variable (Java's {@code System.getenv} is a copy taken at start-up). */
    static String cEnv(String name) {
        var linker = java.lang.foreign.Linker.nativeLinker();
        var getenv = linker.downcallHandle(linker.defaultLookup().find("getenv").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.ADDRESS));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var v = (java.lang.foreign.MemorySegment) getenv.invokeExact(arena.allocateFrom(name));
            return v.equals(java.lang.foreign.MemorySegment.NULL) ? null : v.reinterpret(4096).getString(0);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
