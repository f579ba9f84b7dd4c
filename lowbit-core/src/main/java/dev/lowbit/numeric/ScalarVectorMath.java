package dev.lowbit.numeric;

import java.util.Arrays;

/**
 * The reference {@link VectorMath} (name {@code scalar}, priority 0): plain Java, one element at a time. Its
 * per-element operation sequences ({@link #exp(float)}, {@link #gelu(float)}, {@link #geluGrad(float)}) and
 * its 16-partial reductions define the bits every other implementation must reproduce; the constants are
 * public so that vector twins use the very same values.
 */
public final class ScalarVectorMath implements VectorMath {
    /** Partial sums of every reduction (independent of the hardware vector width). */
    public static final int PARTIALS = 16;

    // exp: Cody–Waite reduction with ln 2 = LN2_HI + LN2_LO, magic-number rounding to the nearest integer
    public static final float LOG2E = 1.44269504088896341f;
    public static final float LN2_HI = 0.693147182464599609375f; // float(ln 2)
    public static final float LN2_LO = -1.904654299957768e-09f; // ln 2 − LN2_HI
    /** 1.5·2^23: adding it rounds |v| &lt; 2^22 to an integer (ties to even), which its low mantissa bits hold. */
    public static final float ROUND_MAGIC = 0x1.8p23f;
    public static final int ROUND_MAGIC_BITS = 0x4B400000;
    /** Clamp range of exp's argument: below, e^x rounds to 0; above, to +∞. */
    public static final float EXP_MIN = -104f;
    public static final float EXP_MAX = 89f;
    /** Cephes expf coefficients: e^r ≈ 1 + r + r²·(E0·r⁵ + E1·r⁴ + … + E5), |r| ≤ ln2/2. */
    public static final float E0 = 1.9875691500e-4f;
    public static final float E1 = 1.3981999507e-3f;
    public static final float E2 = 8.3334519073e-3f;
    public static final float E3 = 4.1665795894e-2f;
    public static final float E4 = 1.6666665459e-1f;
    public static final float E5 = 5.0000001201e-1f;

    // GELU: Abramowitz–Stegun 7.1.26 for erfc(u), u = |x|/√2
    public static final float INV_SQRT2 = 0.70710678118654752f;
    public static final float INV_SQRT_2PI = 0.39894228040143268f;
    public static final float AS_P = 0.3275911f;
    public static final float AS_A1 = 0.254829592f;
    public static final float AS_A2 = -0.284496736f;
    public static final float AS_A3 = 1.421413741f;
    public static final float AS_A4 = -1.453152027f;
    public static final float AS_A5 = 1.061405429f;

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int priority() {
        return 0;
    }

    // ------------------------------------------------------------------ per-element definitions

    /** e^x by the operation sequence of {@link VectorMath#exp}. */
    public static float exp(float x) {
        float c = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float s = c * LOG2E + ROUND_MAGIC;
        float nf = s - ROUND_MAGIC;
        int n = Float.floatToRawIntBits(s) - ROUND_MAGIC_BITS;
        float r = Math.fma(nf, -LN2_HI, c);
        r = Math.fma(nf, -LN2_LO, r);
        float p = Math.fma(E0, r, E1);
        p = Math.fma(p, r, E2);
        p = Math.fma(p, r, E3);
        p = Math.fma(p, r, E4);
        p = Math.fma(p, r, E5);
        float z = r * r;
        p = Math.fma(p, z, r);
        p = p + 1f;
        int n1 = n >> 1;
        int n2 = n - n1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /** t·(a1 + t·(a2 + … + t·a5)) with t = 1/(1 + p·u): erfc(u) ≈ that · e^(−u²) (Abramowitz–Stegun 7.1.26). */
    public static float erfcPoly(float u) {
        float t = 1f / Math.fma(AS_P, u, 1f);
        float poly = Math.fma(t, AS_A5, AS_A4);
        poly = Math.fma(t, poly, AS_A3);
        poly = Math.fma(t, poly, AS_A2);
        poly = Math.fma(t, poly, AS_A1);
        return t * poly;
    }

    /** Φ(x) = ½(1 + erf(x/√2)) = ½·erfc(u) for x &lt; 0, 1 − ½·erfc(u) otherwise (u = |x|/√2). */
    public static float phi(float x) {
        float u = Math.abs(x) * INV_SQRT2;
        float q = 0.5f * (erfcPoly(u) * exp(-(u * u)));
        return x >= 0f ? 1f - q : q;
    }

    /** GELU(x) = x·Φ(x) by the operation sequence of {@link VectorMath#gelu}. */
    public static float gelu(float x) {
        return x * phi(x);
    }

    /** GELU'(x) = Φ(x) + x·φ(x) = {@code fma(x, e^(−u²)·(1/√(2π)), Φ(x))}, e^(−u²) shared with Φ. */
    public static float geluGrad(float x) {
        float u = Math.abs(x) * INV_SQRT2;
        float e = exp(-(u * u));
        float q = 0.5f * (erfcPoly(u) * e);
        float cdf = x >= 0f ? 1f - q : q;
        return Math.fma(x, e * INV_SQRT_2PI, cdf);
    }

    /** Sums 16 partials in index order. */
    public static float reduce(float[] partials) {
        float s = partials[0];
        for (int i = 1; i < PARTIALS; i++) {
            s += partials[i];
        }
        return s;
    }

    /** 1/√(var + eps) of LayerNorm, computed once per row (shared by all implementations). */
    public static float rstd(float var, float eps) {
        return 1f / (float) Math.sqrt(var + eps);
    }

    // ------------------------------------------------------------------ array operations

    @Override
    public void exp(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = exp(x[xOff + i]);
        }
    }

    @Override
    public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = gelu(x[xOff + i]);
        }
    }

    @Override
    public void geluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        for (int i = 0; i < n; i++) {
            dx[dxOff + i] = Math.fma(dy[dyOff + i], geluGrad(x[xOff + i]), dx[dxOff + i]);
        }
    }

    /** max_i x_i with Math.max semantics (NaN wins), −∞ for n = 0. */
    static float max(float[] x, int xOff, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[xOff + i]);
        }
        return m;
    }

    /** Whether a row maximum leaves the softmax undefined (NaN, +∞, or a row of only −∞). */
    public static boolean undefinedSoftmax(float max) {
        return !(max > Float.NEGATIVE_INFINITY && max < Float.POSITIVE_INFINITY);
    }

    @Override
    public double softmax(float[] x, int xOff, float scale, float[] y, int yOff, int n) {
        float m = max(x, xOff, n);
        if (undefinedSoftmax(m)) {
            Arrays.fill(y, yOff, yOff + n, Float.NaN);
            return Double.NaN;
        }
        float sm = scale * m;
        float[] part = new float[PARTIALS];
        for (int i = 0; i < n; i++) {
            float e = exp(scale * x[xOff + i] - sm);
            y[yOff + i] = e;
            part[i & (PARTIALS - 1)] += e;
        }
        float s = reduce(part);
        float inv = 1f / s;
        for (int i = 0; i < n; i++) {
            y[yOff + i] *= inv;
        }
        return (double) sm + Math.log(s);
    }

    @Override
    public void softmaxBackward(float[] p, int pOff, float[] dp, int dpOff, float scale, float[] dx, int dxOff, int n) {
        float dot = dot(p, pOff, dp, dpOff, n);
        for (int i = 0; i < n; i++) {
            dx[dxOff + i] = (p[pOff + i] * (dp[dpOff + i] - dot)) * scale;
        }
    }

    @Override
    public float layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float eps, float[] y, int yOff,
                           float[] xhat, int xhatOff, int n) {
        float mean = sum(x, xOff, n) / n;
        float[] part = new float[PARTIALS];
        for (int i = 0; i < n; i++) {
            float d = x[xOff + i] - mean;
            part[i & (PARTIALS - 1)] = Math.fma(d, d, part[i & (PARTIALS - 1)]);
        }
        float r = rstd(reduce(part) / n, eps);
        for (int i = 0; i < n; i++) {
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
            float[] sd = new float[PARTIALS];
            float[] sdx = new float[PARTIALS];
            for (int i = 0; i < n; i++) {
                float d = g[gOff + i] * gamma[i];
                sd[i & (PARTIALS - 1)] += d;
                sdx[i & (PARTIALS - 1)] = Math.fma(d, xhat[xhatOff + i], sdx[i & (PARTIALS - 1)]);
            }
            float mD = reduce(sd) / n;
            float mDx = reduce(sdx) / n;
            for (int i = 0; i < n; i++) {
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

    @Override
    public float sum(float[] x, int xOff, int n) {
        float[] part = new float[PARTIALS];
        for (int i = 0; i < n; i++) {
            part[i & (PARTIALS - 1)] += x[xOff + i];
        }
        return reduce(part);
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float[] part = new float[PARTIALS];
        for (int i = 0; i < n; i++) {
            part[i & (PARTIALS - 1)] = Math.fma(a[aOff + i], b[bOff + i], part[i & (PARTIALS - 1)]);
        }
        return reduce(part);
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    @Override
    public void fmaInto(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a[aOff + i], b[bOff + i], y[yOff + i]);
        }
    }

    @Override
    public void scale(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = alpha * x[xOff + i];
        }
    }

    @Override
    public void matmul(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    acc = Math.fma(a[aOff + i * lda + p], b[bOff + p * ldb + j], acc);
                }
                c[cOff + i * ldc + j] = acc;
            }
        }
    }
}
