package dev.lowbit.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** int32 tile rows into int64 outputs (a plain loop: C2 vectorizes it with sign-extending moves). */
final class Widen {
    private Widen() {}

    /** t[j] = (int) f[j] for j &lt; n; f holds exact integers of magnitude ≤ 2^24. */
    static void floats(float[] f, int[] t, int n) {
        int j = 0;
        for (; j <= n - Species.LF; j += Species.LF) {
            ((IntVector) FloatVector.fromArray(Species.F, f, j).convert(VectorOperators.F2I, 0)).intoArray(t, j);
        }
        for (; j < n; j++) {
            t[j] = (int) f[j];
        }
    }

    /** {@code d[at + j] = t[to + j]} (first k-block) or {@code d[at + j] += t[to + j]}, for j &lt; cols. */
    static void row(int[] t, int to, long[] d, int at, int cols, boolean first) {
        if (first) {
            for (int j = 0; j < cols; j++) {
                d[at + j] = t[to + j];
            }
        } else {
            for (int j = 0; j < cols; j++) {
                d[at + j] += t[to + j];
            }
        }
    }
}
