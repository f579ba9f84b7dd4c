package dev.lowbit.simd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.numeric.ScalarVectorMath;
import dev.lowbit.numeric.VectorMath;
import dev.lowbit.numeric.VectorMaths;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SimdVectorMath} against its scalar twin {@link ScalarVectorMath}: equal bits on random and edge inputs,
 * every length 0..70 and some longer, at the width this JVM runs (the pom runs 512/256/128 bits).
 */
class SimdVectorMathTest {
    static final VectorMath SIMD = new SimdVectorMath();
    static final VectorMath SCALAR = new ScalarVectorMath();
    static final int[] LENGTHS = lengths();
    static final float[] EDGES = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-40f, -1e-40f, Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -1e30f,
        88.72f, 88.73f, -87.3f, -103.9f, -104.1f, 0.34657359f, -0.34657359f, 5.5f, -5.5f, 20f, -20f, 1e-8f, -1e-8f};

    static int[] lengths() {
        int[] l = new int[71 + 6];
        for (int i = 0; i <= 70; i++) {
            l[i] = i;
        }
        int[] more = {127, 128, 129, 384, 1000, 1536};
        System.arraycopy(more, 0, l, 71, more.length);
        return l;
    }

    /** Gaussian values of the given spread, with edge values sprinkled in when {@code edges}. */
    static float[] data(int n, double spread, boolean edges, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = edges && r.nextInt(4) == 0 ? EDGES[r.nextInt(EDGES.length)] : (float) (r.nextGaussian() * spread);
        }
        return x;
    }

    @Test
    void theLoaderPrefersSimd() {
        assertThat(VectorMaths.preferred().name()).isEqualTo("simd");
        assertThat(VectorMaths.all()).extracting(VectorMath::name).containsExactly("simd", "scalar");
    }

    @Test
    void elementWiseOpsAreBitIdentical() {
        long seed = 1;
        for (int n : LENGTHS) {
            for (boolean edges : new boolean[] {false, true}) {
                for (double spread : new double[] {1, 30}) {
                    int off = n % 3;
                    float[] x = data(n + off, spread, edges, seed++);
                    float[] b = data(n + off, spread, edges, seed++);
                    float[] y0 = data(n + 2, 1, false, seed);
                    float[] y1 = y0.clone();
                    String what = "n " + n + " edges " + edges + " spread " + spread;
                    SCALAR.exp(x, off, y0, 2, n);
                    SIMD.exp(x, off, y1, 2, n);
                    assertArrayEquals(y0, y1, "exp " + what);
                    SCALAR.gelu(x, off, y0, 2, n);
                    SIMD.gelu(x, off, y1, 2, n);
                    assertArrayEquals(y0, y1, "gelu " + what);
                    SCALAR.geluBackward(x, off, b, off, y0, 2, n);
                    SIMD.geluBackward(x, off, b, off, y1, 2, n);
                    assertArrayEquals(y0, y1, "geluBackward " + what);
                    SCALAR.add(x, off, b, off, y0, 2, n);
                    SIMD.add(x, off, b, off, y1, 2, n);
                    assertArrayEquals(y0, y1, "add " + what);
                    SCALAR.mul(x, off, b, off, y0, 2, n);
                    SIMD.mul(x, off, b, off, y1, 2, n);
                    assertArrayEquals(y0, y1, "mul " + what);
                    SCALAR.fmaInto(x, off, b, off, y0, 2, n);
                    SIMD.fmaInto(x, off, b, off, y1, 2, n);
                    assertArrayEquals(y0, y1, "fmaInto " + what);
                    SCALAR.scale(0.3f, x, off, y0, 2, n);
                    SIMD.scale(0.3f, x, off, y1, 2, n);
                    assertArrayEquals(y0, y1, "scale " + what);
                }
            }
        }
    }

    @Test
    void everyExpArgumentRegionIsBitIdentical() {
        // a dense sweep over the whole clamp range and beyond
        int n = 200_003;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -110f + 205f * i / n;
        }
        float[] y0 = new float[n];
        float[] y1 = new float[n];
        SCALAR.exp(x, 0, y0, 0, n);
        SIMD.exp(x, 0, y1, 0, n);
        assertArrayEquals(y0, y1);
        for (int i = 0; i < n; i++) {
            x[i] = -14f + 28f * i / n;
        }
        SCALAR.gelu(x, 0, y0, 0, n);
        SIMD.gelu(x, 0, y1, 0, n);
        assertArrayEquals(y0, y1);
    }

    @Test
    void reductionsAreBitIdentical() {
        long seed = 100;
        for (int n : LENGTHS) {
            for (boolean edges : new boolean[] {false, true}) {
                int off = n % 5;
                float[] a = data(n + off, 10, edges, seed++);
                float[] b = data(n + off, 10, edges, seed++);
                String what = "n " + n + " edges " + edges;
                assertEquals(Float.floatToIntBits(SCALAR.sum(a, off, n)), Float.floatToIntBits(SIMD.sum(a, off, n)), "sum " + what);
                assertEquals(Float.floatToIntBits(SCALAR.dot(a, off, b, off, n)), Float.floatToIntBits(SIMD.dot(a, off, b, off, n)),
                        "dot " + what);
            }
        }
    }

    @Test
    void softmaxForwardAndBackwardAreBitIdentical() {
        long seed = 200;
        for (int n : LENGTHS) {
            for (boolean edges : new boolean[] {false, true}) {
                for (float scale : new float[] {1f, 0.17677669f}) {
                    int off = n % 4;
                    float[] x = data(n + off, 5, edges, seed++);
                    if (edges && n > 3) {
                        x[off + 1] = Float.NEGATIVE_INFINITY; // masked entries, most rows stay defined
                        for (int i = off; i < x.length; i++) {
                            if (Float.isNaN(x[i]) || x[i] == Float.POSITIVE_INFINITY) {
                                x[i] = seed % 3 == 0 ? x[i] : 0f;
                            }
                        }
                    }
                    float[] y0 = new float[n + 1];
                    float[] y1 = new float[n + 1];
                    String what = "n " + n + " edges " + edges + " scale " + scale;
                    double l0 = SCALAR.softmax(x, off, scale, y0, 1, n);
                    double l1 = SIMD.softmax(x, off, scale, y1, 1, n);
                    assertArrayEquals(y0, y1, "softmax " + what);
                    assertEquals(Double.doubleToLongBits(l0), Double.doubleToLongBits(l1), "lse " + what);
                    float[] dp = data(n + 1, 1, false, seed++);
                    float[] d0 = new float[n + 2];
                    float[] d1 = new float[n + 2];
                    SCALAR.softmaxBackward(y0, 1, dp, 1, scale, d0, 2, n);
                    SIMD.softmaxBackward(y0, 1, dp, 1, scale, d1, 2, n);
                    assertArrayEquals(d0, d1, "softmaxBackward " + what);
                    // in place
                    float[] z = x.clone();
                    SIMD.softmax(z, off, scale, z, off, n);
                    assertArrayEquals(Arrays.copyOfRange(y0, 1, n + 1), Arrays.copyOfRange(z, off, off + n), "in place " + what);
                }
            }
        }
    }

    @Test
    void layerNormForwardAndBackwardAreBitIdentical() {
        long seed = 300;
        for (int n : LENGTHS) {
            if (n == 0) {
                continue;
            }
            for (boolean edges : new boolean[] {false, true}) {
                int off = n % 3;
                float[] x = data(n + off, 3, edges, seed++);
                float[] gamma = data(n, 1, false, seed++);
                float[] beta = data(n, 1, false, seed++);
                float[] g = data(n + off, 1, edges, seed++);
                float[] y0 = new float[n + off];
                float[] y1 = new float[n + off];
                float[] h0 = new float[n + 1];
                float[] h1 = new float[n + 1];
                String what = "n " + n + " edges " + edges;
                float r0 = SCALAR.layerNorm(x, off, gamma, beta, 1e-12f, y0, off, h0, 1, n);
                float r1 = SIMD.layerNorm(x, off, gamma, beta, 1e-12f, y1, off, h1, 1, n);
                assertEquals(Float.floatToIntBits(r0), Float.floatToIntBits(r1), "rstd " + what);
                assertArrayEquals(y0, y1, "layerNorm " + what);
                assertArrayEquals(h0, h1, "xhat " + what);
                float[] dx0 = data(n + 2, 1, false, seed);
                float[] dx1 = dx0.clone();
                float[] dg0 = data(n, 1, false, seed + 1);
                float[] dg1 = dg0.clone();
                float[] db0 = data(n, 1, false, seed + 2);
                float[] db1 = db0.clone();
                SCALAR.layerNormBackward(g, off, h0, 1, gamma, r0, dx0, 2, dg0, db0, n);
                SIMD.layerNormBackward(g, off, h0, 1, gamma, r0, dx1, 2, dg1, db1, n);
                assertArrayEquals(dx0, dx1, "dx " + what);
                assertArrayEquals(dg0, dg1, "dGamma " + what);
                assertArrayEquals(db0, db1, "dBeta " + what);
                // in place, without x̂
                float[] z = x.clone();
                SIMD.layerNorm(z, off, gamma, beta, 1e-12f, z, off, null, 0, n);
                assertArrayEquals(Arrays.copyOfRange(y0, off, off + n), Arrays.copyOfRange(z, off, off + n), "in place " + what);
            }
        }
    }

    @Test
    void matmulIsBitIdenticalOnEdgeShapes() {
        long seed = 400;
        int[][] shapes = {{1, 1, 1}, {0, 5, 3}, {5, 0, 3}, {3, 4, 0}, {4, 64, 32}, {5, 70, 9}, {7, 33, 17}, {128, 128, 32},
            {128, 32, 128}, {9, 17, 65}, {3, 150, 2}, {13, 48, 5}};
        for (int[] s : shapes) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            int lda = k + 3;
            int ldb = n + 1;
            int ldc = n + 2;
            float[] a = data(1 + m * lda, 1, false, seed++);
            float[] b = data(2 + k * ldb, 1, false, seed++);
            if (m > 0 && k > 0) {
                a[1] = Float.NaN;
                b[2 + (k - 1) * ldb] = Float.POSITIVE_INFINITY;
            }
            float[] c0 = data(3 + Math.max(m, 1) * ldc, 1, false, seed);
            float[] c1 = c0.clone();
            SCALAR.matmul(a, 1, lda, b, 2, ldb, c0, 3, ldc, m, n, k);
            SIMD.matmul(a, 1, lda, b, 2, ldb, c1, 3, ldc, m, n, k);
            assertArrayEquals(c0, c1, Arrays.toString(s));
        }
    }
}
