package dev.lowbit.simd;

import static dev.lowbit.numeric.LowPrecisionMath.ERF_SPLIT;
import static dev.lowbit.numeric.LowPrecisionMath.NEG_HALF_LOG2E;
import static dev.lowbit.numeric.LowPrecisionMath.SQRT2;
import static dev.lowbit.numeric.LowPrecisionMath.V_MAX;
import static dev.lowbit.numeric.LowPrecisionMath.V_MIN;
import static dev.lowbit.numeric.ScalarVectorMath.LOG2E;
import static dev.lowbit.numeric.ScalarVectorMath.ROUND_MAGIC;
import static dev.lowbit.numeric.ScalarVectorMath.ROUND_MAGIC_BITS;
import static dev.lowbit.simd.Species.F;
import static dev.lowbit.simd.Species.LF;

import dev.lowbit.numeric.LowPrecisionMath;
import dev.lowbit.numeric.LowPrecisionVectorMath;
import dev.lowbit.numeric.MathPrecision;
import dev.lowbit.numeric.ScalarVectorMath;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The Vector API twin of {@link LowPrecisionVectorMath}: exp, GELU, erf and softmax with the target's approximations
 * of {@link LowPrecisionMath}, lane by lane in the same float32 operation sequences (so the same bits at every
 * width); tails go through the scalar definitions, everything else is {@link SimdVectorMath}. One instance runs
 * one target: its coefficients are fields and its rounding pass a {@code Rounder} (monomorphic in a run), so C2
 * compiles small loops for that target only — inlining all three targets into one method hit C2's node limit
 * and left vectors boxed (10× slower).
 */
final class SimdLowPrecisionMath extends LowPrecisionVectorMath {
    private static final int SIGN = 0x80000000;
    /** This target's coefficients (one code path per instance: C2 compiles only the target in use). */
    private final float[] e2;
    private final float k;
    private final float[] g;
    private final float[] ec;
    /** The rounding pass of this target (or none), a monomorphic call in any one run. */
    private final Rounder rounder;

    SimdLowPrecisionMath(SimdVectorMath base, MathPrecision target) {
        this(base, target, true);
    }

    private SimdLowPrecisionMath(SimdVectorMath base, MathPrecision target, boolean rounds) {
        super(base, target, rounds);
        LowPrecisionMath.Coefficients co = LowPrecisionMath.coefficients(target);
        this.e2 = co.exp2();
        this.k = co.k();
        this.g = co.g();
        this.ec = co.erf();
        this.rounder = !rounds ? new Rounder() : switch (target) {
            case BF16 -> new Bf16Rounder();
            case FP16 -> new Fp16Rounder();
            default -> new E4m3Rounder();
        };
    }

    @Override
    public LowPrecisionVectorMath unrounded() {
        return new SimdLowPrecisionMath((SimdVectorMath) base, target, false);
    }

    // ------------------------------------------------------------------ lanes (twins of LowPrecisionMath)

    private static FloatVector horner(float[] c, FloatVector x) {
        FloatVector p = FloatVector.broadcast(F, c[c.length - 1]);
        for (int j = c.length - 2; j >= 0; j--) {
            p = p.fma(x, FloatVector.broadcast(F, c[j]));
        }
        return p;
    }

    static FloatVector exp2(FloatVector v, float[] c) {
        FloatVector w = v.max(V_MIN).min(V_MAX);
        FloatVector s = w.add(ROUND_MAGIC);
        FloatVector nf = s.sub(ROUND_MAGIC);
        IntVector n = ((IntVector) s.reinterpretAsInts()).sub(ROUND_MAGIC_BITS);
        FloatVector p = horner(c, w.sub(nf));
        IntVector n1 = n.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = n.sub(n1);
        FloatVector s1 = (FloatVector) n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = (FloatVector) n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    static FloatVector phiNeg(FloatVector a, float[] e2, float k, float[] g) {
        FloatVector t = FloatVector.broadcast(F, 1f).div(a.fma(k, 1f));
        FloatVector e = exp2(a.mul(a).mul(NEG_HALF_LOG2E), e2);
        return t.mul(horner(g, t)).mul(e);
    }

    static FloatVector gelu(FloatVector x, float[] e2, float k, float[] g) {
        FloatVector q = phiNeg(x.abs(), e2, k, g);
        return x.mul(q.blend(FloatVector.broadcast(F, 1f).sub(q), x.compare(VectorOperators.GE, 0f)));
    }

    private static FloatVector copySign(FloatVector magnitude, FloatVector sign) {
        IntVector m = ((IntVector) magnitude.reinterpretAsInts()).and(~SIGN);
        IntVector s = ((IntVector) sign.reinterpretAsInts()).and(SIGN);
        return (FloatVector) m.or(s).reinterpretAsFloats();
    }

    static FloatVector erf(FloatVector x, float[] e2, float k, float[] g, float[] ec) {
        FloatVector a = x.abs();
        FloatVector small = x.mul(horner(ec, x.mul(x)));
        FloatVector large = copySign(FloatVector.broadcast(F, 1f).sub(phiNeg(a.mul(SQRT2), e2, k, g).mul(2f)), x);
        return large.blend(small, a.compare(VectorOperators.LT, ERF_SPLIT));
    }

    // rounding to the target: LowPrecisionMath.roundBf16 / roundFp16 / roundE4m3

    private static FloatVector roundBits(FloatVector a, int half, int shift, int mask) {
        IntVector b = (IntVector) a.reinterpretAsInts();
        IntVector r = b.add(half).add(b.lanewise(VectorOperators.LSHR, shift).and(1)).and(mask);
        return (FloatVector) r.reinterpretAsFloats();
    }

    static FloatVector roundBf16(FloatVector x) {
        return roundBits(x, 0x7FFF, 16, 0xFFFF0000).blend(x, x.test(VectorOperators.IS_NAN));
    }

    static FloatVector roundFp16(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector rn = roundBits(a, 0xFFF, 13, ~0x1FFF);
        FloatVector rs = a.add(0.5f).sub(0.5f);
        FloatVector m = rn.blend(rs, a.compare(VectorOperators.LT, 0x1p-14f));
        m = m.blend(Float.POSITIVE_INFINITY, m.compare(VectorOperators.GT, 65504f));
        return copySign(m, x).blend(x, x.test(VectorOperators.IS_NAN));
    }

    static FloatVector roundE4m3(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector rn = roundBits(a, 0x7FFFF, 20, ~0xFFFFF);
        FloatVector rs = a.add(16384f).sub(16384f);
        FloatVector m = rn.blend(rs, a.compare(VectorOperators.LT, 0x1p-6f)).min(448f);
        return copySign(m, x).blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** Rounds y[off, off + n) (n a multiple of LF) to the target in place; this base class: no rounding. */
    private static class Rounder {
        void round(float[] y, int off, int n) {}
    }

    private static final class Bf16Rounder extends Rounder {
        @Override
        void round(float[] y, int off, int n) {
            for (int i = 0; i < n; i += LF) {
                roundBf16(FloatVector.fromArray(F, y, off + i)).intoArray(y, off + i);
            }
        }
    }

    private static final class Fp16Rounder extends Rounder {
        @Override
        void round(float[] y, int off, int n) {
            for (int i = 0; i < n; i += LF) {
                roundFp16(FloatVector.fromArray(F, y, off + i)).intoArray(y, off + i);
            }
        }
    }

    private static final class E4m3Rounder extends Rounder {
        @Override
        void round(float[] y, int off, int n) {
            for (int i = 0; i < n; i += LF) {
                roundE4m3(FloatVector.fromArray(F, y, off + i)).intoArray(y, off + i);
            }
        }
    }

    // ------------------------------------------------------------------ arrays: the approximation over a chunk, then
    // its rounding (a second pass over the chunk while it is in L1; small loops inline and unroll better)

    /** Elements per chunk (a multiple of every LF). */
    private static final int CHUNK = 1024;

    private static void expLoop(float[] x, int xOff, float[] y, int yOff, int n, float[] e2) {
        for (int i = 0; i < n; i += LF) {
            exp2(FloatVector.fromArray(F, x, xOff + i).mul(LOG2E), e2).intoArray(y, yOff + i);
        }
    }

    private static void geluLoop(float[] x, int xOff, float[] y, int yOff, int n, float[] e2, float k, float[] g) {
        for (int i = 0; i < n; i += LF) {
            gelu(FloatVector.fromArray(F, x, xOff + i), e2, k, g).intoArray(y, yOff + i);
        }
    }

    private static void erfLoop(float[] x, int xOff, float[] y, int yOff, int n, float[] e2, float k, float[] g, float[] ec) {
        for (int i = 0; i < n; i += LF) {
            erf(FloatVector.fromArray(F, x, xOff + i), e2, k, g, ec).intoArray(y, yOff + i);
        }
    }

    @Override
    public void exp(float[] x, int xOff, float[] y, int yOff, int n) {
        int v = n - n % LF;
        for (int b = 0; b < v; b += CHUNK) {
            int len = Math.min(CHUNK, v - b);
            expLoop(x, xOff + b, y, yOff + b, len, e2);
            rounder.round(y, yOff + b, len);
        }
        super.exp(x, xOff + v, y, yOff + v, n - v);
    }

    @Override
    public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
        int v = n - n % LF;
        for (int b = 0; b < v; b += CHUNK) {
            int len = Math.min(CHUNK, v - b);
            geluLoop(x, xOff + b, y, yOff + b, len, e2, k, g);
            rounder.round(y, yOff + b, len);
        }
        super.gelu(x, xOff + v, y, yOff + v, n - v);
    }

    @Override
    public void erf(float[] x, int xOff, float[] y, int yOff, int n) {
        int v = n - n % LF;
        for (int b = 0; b < v; b += CHUNK) {
            int len = Math.min(CHUNK, v - b);
            erfLoop(x, xOff + b, y, yOff + b, len, e2, k, g, ec);
            rounder.round(y, yOff + b, len);
        }
        super.erf(x, xOff + v, y, yOff + v, n - v);
    }

    @Override
    public double softmax(float[] x, int xOff, float scale, float[] y, int yOff, int n) {
        float m = SimdVectorMath.max(x, xOff, n);
        if (ScalarVectorMath.undefinedSoftmax(m)) {
            Arrays.fill(y, yOff, yOff + n, Float.NaN);
            return Double.NaN;
        }
        float sm = scale * m;
        // arguments, then the target's exp in place, then the 16-partial sum: the scalar twin's values and order
        int i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector.fromArray(F, x, xOff + i).mul(scale).sub(sm).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = scale * x[xOff + i] - sm;
        }
        exp(y, yOff, y, yOff, n);
        float s = base.sum(y, yOff, n);
        float inv = 1f / s;
        int v = n - n % LF;
        for (i = 0; i < v; i += LF) {
            FloatVector.fromArray(F, y, yOff + i).mul(inv).intoArray(y, yOff + i);
        }
        rounder.round(y, yOff, v);
        for (i = v; i < n; i++) {
            y[yOff + i] = rnd(y[yOff + i] * inv);
        }
        return (double) sm + Math.log(s);
    }
}
