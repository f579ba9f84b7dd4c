package dev.lowbit.numeric;

import java.util.Arrays;

/**
 * A {@link VectorMath} whose {@link #exp}, {@link #gelu} and {@link #softmax} use the low-precision
 * approximations of {@link LowPrecisionMath} for a target format and round their results to it; everything else
 * (LayerNorm, GELU backward, sums, products …) is the base implementation's float32 math. This scalar class
 * defines the bits; lowbit-simd's {@code SimdLowPrecisionMath} reproduces them. Obtain one with
 * {@link VectorMath#withMath(MathPrecision)}.
 *
 * <p>Softmax: m = max x; e_i = round(exp(scale·x_i − scale·m)) (the target's exp), s = Σ e_i in 16 float32
 * partials, p_i = round(e_i·(1/s)) — as if the exp unit and the probabilities fed to the PV product were in the target.
 */
public class LowPrecisionVectorMath implements VectorMath {
    protected final VectorMath base;
    protected final MathPrecision target;
    protected final LowPrecisionMath.Coefficients c;
    /** Whether results are rounded to the target (false only in {@link #unrounded()}, to time the approximations alone). */
    protected final boolean rounds;

    public LowPrecisionVectorMath(VectorMath base, MathPrecision target) {
        this(base, target, true);
    }

    protected LowPrecisionVectorMath(VectorMath base, MathPrecision target, boolean rounds) {
        if (target == MathPrecision.FP32) {
            throw new IllegalArgumentException("fp32 is the base implementation itself");
        }
        this.base = base;
        this.target = target;
        this.c = LowPrecisionMath.coefficients(target);
        this.rounds = rounds;
    }

    public MathPrecision target() {
        return target;
    }

    /**
     * The same approximations with the float32 results left unrounded (for benchmarks: the rounding to the target
     * is a single conversion instruction in hardware with bf16/fp16/fp8 types, but several lane operations here).
     */
    public LowPrecisionVectorMath unrounded() {
        return new LowPrecisionVectorMath(base, target, false);
    }

    /** The target's rounding, or the identity in {@link #unrounded()}. */
    protected final float rnd(float x) {
        return rounds ? LowPrecisionMath.round(x, target) : x;
    }

    @Override
    public String name() {
        return base.name() + "+" + target.label() + (rounds ? "" : "-unrounded");
    }

    @Override
    public int priority() {
        return base.priority();
    }

    @Override
    public VectorMath withMath(MathPrecision p) {
        return base.withMath(p);
    }

    // ------------------------------------------------------------------ the low-precision functions

    @Override
    public void exp(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = rnd(LowPrecisionMath.exp(x[xOff + i], c));
        }
    }

    @Override
    public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = rnd(LowPrecisionMath.gelu(x[xOff + i], c));
        }
    }

    /** {@code y_i = round(erf(x_i))} (not part of {@link VectorMath}; for tests and benchmarks). */
    public void erf(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = rnd(LowPrecisionMath.erf(x[xOff + i], c));
        }
    }

    @Override
    public double softmax(float[] x, int xOff, float scale, float[] y, int yOff, int n) {
        float m = ScalarVectorMath.max(x, xOff, n);
        if (ScalarVectorMath.undefinedSoftmax(m)) {
            Arrays.fill(y, yOff, yOff + n, Float.NaN);
            return Double.NaN;
        }
        float sm = scale * m;
        float[] part = new float[ScalarVectorMath.PARTIALS];
        for (int i = 0; i < n; i++) {
            float e = rnd(LowPrecisionMath.exp(scale * x[xOff + i] - sm, c));
            y[yOff + i] = e;
            part[i & (ScalarVectorMath.PARTIALS - 1)] += e;
        }
        float s = ScalarVectorMath.reduce(part);
        float inv = 1f / s;
        for (int i = 0; i < n; i++) {
            y[yOff + i] = rnd(y[yOff + i] * inv);
        }
        return (double) sm + Math.log(s);
    }

    // ------------------------------------------------------------------ float32, from the base

    @Override
    public void geluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        base.geluBackward(x, xOff, dy, dyOff, dx, dxOff, n);
    }

    @Override
    public void softmaxBackward(float[] p, int pOff, float[] dp, int dpOff, float scale, float[] dx, int dxOff, int n) {
        base.softmaxBackward(p, pOff, dp, dpOff, scale, dx, dxOff, n);
    }

    @Override
    public float layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float eps, float[] y, int yOff, float[] xhat, int xhatOff, int n) {
        return base.layerNorm(x, xOff, gamma, beta, eps, y, yOff, xhat, xhatOff, n);
    }

    @Override
    public void layerNormBackward(float[] g, int gOff, float[] xhat, int xhatOff, float[] gamma, float rstd,
                                  float[] dx, int dxOff, float[] dGamma, float[] dBeta, int n) {
        base.layerNormBackward(g, gOff, xhat, xhatOff, gamma, rstd, dx, dxOff, dGamma, dBeta, n);
    }

    @Override
    public float sum(float[] x, int xOff, int n) {
        return base.sum(x, xOff, n);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return base.dot(a, aOff, b, bOff, n);
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        base.add(a, aOff, b, bOff, y, yOff, n);
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        base.mul(a, aOff, b, bOff, y, yOff, n);
    }

    @Override
    public void fmaInto(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        base.fmaInto(a, aOff, b, bOff, y, yOff, n);
    }

    @Override
    public void scale(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        base.scale(alpha, x, xOff, y, yOff, n);
    }

    @Override
    public void matmul(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int m, int n, int k) {
        base.matmul(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, m, n, k);
    }

    @Override
    public void transpose(float[] src, int sOff, int lds, int rows, int cols, float[] dst, int dOff, int ldd) {
        base.transpose(src, sOff, lds, rows, cols, dst, dOff, ldd);
    }

    @Override
    public int absBits(float[] x, int xOff, int[] bits, int bOff, int n) {
        return base.absBits(x, xOff, bits, bOff, n);
    }

    @Override
    public int maxAbsBits(float[] x, int xOff, int n) {
        return base.maxAbsBits(x, xOff, n);
    }

    @Override
    public int roundCodes(float[] x, int xOff, double s, int[] codes, int cOff, int[] colMax, int mOff, int thr, int n) {
        return base.roundCodes(x, xOff, s, codes, cOff, colMax, mOff, thr, n);
    }

    @Override
    public long gatherBetween(int[] a, int off, int n, int lo, int hi, int[] out, int outOff) {
        return base.gatherBetween(a, off, n, lo, hi, out, outOff);
    }

    @Override
    public void rescaleRow(float[] c, int cOff, double si, double[] sw, float[] out, int oOff, int n) {
        base.rescaleRow(c, cOff, si, sw, out, oOff, n);
    }
}
