package dev.lowbit.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The IM-Unpack rescale {@code d = (float) (C / (s_i · s_j))} of exact int64 sums, vectorized. Every lane
 * performs the scalar's IEEE operations in the same order — long→double (round to nearest), the double
 * product {@code s_i · s_j}, the double quotient, double→float (round to nearest) — so the result equals
 * {@link #scalar} bit for bit.
 */
final class Rescale {
    private static final VectorSpecies<Float> HALF = FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Species.BITS / 2));

    private Rescale() {}

    /** {@code d[at + j] = (float) (c[co + j] / (si · s[so + j]))} for j &lt; n. */
    static void row(long[] c, int co, double si, double[] s, int so, float[] d, int at, int n) {
        int j = 0;
        for (; j <= n - Species.LL; j += Species.LL) {
            DoubleVector cv = (DoubleVector) LongVector.fromArray(Species.L, c, co + j).convert(VectorOperators.L2D, 0);
            DoubleVector sv = DoubleVector.broadcast(Species.D, si).mul(DoubleVector.fromArray(Species.D, s, so + j));
            ((FloatVector) cv.div(sv).convertShape(VectorOperators.D2F, HALF, 0)).intoArray(d, at + j);
        }
        scalar(c, co + j, si, s, so + j, d, at + j, n - j);
    }

    /** The scalar twin of {@link #row}. */
    static void scalar(long[] c, int co, double si, double[] s, int so, float[] d, int at, int n) {
        for (int j = 0; j < n; j++) {
            d[at + j] = (float) (c[co + j] / (si * s[so + j]));
        }
    }
}
