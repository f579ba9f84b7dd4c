package dev.lowbit.numeric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Accuracy of the reference {@link VectorMath} against float64 (the vector twin is tested for equal bits in lowbit-simd). */
class ScalarVectorMathTest {
    static final VectorMath VM = new ScalarVectorMath();

    /** |got − exact| in units of the float ulp of the exact value (subnormal ulps below 2^−126). */
    static double ulps(float got, double exact) {
        return Math.abs(got - exact) / Math.ulp((float) exact);
    }

    @Test
    void expIsWithinTwoUlpsEverywhere() {
        SplittableRandom r = new SplittableRandom(1);
        double worst = 0;
        for (int i = 0; i < 400_000; i++) {
            float x = (float) (-104 + 193 * r.nextDouble());
            double exact = Math.exp(x);
            float got = ScalarVectorMath.exp(x);
            if (exact < Float.MIN_NORMAL) {
                // subnormal results: one rounding of the scaled value, so within one subnormal ulp
                assertThat(Math.abs(got - exact)).as("exp(%s)", x).isLessThanOrEqualTo(1.0001 * Float.MIN_VALUE);
                continue;
            }
            if (exact > Float.MAX_VALUE) {
                assertThat(got).as("exp(%s)", x).isEqualTo(Float.POSITIVE_INFINITY);
                continue;
            }
            worst = Math.max(worst, ulps(got, exact));
        }
        assertThat(worst).isLessThanOrEqualTo(2.0);
        // small arguments, where most softmax inputs lie
        for (int i = 0; i < 100_000; i++) {
            float x = (float) (-20 * r.nextDouble());
            assertThat(ulps(ScalarVectorMath.exp(x), Math.exp(x))).as("exp(%s)", x).isLessThanOrEqualTo(2.0);
        }
    }

    @Test
    void expEdgeValues() {
        assertThat(ScalarVectorMath.exp(0f)).isEqualTo(1f);
        assertThat(ScalarVectorMath.exp(-0f)).isEqualTo(1f);
        assertThat(ScalarVectorMath.exp(Float.NaN)).isNaN();
        assertThat(ScalarVectorMath.exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ScalarVectorMath.exp(Float.NEGATIVE_INFINITY)).isEqualTo(0f);
        assertThat(ScalarVectorMath.exp(88.72f)).isEqualTo((float) Math.exp(88.72f));
        assertThat(ScalarVectorMath.exp(88.73f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ScalarVectorMath.exp(-1e30f)).isEqualTo(0f);
        assertThat(ScalarVectorMath.exp(1e30f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ScalarVectorMath.exp(Float.MIN_VALUE)).isEqualTo(1f);
        assertThat(ScalarVectorMath.exp(-100f)).isEqualTo((float) Math.exp(-100));
        assertThat(ScalarVectorMath.exp(-103.5f)).isEqualTo((float) Math.exp(-103.5));
    }

    @Test
    void geluIsWithinThreeTenthsOfAMillionthTimesX() {
        for (double xd = -12; xd <= 12; xd += 1e-4) {
            float x = (float) xd;
            double exact = x * Erf.phi(x);
            float got = ScalarVectorMath.gelu(x);
            assertThat((double) got).as("gelu(%s)", x).isCloseTo(exact, within(3e-7 * Math.max(1, Math.abs(x))));
            assertThat((double) ScalarVectorMath.phi(x)).as("phi(%s)", x).isCloseTo(Erf.phi(x), within(3e-7));
        }
        // the tail keeps its sign and size (no cancellation): Φ(−5) = 2.8665e-7
        assertThat((double) ScalarVectorMath.phi(-5f)).isCloseTo(2.866515718791939e-7, within(2e-8));
        assertThat(ScalarVectorMath.gelu(0f)).isZero();
        assertThat(Float.floatToRawIntBits(ScalarVectorMath.gelu(-0f))).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(ScalarVectorMath.gelu(10f)).isEqualTo(10f);
        assertThat(ScalarVectorMath.gelu(-30f)).isEqualTo(-0f);
        assertThat(ScalarVectorMath.gelu(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(ScalarVectorMath.gelu(Float.NaN)).isNaN();
        assertThat(ScalarVectorMath.gelu(3e38f)).isEqualTo(3e38f);
    }

    @Test
    void geluGradientMatchesFloat64() {
        for (double xd = -12; xd <= 12; xd += 1e-4) {
            float x = (float) xd;
            double exact = Erf.phi(x) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
            assertThat((double) ScalarVectorMath.geluGrad(x)).as("gelu'(%s)", x).isCloseTo(exact, within(4e-7));
        }
        float[] x = {-1f, 0f, 2f};
        float[] dx = {1f, 1f, 1f};
        VM.geluBackward(x, 0, new float[] {2f, 2f, 2f}, 0, dx, 0, 3);
        assertThat(dx[1]).isEqualTo(2f); // 1 + 2·GELU'(0) = 1 + 2·½
        assertThat((double) dx[2]).isCloseTo(1 + 2 * (Erf.phi(2) + 2 * Math.exp(-2) / Math.sqrt(2 * Math.PI)), within(1e-6));
    }

    @Test
    void softmaxMatchesFloat64() {
        SplittableRandom r = new SplittableRandom(2);
        for (int n : new int[] {1, 2, 15, 16, 17, 100, 128, 1000}) {
            for (float scale : new float[] {1f, 0.17677669f, 3f}) {
                float[] x = new float[n + 3];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (r.nextGaussian() * 4);
                }
                float[] y = new float[n + 5];
                double lse = VM.softmax(x, 3, scale, y, 5, n);
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    max = Math.max(max, (double) scale * x[3 + i]);
                }
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += Math.exp((double) scale * x[3 + i] - max);
                }
                double total = 0;
                for (int i = 0; i < n; i++) {
                    double exact = Math.exp((double) scale * x[3 + i] - max) / sum;
                    assertThat((double) y[5 + i]).as("n %d i %d", n, i).isCloseTo(exact, within(exact * (4e-7 + 0x1p-23 * (Math.abs(scale * x[3 + i]) + Math.abs(max)))));
                    total += y[5 + i];
                }
                assertThat(total).isCloseTo(1.0, within(1e-5));
                assertThat(lse).isCloseTo(max + Math.log(sum), within(1e-5 * Math.max(1, Math.abs(lse))));
            }
        }
    }

    @Test
    void softmaxEdgeRows() {
        float ninf = Float.NEGATIVE_INFINITY;
        float[] y = new float[3];
        VM.softmax(new float[] {0f, ninf, 0f}, 0, 1f, y, 0, 3);
        assertThat(y).containsExactly(0.5f, 0f, 0.5f);
        for (float[] bad : new float[][] {{ninf, ninf, ninf}, {1f, Float.NaN, 0f}, {1f, Float.POSITIVE_INFINITY, 0f}}) {
            assertThat(VM.softmax(bad, 0, 1f, y, 0, 3)).isNaN();
            assertThat(y).containsOnly(Float.NaN);
        }
        VM.softmax(new float[] {3e38f, 0f, -3e38f}, 0, 1f, y, 0, 3);
        assertThat(y).containsExactly(1f, 0f, 0f);
        float[] same = {2f, 2f};
        VM.softmax(same, 0, 1f, same, 0, 2); // in place
        assertThat(same).containsExactly(0.5f, 0.5f);
    }

    @Test
    void softmaxBackwardMatchesFloat64() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 37;
        float[] x = new float[n];
        float[] dp = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
            dp[i] = (float) r.nextGaussian();
        }
        float[] p = new float[n];
        VM.softmax(x, 0, 1f, p, 0, n);
        float[] dx = new float[n];
        VM.softmaxBackward(p, 0, dp, 0, 0.5f, dx, 0, n);
        double dot = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) p[i] * dp[i];
        }
        for (int i = 0; i < n; i++) {
            assertThat((double) dx[i]).isCloseTo(p[i] * (dp[i] - dot) * 0.5, within(1e-6));
        }
    }

    @Test
    void layerNormForwardAndBackwardMatchFloat64() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : new int[] {1, 7, 16, 33, 384}) {
            float[] x = new float[n];
            float[] gamma = new float[n];
            float[] beta = new float[n];
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) (3 + r.nextGaussian() * 2);
                gamma[i] = (float) (1 + 0.1 * r.nextGaussian());
                beta[i] = (float) r.nextGaussian();
                g[i] = (float) r.nextGaussian();
            }
            float[] y = new float[n];
            float[] xhat = new float[n];
            float rstd = VM.layerNorm(x, 0, gamma, beta, 1e-5f, y, 0, xhat, 0, n);
            double mean = 0;
            for (float v : x) {
                mean += v;
            }
            mean /= n;
            double var = 0;
            for (float v : x) {
                var += (v - mean) * (v - mean);
            }
            var /= n;
            double rs = 1 / Math.sqrt(var + 1e-5);
            assertThat((double) rstd).isCloseTo(rs, within(1e-6 * rs));
            double sd = 0;
            double sdx = 0;
            for (int i = 0; i < n; i++) {
                double h = (x[i] - mean) * rs;
                assertThat((double) xhat[i]).isCloseTo(h, within(2e-6));
                assertThat((double) y[i]).isCloseTo(h * gamma[i] + beta[i], within(4e-6));
                sd += g[i] * gamma[i];
                sdx += g[i] * gamma[i] * h;
            }
            float[] dx = new float[n];
            float[] dGamma = new float[n];
            float[] dBeta = new float[n];
            VM.layerNormBackward(g, 0, xhat, 0, gamma, rstd, dx, 0, dGamma, dBeta, n);
            for (int i = 0; i < n; i++) {
                double h = (x[i] - mean) * rs;
                double exact = rs * (g[i] * gamma[i] - sd / n - h * sdx / n);
                assertThat((double) dx[i]).as("n %d dx %d", n, i).isCloseTo(exact, within(1e-5 * Math.max(1, rs)));
                assertThat((double) dGamma[i]).isCloseTo(g[i] * h, within(1e-5));
                assertThat(dBeta[i]).isEqualTo(g[i]);
            }
        }
    }

    @Test
    void reductionsUseSixteenPartials() {
        // 2^24 + 1 + 1 − 2^24: a sequential float sum gives 0; in 16 partials, partial 0 is 2^24 + 1 + 1 → 2^24
        // (ties to even, twice), partial 1 is 0 and partial 0 of the second block... here x[16] joins partial 0 and
        // x[17] partial 1: p0 = 2^24, p1 = −2^24 → but x[1] = 1 sits in partial 1: p1 = 1 − 2^24, so the total is 1
        float[] x = new float[18];
        x[0] = 0x1p24f;
        x[1] = 1f;
        x[16] = 1f;
        x[17] = -0x1p24f;
        assertThat(VM.sum(x, 0, 18)).isEqualTo(1f);
        assertThat(VM.sum(new float[0], 0, 0)).isZero();
        assertThat(VM.dot(new float[] {1, 2, 3}, 0, new float[] {4, 5, 6}, 0, 3)).isEqualTo(32f);
    }

    @Test
    void matmulIsAnFmaChainPerElement() {
        SplittableRandom r = new SplittableRandom(5);
        int m = 5;
        int n = 7;
        int k = 9;
        float[] a = new float[2 + m * 11];
        float[] b = new float[k * 8];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        float[] c = new float[3 + m * 10];
        VM.matmul(a, 2, 11, b, 1, 8, c, 3, 10, m, n, k);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0;
                for (int p = 0; p < k; p++) {
                    exact += (double) a[2 + i * 11 + p] * b[1 + p * 8 + j];
                }
                assertThat((double) c[3 + i * 10 + j]).isCloseTo(exact, within(1e-5));
            }
        }
    }

    @Test
    void transposeCopiesEveryElement() {
        SplittableRandom r = new SplittableRandom(6);
        for (int[] sh : new int[][] {{0, 3}, {3, 0}, {1, 1}, {7, 9}, {8, 32}, {17, 33}, {64, 70}, {9, 100}}) {
            int rows = sh[0];
            int cols = sh[1];
            int lds = cols + 3;
            float[] src = new float[2 + rows * lds];
            for (int i = 0; i < src.length; i++) {
                src[i] = (float) r.nextGaussian();
            }
            float[] dst = new float[1 + cols * (rows + 2)];
            java.util.Arrays.fill(dst, Float.NaN);
            VM.transpose(src, 2, lds, rows, cols, dst, 1, rows + 2);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    assertThat(dst[1 + j * (rows + 2) + i]).isEqualTo(src[2 + i * lds + j]);
                }
            }
            assertThat(dst[0]).isNaN();
        }
    }

    @Test
    void elementWiseOps() {
        float[] a = {1f, 2f, 3f};
        float[] b = {4f, 5f, 6f};
        float[] y = new float[3];
        VM.add(a, 0, b, 0, y, 0, 3);
        assertThat(y).containsExactly(5f, 7f, 9f);
        VM.mul(a, 0, b, 0, y, 0, 3);
        assertThat(y).containsExactly(4f, 10f, 18f);
        VM.fmaInto(a, 0, b, 0, y, 0, 3);
        assertThat(y).containsExactly(8f, 20f, 36f);
        VM.scale(0.5f, a, 0, y, 0, 3);
        assertThat(y).containsExactly(0.5f, 1f, 1.5f);
        VM.exp(new float[] {0f, 1f}, 0, y, 1, 2);
        assertThat(y[1]).isEqualTo(1f);
        assertThat(y[2]).isEqualTo((float) Math.E);
    }

    @Test
    void loaderFindsTheScalarImplementation() {
        assertThat(VectorMaths.scalar().name()).isEqualTo("scalar");
        assertThat(VectorMaths.preferred()).isNotNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VectorMaths.byName("nope"))
                .hasMessageContaining("unknown vector math implementation 'nope'");
    }
}
