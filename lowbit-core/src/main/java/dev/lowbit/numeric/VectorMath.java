package dev.lowbit.numeric;

/**
 * Element-wise and row-wise float32 math of Transformer layers (the non-GEMM parts): exp, the erf GELU and
 * its derivative, row softmax and its backward, LayerNorm rows forward and backward, sums, dot products,
 * a small NN matrix product for per-head attention, and add/mul/fma/scale over arrays. Implementations
 * are found through {@link java.util.ServiceLoader} ({@link VectorMaths}); the scalar one in lowbit-core
 * ({@link ScalarVectorMath}) defines the results, the Vector API one in lowbit-simd reproduces them.
 *
 * <p><b>Contract: every implementation returns the same bits.</b> Each output element is computed by the
 * float32 operation sequence written down in {@link ScalarVectorMath} (the same multiplies, adds and
 * {@code fma}s in the same order; no float64 intermediates in element-wise work), and reductions use a fixed
 * order that does not depend on the hardware vector width: element {@code i} of a row goes to partial sum
 * {@code i mod 16}, the partials are accumulated in ascending {@code i} and then summed {@code 0..15} in order.
 * So results are bit-identical across implementations, vector widths, machines and thread counts.
 *
 * <p>All arrays are addressed as {@code (array, offset)} pairs with a length {@code n}; an output range may
 * coincide with an input range (in-place), but must not partially overlap it.
 */
public interface VectorMath {
    /** Short name (e.g. {@code scalar}, {@code simd}); {@code -Dlowbit.vectorMath=NAME} selects one. */
    String name();

    /** Higher wins when no name is forced. */
    int priority();

    /**
     * This implementation with {@link #exp}, {@link #gelu} and {@link #softmax} computed by the shorter
     * approximations designed for {@code p} and rounded to it ({@link LowPrecisionVectorMath}); {@code fp32}
     * returns the float32 implementation itself. Everything else stays float32.
     */
    default VectorMath withMath(MathPrecision p) {
        return p == MathPrecision.FP32 ? this : new LowPrecisionVectorMath(this, p);
    }

    /**
     * {@code y[i] = e^x[i]}: Cody–Waite range reduction {@code x = n·ln2 + r}, |r| ≤ ln2/2, a degree-7
     * polynomial for e^r, scaling by 2^n in two exact steps (so subnormal results are rounded once). Error ≤ 2 ulp
     * (test-checked against float64); e^x = +∞ above 88.7228, 0 below −103.98, NaN stays NaN.
     */
    void exp(float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * The erf GELU {@code y = x·Φ(x)}, {@code Φ(x) = ½(1 + erf(x/√2))}. With u = |x|/√2 and Abramowitz–Stegun 7.1.26,
     * {@code ½·erfc(u) ≈ ½·t·(a1 + t·(a2 + … + t·a5))·e^(−u²)}, {@code t = 1/(1 + p·u)}, Φ(x) is that for x &lt; 0
     * and 1 minus it otherwise (so the tail x ≪ 0 is not lost to cancellation). Absolute error of Φ ≤ 3e-7
     * (float32 evaluation; measured max 2.8e-7), of GELU ≤ 2e-7·max(1, |x|), of GELU' ≤ 4e-7.
     * GELU(−∞) is NaN (−∞·0).
     */
    void gelu(float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code dx[i] += dy[i]·GELU'(x[i])}, {@code GELU'(x) = Φ(x) + x·φ(x)}, φ(x) = e^(−x²/2)/√(2π) (the same e^(−u²)). */
    void geluBackward(float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff, int n);

    /**
     * Row softmax of {@code scale·x} in two passes: m = max x (NaN if any is NaN); e_i = exp(scale·x_i − scale·m)
     * written to y while their sum s is accumulated (16 partials); then {@code y_i = e_i·(1/s)}. Requires
     * scale &gt; 0. A row with a NaN or +∞, or only −∞ (or n = 0) gives NaN everywhere.
     *
     * @return log Σ_i e^(scale·x_i) = scale·m + ln s (float64 of those float32 values), for cross-entropy
     */
    double softmax(float[] x, int xOff, float scale, float[] y, int yOff, int n);

    /** Softmax backward: {@code dx_i = (p_i·(dp_i − Σ_j p_j·dp_j))·scale} (overwrites dx; the dot in 16 fma partials). */
    void softmaxBackward(float[] p, int pOff, float[] dp, int dpOff, float scale, float[] dx, int dxOff, int n);

    /**
     * LayerNorm of one row (biased variance): μ = Σx/n, σ² = Σ(x−μ)²/n (16 partials each), r = 1/√(σ² + eps),
     * x̂_i = (x_i − μ)·r, {@code y_i = fma(x̂_i, γ_i, β_i)}. Writes x̂ too when {@code xhat} is not null.
     *
     * @return r (the reciprocal standard deviation, for the backward pass)
     */
    float layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float eps, float[] y, int yOff, float[] xhat, int xhatOff, int n);

    /**
     * LayerNorm backward of one row given x̂ and r: with d_i = g_i·γ_i, {@code dx_i += r·(d_i − mean(d) − x̂_i·mean(d∘x̂))}
     * (when dx is not null), {@code dγ_i += g_i·x̂_i} and {@code dβ_i += g_i} (each when not null; offset 0).
     */
    void layerNormBackward(float[] g, int gOff, float[] xhat, int xhatOff, float[] gamma, float rstd,
                           float[] dx, int dxOff, float[] dGamma, float[] dBeta, int n);

    /** Σ x_i in 16 partials (element i into partial i mod 16), partials summed in order. */
    float sum(float[] x, int xOff, int n);

    /** Σ a_i·b_i with {@code fma} into 16 partials, as {@link #sum}. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** {@code y_i = a_i + b_i}. */
    void add(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n);

    /** {@code y_i = a_i·b_i}. */
    void mul(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n);

    /** {@code y_i = fma(a_i, b_i, y_i)} (y += a∘b with one rounding). */
    void fmaInto(float[] a, int aOff, float[] b, int bOff, float[] y, int yOff, int n);

    /** {@code y_i = alpha·x_i}. */
    void scale(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * Small row-major NN product {@code C = A·B} (A m×k with row stride lda, B k×n with row stride ldb, C m×n with
     * row stride ldc; C overwritten): every {@code C_ij} is the fma chain {@code acc = fma(A_ip, B_pj, acc)} over
     * p = 0..k−1 from acc = 0 — an order that does not depend on tiling or width. Meant for per-head attention
     * products (k and n up to a few hundred); C must not overlap A or B.
     */
    void matmul(float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, int m, int n, int k);

    /**
     * Transposed copy: {@code dst[dOff + c·ldd + r] = src[sOff + r·lds + c]} for r &lt; rows, c &lt; cols (exact; any
     * blocking gives the same bits). The default is cache-blocked scalar code: 32-column blocks, 8 source rows
     * per pass so every destination write is a run of 8 consecutive floats.
     */
    default void transpose(float[] src, int sOff, int lds, int rows, int cols, float[] dst, int dOff, int ldd) {
        for (int c0 = 0; c0 < cols; c0 += 32) {
            int c1 = Math.min(cols, c0 + 32);
            int r = 0;
            for (; r + 8 <= rows; r += 8) {
                int s0 = sOff + r * lds;
                int s1 = s0 + lds;
                int s2 = s1 + lds;
                int s3 = s2 + lds;
                int s4 = s3 + lds;
                int s5 = s4 + lds;
                int s6 = s5 + lds;
                int s7 = s6 + lds;
                for (int c = c0; c < c1; c++) {
                    int d = dOff + c * ldd + r;
                    dst[d] = src[s0 + c];
                    dst[d + 1] = src[s1 + c];
                    dst[d + 2] = src[s2 + c];
                    dst[d + 3] = src[s3 + c];
                    dst[d + 4] = src[s4 + c];
                    dst[d + 5] = src[s5 + c];
                    dst[d + 6] = src[s6 + c];
                    dst[d + 7] = src[s7 + c];
                }
            }
            for (; r < rows; r++) {
                int s0 = sOff + r * lds;
                for (int c = c0; c < c1; c++) {
                    dst[dOff + c * ldd + r] = src[s0 + c];
                }
            }
        }
    }

    // ---- RTN quantization kernels (RtnQuantizer.quantizeIntRows); the defaults are the scalar reference ----

    /**
     * {@code bits[bOff + i] = floatToRawIntBits(x[xOff + i]) & 0x7FFFFFFF} (the raw bits of |x|, whose int order is
     * the float order for non-NaN values); returns their maximum (0 when n = 0), which exceeds the bits of
     * {@code Float.MAX_VALUE} iff some entry is NaN or infinite.
     */
    default int absBits(float[] x, int xOff, int[] bits, int bOff, int n) {
        int max = 0;
        for (int i = 0; i < n; i++) {
            int b = Float.floatToRawIntBits(x[xOff + i]) & 0x7FFFFFFF;
            bits[bOff + i] = b;
            max = Math.max(max, b);
        }
        return max;
    }

    /** The maximum of {@link #absBits} without storing the bits (the absmax scale needs only it). */
    default int maxAbsBits(float[] x, int xOff, int n) {
        int max = 0;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, Float.floatToRawIntBits(x[xOff + i]) & 0x7FFFFFFF);
        }
        return max;
    }

    /**
     * RTN codes of one row: {@code codes[cOff + i] = (int) Math.rint(x[xOff + i] · s)} (the product in float64),
     * {@code colMax[mOff + i] = max(colMax[mOff + i], |code|)}; returns the number of codes with |code| ≥ {@code thr} (thr ≥ 0). The
     * caller guarantees {@code |x·s| ≤ 2^30 + 1/2} for every entry (so every code fits, and float64 rounding by adding
     * and subtracting 1.5·2^52 equals {@code Math.rint}).
     */
    default int roundCodes(float[] x, int xOff, double s, int[] codes, int cOff, int[] colMax, int mOff, int thr, int n) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            int q = (int) Math.rint(x[xOff + i] * s);
            codes[cOff + i] = q;
            int a = Math.abs(q);
            colMax[mOff + i] = Math.max(colMax[mOff + i], a);
            count += a >= thr ? 1 : 0;
        }
        return count;
    }

    /**
     * One pass of a bracketed selection: copies the entries v of {@code a[off..off+n)} with {@code lo ≤ v < hi}, in
     * order, to {@code out[outOff..]} (room for n entries) and returns {@code (number of v ≥ hi) << 32 | (number copied)}.
     */
    default long gatherBetween(int[] a, int off, int n, int lo, int hi, int[] out, int outOff) {
        int count = 0;
        int above = 0;
        for (int i = 0; i < n; i++) {
            int v = a[off + i];
            out[outOff + count] = v;
            count += v >= lo && v < hi ? 1 : 0;
            above += v >= hi ? 1 : 0;
        }
        return (long) above << 32 | count;
    }

    /**
     * The rescale of an exact integer GEMM result held in float32: {@code out[oOff + j] = (float) (c[cOff + j] / (si · sw[j]))}
     * in float64 (the product si·sw[j], then the quotient, then one rounding to float32).
     */
    default void rescaleRow(float[] c, int cOff, double si, double[] sw, float[] out, int oOff, int n) {
        for (int j = 0; j < n; j++) {
            out[oOff + j] = (float) (c[cOff + j] / (si * sw[j]));
        }
    }
}
