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
 * one target with one {@link Kernel} (see there why).
 */
final class SimdLowPrecisionMath extends LowPrecisionVectorMath {
    private static final int SIGN = 0x80000000;
    /** This target's loops (one rounding per instance). */
    private final Kernel kernel;

    static {
        for (MathPrecision p : new MathPrecision[] {MathPrecision.BF16, MathPrecision.FP16, MathPrecision.FP8}) {
            LowPrecisionMath.Coefficients c = LowPrecisionMath.coefficients(p);
            if (Math.max(Math.max(c.exp2().length, c.g().length), c.erf().length) > 4) {
                throw new IllegalStateException("horner is written out up to degree 3");
            }
        }
    }

    SimdLowPrecisionMath(SimdVectorMath base, MathPrecision target) {
        this(base, target, true);
    }

    private SimdLowPrecisionMath(SimdVectorMath base, MathPrecision target, boolean rounds) {
        super(base, target, rounds);
        this.kernel = !rounds ? new NoRoundKernel(c) : switch (target) {
            case BF16 -> new Bf16Kernel(c);
            case FP16 -> new Fp16Kernel(c);
            default -> new E4m3Kernel(c);
        };
    }

    @Override
    public LowPrecisionVectorMath unrounded() {
        return new SimdLowPrecisionMath((SimdVectorMath) base, target, false);
    }

    // ------------------------------------------------------------------ lanes (twins of LowPrecisionMath)

    /**
     * Horner of degree d = c.length − 1 ≤ 3 (every set of {@link LowPrecisionMath}), written out: the same fma
     * sequence as {@link LowPrecisionMath#horner} without an inner loop (a loop carrying a vector of unknown trip
     * count made exp slower than float32's degree 7).
     */
    private static FloatVector horner(float[] c, FloatVector x) {
        int d = c.length - 1;
        FloatVector p = FloatVector.broadcast(F, c[d]);
        if (d > 2) {
            p = p.fma(x, FloatVector.broadcast(F, c[2]));
        }
        if (d > 1) {
            p = p.fma(x, FloatVector.broadcast(F, c[1]));
        }
        if (d > 0) {
            p = p.fma(x, FloatVector.broadcast(F, c[0]));
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

    // rounding to the target: LowPrecisionMath.roundBf16 / roundFp16 / roundE4m3 (the NaN blend is needed: a NaN
    // whose payload has its top bits set carries into the sign under the bit rounding)

    private static FloatVector roundBits(FloatVector a, int half, int shift, int mask) {
        IntVector b = (IntVector) a.reinterpretAsInts();
        IntVector r = b.add(half).add(b.lanewise(VectorOperators.LSHR, shift).and(1)).and(mask);
        return (FloatVector) r.reinterpretAsFloats();
    }

    static FloatVector roundBf16(FloatVector x) {
        return roundBits(x, 0x7FFF, 16, 0xFFFF0000).blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** v with x's sign bit OR-ed in. */
    private static FloatVector orSign(FloatVector v, FloatVector x) {
        IntVector s = ((IntVector) x.reinterpretAsInts()).and(SIGN);
        return (FloatVector) ((IntVector) v.reinterpretAsInts()).or(s).reinterpretAsFloats();
    }

    static FloatVector roundFp16(FloatVector x) {
        FloatVector rn = roundBits(x, 0xFFF, 13, ~0x1FFF);
        FloatVector rs = orSign(x.add(0.75f).sub(0.75f), x);
        FloatVector r = rn.blend(rs, x.abs().compare(VectorOperators.LT, 0x1p-14f));
        r = r.blend(r.mul(Float.POSITIVE_INFINITY), r.abs().compare(VectorOperators.GT, 65504f));
        return r.blend(x, x.test(VectorOperators.IS_NAN));
    }

    static FloatVector roundE4m3(FloatVector x) {
        FloatVector rn = roundBits(x, 0x7FFFF, 20, ~0xFFFFF);
        FloatVector rs = orSign(x.add(24576f).sub(24576f), x);
        FloatVector r = rn.blend(rs, x.abs().compare(VectorOperators.LT, 0x1p-6f)).max(-448f).min(448f);
        return r.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /**
     * The loops of one target and rounding: approximation and rounding in one lane chain. One concrete class per
     * rounding (the loops are duplicated on purpose): the call from the array methods is monomorphic in a run and
     * each loop stays small — a loop dispatching over the three roundings, or an approximation loop and a rounding loop
     * inlined into one method, exceeded C2's inlining node limit and left vectors boxed (several times slower).
     */
    abstract static class Kernel {
        final float[] e2;
        final float k;
        final float[] g;
        final float[] ec;

        Kernel(LowPrecisionMath.Coefficients c) {
            e2 = c.exp2();
            k = c.k();
            g = c.g();
            ec = c.erf();
        }

        /** y = round(e^x) over n (a multiple of LF) elements. */
        abstract void exp(float[] x, int xOff, float[] y, int yOff, int n);

        abstract void gelu(float[] x, int xOff, float[] y, int yOff, int n);

        abstract void erf(float[] x, int xOff, float[] y, int yOff, int n);

        /** y = round(y·s). */
        abstract void scale(float[] y, int yOff, int n, float s);
    }

    static final class NoRoundKernel extends Kernel {
        NoRoundKernel(LowPrecisionMath.Coefficients c) {
            super(c);
        }

        @Override
        void exp(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                exp2(FloatVector.fromArray(F, x, xOff + i).mul(LOG2E), e2).intoArray(y, yOff + i);
            }
        }

        @Override
        void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                SimdLowPrecisionMath.gelu(FloatVector.fromArray(F, x, xOff + i), e2, k, g).intoArray(y, yOff + i);
            }
        }

        @Override
        void erf(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                SimdLowPrecisionMath.erf(FloatVector.fromArray(F, x, xOff + i), e2, k, g, ec).intoArray(y, yOff + i);
            }
        }

        @Override
        void scale(float[] y, int yOff, int n, float s) {
            for (int i = 0; i < n; i += LF) {
                FloatVector.fromArray(F, y, yOff + i).mul(s).intoArray(y, yOff + i);
            }
        }
    }

    static final class Bf16Kernel extends Kernel {
        Bf16Kernel(LowPrecisionMath.Coefficients c) {
            super(c);
        }

        @Override
        void exp(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                roundBf16(exp2(FloatVector.fromArray(F, x, xOff + i).mul(LOG2E), e2)).intoArray(y, yOff + i);
            }
        }

        @Override
        void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                roundBf16(SimdLowPrecisionMath.gelu(FloatVector.fromArray(F, x, xOff + i), e2, k, g)).intoArray(y, yOff + i);
            }
        }

        @Override
        void erf(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                roundBf16(SimdLowPrecisionMath.erf(FloatVector.fromArray(F, x, xOff + i), e2, k, g, ec)).intoArray(y, yOff + i);
            }
        }

        @Override
        void scale(float[] y, int yOff, int n, float s) {
            for (int i = 0; i < n; i += LF) {
                roundBf16(FloatVector.fromArray(F, y, yOff + i).mul(s)).intoArray(y, yOff + i);
            }
        }
    }

    static final class Fp16Kernel extends Kernel {
        Fp16Kernel(LowPrecisionMath.Coefficients c) {
            super(c);
        }

        @Override
        void exp(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                roundFp16(exp2(FloatVector.fromArray(F, x, xOff + i).mul(LOG2E), e2)).intoArray(y, yOff + i);
            }
        }

        @Override
        void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
            // two passes: the GELU chain and this rounding in one loop compiled several times slower (C2)
            for (int i = 0; i < n; i += LF) {
                SimdLowPrecisionMath.gelu(FloatVector.fromArray(F, x, xOff + i), e2, k, g).intoArray(y, yOff + i);
            }
            for (int i = 0; i < n; i += LF) {
                roundFp16(FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
            }
        }

        @Override
        void erf(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                roundFp16(SimdLowPrecisionMath.erf(FloatVector.fromArray(F, x, xOff + i), e2, k, g, ec)).intoArray(y, yOff + i);
            }
        }

        @Override
        void scale(float[] y, int yOff, int n, float s) {
            for (int i = 0; i < n; i += LF) {
                roundFp16(FloatVector.fromArray(F, y, yOff + i).mul(s)).intoArray(y, yOff + i);
            }
        }
    }

    static final class E4m3Kernel extends Kernel {
        E4m3Kernel(LowPrecisionMath.Coefficients c) {
            super(c);
        }

        @Override
        void exp(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                roundE4m3(exp2(FloatVector.fromArray(F, x, xOff + i).mul(LOG2E), e2)).intoArray(y, yOff + i);
            }
        }

        @Override
        void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
            // two passes: the GELU chain and this rounding in one loop compiled several times slower (C2)
            for (int i = 0; i < n; i += LF) {
                SimdLowPrecisionMath.gelu(FloatVector.fromArray(F, x, xOff + i), e2, k, g).intoArray(y, yOff + i);
            }
            for (int i = 0; i < n; i += LF) {
                roundE4m3(FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
            }
        }

        @Override
        void erf(float[] x, int xOff, float[] y, int yOff, int n) {
            for (int i = 0; i < n; i += LF) {
                roundE4m3(SimdLowPrecisionMath.erf(FloatVector.fromArray(F, x, xOff + i), e2, k, g, ec)).intoArray(y, yOff + i);
            }
        }

        @Override
        void scale(float[] y, int yOff, int n, float s) {
            for (int i = 0; i < n; i += LF) {
                roundE4m3(FloatVector.fromArray(F, y, yOff + i).mul(s)).intoArray(y, yOff + i);
            }
        }
    }

    // ------------------------------------------------------------------ arrays

    @Override
    public void exp(float[] x, int xOff, float[] y, int yOff, int n) {
        int v = n - n % LF;
        kernel.exp(x, xOff, y, yOff, v);
        super.exp(x, xOff + v, y, yOff + v, n - v);
    }

    @Override
    public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
        int v = n - n % LF;
        kernel.gelu(x, xOff, y, yOff, v);
        super.gelu(x, xOff + v, y, yOff + v, n - v);
    }

    @Override
    public void erf(float[] x, int xOff, float[] y, int yOff, int n) {
        int v = n - n % LF;
        kernel.erf(x, xOff, y, yOff, v);
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
        kernel.scale(y, yOff, v, inv);
        for (i = v; i < n; i++) {
            y[yOff + i] = rnd(y[yOff + i] * inv);
        }
        return (double) sm + Math.log(s);
    }
}
