package dev.lowbit.simd;

import static dev.lowbit.numeric.ScalarVectorMath.AS_A1;
import static dev.lowbit.numeric.ScalarVectorMath.AS_A2;
import static dev.lowbit.numeric.ScalarVectorMath.AS_A3;
import static dev.lowbit.numeric.ScalarVectorMath.AS_A4;
import static dev.lowbit.numeric.ScalarVectorMath.AS_A5;
import static dev.lowbit.numeric.ScalarVectorMath.AS_P;
import static dev.lowbit.numeric.ScalarVectorMath.E0;
import static dev.lowbit.numeric.ScalarVectorMath.E1;
import static dev.lowbit.numeric.ScalarVectorMath.E2;
import static dev.lowbit.numeric.ScalarVectorMath.E3;
import static dev.lowbit.numeric.ScalarVectorMath.E4;
import static dev.lowbit.numeric.ScalarVectorMath.E5;
import static dev.lowbit.numeric.ScalarVectorMath.EXP_MAX;
import static dev.lowbit.numeric.ScalarVectorMath.EXP_MIN;
import static dev.lowbit.numeric.ScalarVectorMath.INV_SQRT2;
import static dev.lowbit.numeric.ScalarVectorMath.INV_SQRT_2PI;
import static dev.lowbit.numeric.ScalarVectorMath.LN2_HI;
import static dev.lowbit.numeric.ScalarVectorMath.LN2_LO;
import static dev.lowbit.numeric.ScalarVectorMath.LOG2E;
import static dev.lowbit.numeric.ScalarVectorMath.PARTIALS;
import static dev.lowbit.numeric.ScalarVectorMath.ROUND_MAGIC;
import static dev.lowbit.numeric.ScalarVectorMath.ROUND_MAGIC_BITS;
import static dev.lowbit.simd.Species.F;
import static dev.lowbit.simd.Species.LF;

import dev.lowbit.numeric.MathPrecision;
import dev.lowbit.numeric.ScalarVectorMath;
import dev.lowbit.numeric.VectorMath;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The Vector API {@link VectorMath} (name {@code simd}, priority 10): the same per-element operation sequences
 * as {@link ScalarVectorMath}, LF lanes at a time, so results are equal bit for bit at every width. Reductions
 * keep 16 partial sums in 16/LF vectors (lane l of vector v holds partial v·LF + l), which is exactly the
 * scalar twin's "element i into partial i mod 16" whatever LF is; tails go through the scalar definitions.
 */
public final class SimdVectorMath implements VectorMath {
    private static final ScalarVectorMath S = new ScalarVectorMath();
    /** Vectors per block of 16 partials. */
    private static final int NV = PARTIALS / LF;

    static {
        if (PARTIALS % LF != 0) {
            throw new IllegalStateException("vector width of " + LF + " float lanes does not divide " + PARTIALS);
        }
    }

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public int priority() {
        return 10;
    }

    /** The low-precision variants are vectorized too ({@link SimdLowPrecisionMath}, the same bits as the scalar one). */
    @Override
    public VectorMath withMath(MathPrecision p) {
        return p == MathPrecision.FP32 ? this : new SimdLowPrecisionMath(this, p);
    }

    // ------------------------------------------------------------------ per-lane definitions (twins of ScalarVectorMath)

    /** e^x lane-wise: {@link ScalarVectorMath#exp(float)}'s sequence. */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector s = c.mul(LOG2E).add(ROUND_MAGIC);
        FloatVector nf = s.sub(ROUND_MAGIC);
        IntVector n = ((IntVector) s.reinterpretAsInts()).sub(ROUND_MAGIC_BITS);
        FloatVector r = nf.fma(FloatVector.broadcast(F, -LN2_HI), c);
        r = nf.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(E0, E1);
        p = p.fma(r, FloatVector.broadcast(F, E2));
        p = p.fma(r, FloatVector.broadcast(F, E3));
        p = p.fma(r, FloatVector.broadcast(F, E4));
        p = p.fma(r, FloatVector.broadcast(F, E5));
        FloatVector z = r.mul(r);
        p = p.fma(z, r);
        p = p.add(1f);
        IntVector n1 = n.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = n.sub(n1);
        FloatVector s1 = (FloatVector) n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = (FloatVector) n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** erfc polynomial t·(a1 + t·(…)) of {@link ScalarVectorMath#erfcPoly}. */
    private static FloatVector erfcPoly(FloatVector u) {
        FloatVector t = FloatVector.broadcast(F, 1f).div(u.fma(AS_P, 1f));
        FloatVector poly = t.fma(AS_A5, AS_A4);
        poly = t.fma(poly, FloatVector.broadcast(F, AS_A3));
        poly = t.fma(poly, FloatVector.broadcast(F, AS_A2));
        poly = t.fma(poly, FloatVector.broadcast(F, AS_A1));
        return t.mul(poly);
    }

    static FloatVector gelu(FloatVector x) {
        FloatVector u = x.abs().mul(INV_SQRT2);
        FloatVector q = erfcPoly(u).mul(exp(u.mul(u).neg())).mul(0.5f);
        VectorMask<Float> nonNegative = x.compare(VectorOperators.GE, 0f);
        FloatVector cdf = q.blend(FloatVector.broadcast(F, 1f).sub(q), nonNegative);
        return x.mul(cdf);
    }

    static FloatVector geluGrad(FloatVector x) {
        FloatVector u = x.abs().mul(INV_SQRT2);
        FloatVector e = exp(u.mul(u).neg());
        FloatVector q = erfcPoly(u).mul(e).mul(0.5f);
        VectorMask<Float> nonNegative = x.compare(VectorOperators.GE, 0f);
        FloatVector cdf = q.blend(FloatVector.broadcast(F, 1f).sub(q), nonNegative);
        return x.fma(e.mul(INV_SQRT_2PI), cdf);
    }

    // ------------------------------------------------------------------ element-wise

    @Override
    public void exp(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - LF; i += LF) {
            exp(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
        }
        S.exp(x, xOff + i, y, yOff + i, n - i);
    }

    @Override
    public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - LF; i += LF) {
            gelu(FloatVector.fromArray(F, x, xOff + i)).intoArray(y, yOff + i);
        }
        S.gelu(x, xOff + i, y, yOff + i, n - i);
    }

    @Override
    public void geluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        int i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector g = geluGrad(FloatVector.fromArray(F, x, xOff + i));
            FloatVector.fromArray(F, dy, dyOff + i).fma(g, FloatVector.fromArray(F, dx, dxOff + i)).intoArray(dx, dxOff + i);
        }
        S.geluBackward(x, xOff + i, dy, dyOff + i, dx, dxOff + i, n - i);
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector.fromArray(F, a, aOff + i).add(FloatVector.fromArray(F, b, bOff + i)).intoArray(y, yOff + i);
        }
        S.add(a, aOff + i, b, bOff + i, y, yOff + i, n - i);
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector.fromArray(F, a, aOff + i).mul(FloatVector.fromArray(F, b, bOff + i)).intoArray(y, yOff + i);
        }
        S.mul(a, aOff + i, b, bOff + i, y, yOff + i, n - i);
    }

    @Override
    public void fmaInto(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        S.fmaInto(a, aOff + i, b, bOff + i, y, yOff + i, n - i);
    }

    @Override
    public void scale(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector.fromArray(F, x, xOff + i).mul(alpha).intoArray(y, yOff + i);
        }
        S.scale(alpha, x, xOff + i, y, yOff + i, n - i);
    }

    // ------------------------------------------------------------------ reductions (16 partials)

    /** Lane-wise sum of 16-element blocks: returns the number of elements consumed (a multiple of 16); partials in part. */
    private static int blockSum(float[] x, int off, int n, float[] part) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i <= n - PARTIALS; i += PARTIALS) {
            a0 = a0.add(FloatVector.fromArray(F, x, off + i));
            if (NV > 1) {
                a1 = a1.add(FloatVector.fromArray(F, x, off + i + LF));
            }
            if (NV > 2) {
                a2 = a2.add(FloatVector.fromArray(F, x, off + i + 2 * LF));
                a3 = a3.add(FloatVector.fromArray(F, x, off + i + 3 * LF));
            }
        }
        store(part, a0, a1, a2, a3);
        return i;
    }

    private static void store(float[] part, FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        a0.intoArray(part, 0);
        if (NV > 1) {
            a1.intoArray(part, LF);
        }
        if (NV > 2) {
            a2.intoArray(part, 2 * LF);
            a3.intoArray(part, 3 * LF);
        }
    }

    @Override
    public float sum(float[] x, int xOff, int n) {
        float[] part = new float[PARTIALS];
        int i = blockSum(x, xOff, n, part);
        for (; i < n; i++) {
            part[i & (PARTIALS - 1)] += x[xOff + i];
        }
        return ScalarVectorMath.reduce(part);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i <= n - PARTIALS; i += PARTIALS) {
            a0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), a0);
            if (NV > 1) {
                a1 = FloatVector.fromArray(F, a, aOff + i + LF).fma(FloatVector.fromArray(F, b, bOff + i + LF), a1);
            }
            if (NV > 2) {
                a2 = FloatVector.fromArray(F, a, aOff + i + 2 * LF).fma(FloatVector.fromArray(F, b, bOff + i + 2 * LF), a2);
                a3 = FloatVector.fromArray(F, a, aOff + i + 3 * LF).fma(FloatVector.fromArray(F, b, bOff + i + 3 * LF), a3);
            }
        }
        float[] part = new float[PARTIALS];
        store(part, a0, a1, a2, a3);
        for (; i < n; i++) {
            part[i & (PARTIALS - 1)] = Math.fma(a[aOff + i], b[bOff + i], part[i & (PARTIALS - 1)]);
        }
        return ScalarVectorMath.reduce(part);
    }

    static float max(float[] x, int xOff, int n) {
        int i = 0;
        float m = Float.NEGATIVE_INFINITY;
        if (n >= LF) {
            FloatVector mv = FloatVector.fromArray(F, x, xOff);
            for (i = LF; i <= n - LF; i += LF) {
                mv = mv.max(FloatVector.fromArray(F, x, xOff + i));
            }
            m = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            m = Math.max(m, x[xOff + i]);
        }
        return m;
    }

    @Override
    public double softmax(float[] x, int xOff, float scale, float[] y, int yOff, int n) {
        float m = max(x, xOff, n);
        if (ScalarVectorMath.undefinedSoftmax(m)) {
            Arrays.fill(y, yOff, yOff + n, Float.NaN);
            return Double.NaN;
        }
        float sm = scale * m;
        // e_i = exp(scale·x_i − sm): the argument first, then exp over the row in place (array-level calls, so no
        // vector crosses a call that C2 might not inline); then the 16-partial sum of the e_i — the same values and
        // the same order as the scalar twin's fused loop
        int i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector.fromArray(F, x, xOff + i).mul(scale).sub(sm).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = scale * x[xOff + i] - sm;
        }
        exp(y, yOff, y, yOff, n);
        float s = sum(y, yOff, n);
        scale(1f / s, y, yOff, y, yOff, n);
        return (double) sm + Math.log(s);
    }

    @Override
    public void softmaxBackward(float[] p, int pOff, float[] dp, int dpOff, float scale, float[] dx, int dxOff, int n) {
        float dot = dot(p, pOff, dp, dpOff, n);
        int i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector.fromArray(F, p, pOff + i).mul(FloatVector.fromArray(F, dp, dpOff + i).sub(dot)).mul(scale)
                    .intoArray(dx, dxOff + i);
        }
        for (; i < n; i++) {
            dx[dxOff + i] = (p[pOff + i] * (dp[dpOff + i] - dot)) * scale;
        }
    }

    @Override
    public float layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float eps, float[] y, int yOff,
                           float[] xhat, int xhatOff, int n) {
        float mean = sum(x, xOff, n) / n;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        int i = 0;
        for (; i <= n - PARTIALS; i += PARTIALS) {
            FloatVector d = FloatVector.fromArray(F, x, xOff + i).sub(mean);
            a0 = d.fma(d, a0);
            if (NV > 1) {
                d = FloatVector.fromArray(F, x, xOff + i + LF).sub(mean);
                a1 = d.fma(d, a1);
            }
            if (NV > 2) {
                d = FloatVector.fromArray(F, x, xOff + i + 2 * LF).sub(mean);
                a2 = d.fma(d, a2);
                d = FloatVector.fromArray(F, x, xOff + i + 3 * LF).sub(mean);
                a3 = d.fma(d, a3);
            }
        }
        float[] part = new float[PARTIALS];
        store(part, a0, a1, a2, a3);
        for (; i < n; i++) {
            float d = x[xOff + i] - mean;
            part[i & (PARTIALS - 1)] = Math.fma(d, d, part[i & (PARTIALS - 1)]);
        }
        float r = ScalarVectorMath.rstd(ScalarVectorMath.reduce(part) / n, eps);
        i = 0;
        for (; i <= n - LF; i += LF) {
            FloatVector h = FloatVector.fromArray(F, x, xOff + i).sub(mean).mul(r);
            if (xhat != null) {
                h.intoArray(xhat, xhatOff + i);
            }
            h.fma(FloatVector.fromArray(F, gamma, i), FloatVector.fromArray(F, beta, i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            float h = (x[xOff + i] - mean) * r;
            if (xhat != null) {
                xhat[xhatOff + i] = h;
            }
            y[yOff + i] = Math.fma(h, gamma[i], beta[i]);
        }
        return r;
    }

    @Override
    public void layerNormBackward(float[] g, int gOff, float[] xhat, int xhatOff, float[] gamma, float rstd,
                                  float[] dx, int dxOff, float[] dGamma, float[] dBeta, int n) {
        if (dx != null) {
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            FloatVector t0 = s0;
            FloatVector t1 = s0;
            FloatVector t2 = s0;
            FloatVector t3 = s0;
            int i = 0;
            for (; i <= n - PARTIALS; i += PARTIALS) {
                FloatVector d = FloatVector.fromArray(F, g, gOff + i).mul(FloatVector.fromArray(F, gamma, i));
                s0 = s0.add(d);
                t0 = d.fma(FloatVector.fromArray(F, xhat, xhatOff + i), t0);
                if (NV > 1) {
                    d = FloatVector.fromArray(F, g, gOff + i + LF).mul(FloatVector.fromArray(F, gamma, i + LF));
                    s1 = s1.add(d);
                    t1 = d.fma(FloatVector.fromArray(F, xhat, xhatOff + i + LF), t1);
                }
                if (NV > 2) {
                    d = FloatVector.fromArray(F, g, gOff + i + 2 * LF).mul(FloatVector.fromArray(F, gamma, i + 2 * LF));
                    s2 = s2.add(d);
                    t2 = d.fma(FloatVector.fromArray(F, xhat, xhatOff + i + 2 * LF), t2);
                    d = FloatVector.fromArray(F, g, gOff + i + 3 * LF).mul(FloatVector.fromArray(F, gamma, i + 3 * LF));
                    s3 = s3.add(d);
                    t3 = d.fma(FloatVector.fromArray(F, xhat, xhatOff + i + 3 * LF), t3);
                }
            }
            float[] sd = new float[PARTIALS];
            float[] sdx = new float[PARTIALS];
            store(sd, s0, s1, s2, s3);
            store(sdx, t0, t1, t2, t3);
            for (; i < n; i++) {
                float d = g[gOff + i] * gamma[i];
                sd[i & (PARTIALS - 1)] += d;
                sdx[i & (PARTIALS - 1)] = Math.fma(d, xhat[xhatOff + i], sdx[i & (PARTIALS - 1)]);
            }
            float mD = ScalarVectorMath.reduce(sd) / n;
            float mDx = ScalarVectorMath.reduce(sdx) / n;
            FloatVector vr = FloatVector.broadcast(F, rstd);
            FloatVector vmDx = FloatVector.broadcast(F, mDx);
            i = 0;
            for (; i <= n - LF; i += LF) {
                FloatVector d = FloatVector.fromArray(F, g, gOff + i).mul(FloatVector.fromArray(F, gamma, i));
                FloatVector t = FloatVector.fromArray(F, xhat, xhatOff + i).neg().fma(vmDx, d.sub(mD));
                t.fma(vr, FloatVector.fromArray(F, dx, dxOff + i)).intoArray(dx, dxOff + i);
            }
            for (; i < n; i++) {
                float d = g[gOff + i] * gamma[i];
                float t = Math.fma(-xhat[xhatOff + i], mDx, d - mD);
                dx[dxOff + i] = Math.fma(rstd, t, dx[dxOff + i]);
            }
        }
        if (dGamma != null) {
            fmaInto(g, gOff, xhat, xhatOff, dGamma, 0, n);
        }
        if (dBeta != null) {
            add(dBeta, 0, g, gOff, dBeta, 0, n);
        }
    }

    // ------------------------------------------------------------------ small NN product

    @Override
    public void matmul(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int m, int n, int k) {
        int j = 0;
        for (; j <= n - 4 * LF; j += 4 * LF) {
            int i = 0;
            for (; i <= m - 4; i += 4) {
                tile4x4(a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, k);
            }
            for (; i < m; i++) {
                row(a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j, 4, k);
            }
        }
        for (; j <= n - 2 * LF; j += 2 * LF) {
            int i = 0;
            for (; i <= m - 8; i += 8) {
                tile4x2(a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, k, true);
            }
            for (; i <= m - 4; i += 4) {
                tile4x2(a, aOff + i * lda, lda, b, bOff + j, ldb, c, cOff + i * ldc + j, ldc, k, false);
            }
            for (; i < m; i++) {
                row(a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j, 2, k);
            }
        }
        for (; j <= n - LF; j += LF) {
            for (int i = 0; i < m; i++) {
                row(a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j, 1, k);
            }
        }
        if (j < n) {
            S.matmul(a, aOff, lda, b, bOff + j, ldb, c, cOff + j, ldc, m, n - j, k);
        }
    }

    /** One row of C, {@code vectors} vectors wide (each its own fma chain). */
    private static void row(float[] a, int ao, float[] b, int bo, int ldb, float[] c, int co, int vectors, int k) {
        for (int v = 0; v < vectors; v++) {
            FloatVector acc = FloatVector.zero(F);
            for (int p = 0; p < k; p++) {
                acc = FloatVector.broadcast(F, a[ao + p]).fma(FloatVector.fromArray(F, b, bo + p * ldb + v * LF), acc);
            }
            acc.intoArray(c, co + v * LF);
        }
    }

    private static void tile4x4(float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] c, int co, int ldc, int k) {
        FloatVector c00 = FloatVector.zero(F);
        FloatVector c01 = c00;
        FloatVector c02 = c00;
        FloatVector c03 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c12 = c00;
        FloatVector c13 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c22 = c00;
        FloatVector c23 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c32 = c00;
        FloatVector c33 = c00;
        for (int p = 0; p < k; p++) {
            int bp = bo + p * ldb;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + LF);
            FloatVector b2 = FloatVector.fromArray(F, b, bp + 2 * LF);
            FloatVector b3 = FloatVector.fromArray(F, b, bp + 3 * LF);
            FloatVector x = FloatVector.broadcast(F, a[ao + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[ao + lda + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a[ao + 2 * lda + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, a[ao + 3 * lda + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + LF);
        c02.intoArray(c, co + 2 * LF);
        c03.intoArray(c, co + 3 * LF);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + LF);
        c12.intoArray(c, co + ldc + 2 * LF);
        c13.intoArray(c, co + ldc + 3 * LF);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + LF);
        c22.intoArray(c, co + 2 * ldc + 2 * LF);
        c23.intoArray(c, co + 2 * ldc + 3 * LF);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + LF);
        c32.intoArray(c, co + 3 * ldc + 2 * LF);
        c33.intoArray(c, co + 3 * ldc + 3 * LF);
    }

    /** 4 (or, with {@code eight}, 8) rows × 2 vectors of C. */
    private static void tile4x2(float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] c, int co, int ldc, int k, boolean eight) {
        FloatVector c00 = FloatVector.zero(F);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c60 = c00;
        FloatVector c61 = c00;
        FloatVector c70 = c00;
        FloatVector c71 = c00;
        for (int p = 0; p < k; p++) {
            int bp = bo + p * ldb;
            FloatVector b0 = FloatVector.fromArray(F, b, bp);
            FloatVector b1 = FloatVector.fromArray(F, b, bp + LF);
            FloatVector x = FloatVector.broadcast(F, a[ao + p]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ao + lda + p]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ao + 2 * lda + p]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ao + 3 * lda + p]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            if (eight) {
                x = FloatVector.broadcast(F, a[ao + 4 * lda + p]);
                c40 = x.fma(b0, c40);
                c41 = x.fma(b1, c41);
                x = FloatVector.broadcast(F, a[ao + 5 * lda + p]);
                c50 = x.fma(b0, c50);
                c51 = x.fma(b1, c51);
                x = FloatVector.broadcast(F, a[ao + 6 * lda + p]);
                c60 = x.fma(b0, c60);
                c61 = x.fma(b1, c61);
                x = FloatVector.broadcast(F, a[ao + 7 * lda + p]);
                c70 = x.fma(b0, c70);
                c71 = x.fma(b1, c71);
            }
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + LF);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + LF);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + LF);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + LF);
        if (eight) {
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, co + 4 * ldc + LF);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, co + 5 * ldc + LF);
            c60.intoArray(c, co + 6 * ldc);
            c61.intoArray(c, co + 6 * ldc + LF);
            c70.intoArray(c, co + 7 * ldc);
            c71.intoArray(c, co + 7 * ldc + LF);
        }
    }

    // ---- RTN quantization kernels: bit-identical to the scalar defaults of VectorMath ----

    private static final jdk.incubator.vector.VectorSpecies<Integer> IF = jdk.incubator.vector.IntVector.SPECIES_PREFERRED
            .withShape(F.vectorShape());
    /** float64 lanes of the full width, and the float32 / int32 species with as many lanes (half the width). */
    private static final jdk.incubator.vector.VectorSpecies<Double> DW = Species.D;
    private static final jdk.incubator.vector.VectorSpecies<Float> FH = jdk.incubator.vector.VectorSpecies.of(float.class,
            jdk.incubator.vector.VectorShape.forBitSize(Species.BITS / 2));
    private static final jdk.incubator.vector.VectorSpecies<Integer> IH = jdk.incubator.vector.VectorSpecies.of(int.class,
            jdk.incubator.vector.VectorShape.forBitSize(Species.BITS / 2));
    /** 1.5·2^52: (v + M) − M rounds v to the nearest integer, ties to even, for |v| ≤ 2^51 (= Math.rint there). */
    private static final double RINT_MAGIC = 0x1.8p52;

    @Override
    public int absBits(float[] x, int xOff, int[] bits, int bOff, int n) {
        int i = 0;
        int upper = IF.loopBound(n);
        IntVector acc = IntVector.zero(IF);
        for (; i < upper; i += LF) {
            IntVector v = FloatVector.fromArray(F, x, xOff + i).reinterpretAsInts().and(0x7FFFFFFF);
            v.intoArray(bits, bOff + i);
            acc = acc.max(v);
        }
        int max = i == 0 ? 0 : acc.reduceLanes(VectorOperators.MAX);
        return Math.max(max, VectorMath.super.absBits(x, xOff + i, bits, bOff + i, n - i));
    }

    @Override
    public int maxAbsBits(float[] x, int xOff, int n) {
        int i = 0;
        int upper = IF.loopBound(n);
        IntVector acc = IntVector.zero(IF);
        for (; i < upper; i += LF) {
            acc = acc.max(FloatVector.fromArray(F, x, xOff + i).reinterpretAsInts().and(0x7FFFFFFF));
        }
        int max = i == 0 ? 0 : acc.reduceLanes(VectorOperators.MAX);
        return Math.max(max, VectorMath.super.maxAbsBits(x, xOff + i, n - i));
    }

    @Override
    public int roundCodes(float[] x, int xOff, double s, int[] codes, int cOff, int[] colMax, int mOff, int thr, int n) {
        int lanes = DW.length();
        int i = 0;
        int count = 0;
        int upper = n - n % lanes;
        for (; i < upper; i += lanes) {
            jdk.incubator.vector.DoubleVector d = (jdk.incubator.vector.DoubleVector) FloatVector.fromArray(FH, x, xOff + i)
                    .convertShape(VectorOperators.F2D, DW, 0);
            d = d.mul(s).add(RINT_MAGIC).sub(RINT_MAGIC);
            IntVector q = (IntVector) d.convertShape(VectorOperators.D2I, IH, 0);
            q.intoArray(codes, cOff + i);
            IntVector a = q.abs();
            IntVector.fromArray(IH, colMax, mOff + i).max(a).intoArray(colMax, mOff + i);
            count += a.compare(VectorOperators.GE, thr).trueCount();
        }
        return count + VectorMath.super.roundCodes(x, xOff + i, s, codes, cOff + i, colMax, mOff + i, thr, n - i);
    }

    @Override
    public long gatherBetween(int[] a, int off, int n, int lo, int hi, int[] out, int outOff) {
        int count = 0;
        int above = 0;
        int i = 0;
        int upper = IF.loopBound(n);
        for (; i < upper; i += IF.length()) {
            IntVector v = IntVector.fromArray(IF, a, off + i);
            VectorMask<Integer> ge = v.compare(VectorOperators.GE, lo);
            VectorMask<Integer> high = v.compare(VectorOperators.GE, hi);
            VectorMask<Integer> m = ge.andNot(high);
            v.compress(m).intoArray(out, outOff + count); // count ≤ i, so count + lanes ≤ n
            count += m.trueCount();
            above += high.trueCount();
        }
        long tail = VectorMath.super.gatherBetween(a, off + i, n - i, lo, hi, out, outOff + count);
        return (above + (tail >>> 32)) << 32 | (count + (int) tail);
    }

    @Override
    public void rescaleRow(float[] c, int cOff, double si, double[] sw, float[] out, int oOff, int n) {
        int lanes = DW.length();
        int j = 0;
        int upper = n - n % lanes;
        for (; j < upper; j += lanes) {
            jdk.incubator.vector.DoubleVector v = (jdk.incubator.vector.DoubleVector) FloatVector.fromArray(FH, c, cOff + j)
                    .convertShape(VectorOperators.F2D, DW, 0);
            jdk.incubator.vector.DoubleVector d = jdk.incubator.vector.DoubleVector.fromArray(DW, sw, j).mul(si);
            ((FloatVector) v.div(d).convertShape(VectorOperators.D2F, FH, 0)).intoArray(out, oOff + j);
        }
        for (; j < n; j++) {
            out[oOff + j] = (float) (c[cOff + j] / (si * sw[j]));
        }
    }
}
