package dev.lowbit.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lowbit.format.Formats;
import dev.lowbit.format.MiniFloat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * FP8 E4M3 and BF16 GEMMs on the GPU ({@link FloatGemm}) against lowbit's own decoding of the same codes: each product of
 * two E4M3 (or BF16) values is exact in float32 ({@code MiniFloat.decode}), so the GPU result differs from the float64 sum
 * of the exact products only by its accumulation. Bounds, with S = Σ_p |a_ip·b_jp|:
 * <ul>
 *   <li>BF16 (float32 accumulation): |C − ref| ≤ k·2^−24·S + 2^−24·|ref| (the standard bound γ_k·S of a recursive sum
 *       with unit roundoff u = 2^−24, plus the output rounding);
 *   <li>FP8: Hopper's FP8 tensor cores accumulate with fewer mantissa bits (about 14 retained, reported by the DeepSeek-V3
 *       report) before cuBLASLt promotes partial sums to float32, so the bound is the same expression with u = 2^−13:
 *       k·2^−13·S + 2^−24·|ref|.
 * </ul>
 * The measured worst error relative to S is printed (docs/gpu.md). Skipped without a GPU (FP8 also below sm_89).
 */
class CudaFloatGemmTest {
    static final int[][] SHAPES = {{1, 1, 1}, {3, 5, 7}, {37, 45, 300}, {64, 80, 1000}, {17, 200, 4096}};

    @Test
    void fp8E4M3IsTheExactProductsSumWithinTheAccumulationBound() {
        assumeTrue(Cuda.available(), Cuda.unavailableReason());
        Cuda cuda = Cuda.get().orElseThrow();
        String[] cc = cuda.computeCapability().split("\\.");
        int sm = Integer.parseInt(cc[0]) * 10 + Integer.parseInt(cc[1]);
        assumeTrue(sm >= 89, "FP8 tensor cores need sm_89 or newer, this GPU is sm_" + sm);
        check(cuda, Int8Gemm.Types.FP8_E4M3, Formats.E4M3, 0x1p-13);
    }

    @Test
    void bf16IsTheExactProductsSumWithinTheFloat32Bound() {
        assumeTrue(Cuda.available(), Cuda.unavailableReason());
        check(Cuda.get().orElseThrow(), Int8Gemm.Types.BF16, Formats.BF16, 0x1p-24);
    }

    private static void check(Cuda cuda, Int8Gemm.Types t, MiniFloat f, double u) {
        SplittableRandom r = new SplittableRandom(31);
        double worst = 0;
        for (int[] s : SHAPES) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            int[] ca = codes(f, m * k, r);
            int[] cb = codes(f, n * k, r);
            float alpha = 0.75f;
            float[] got = FloatGemm.product(cuda, t, bytes(ca, t.inBytes()), bytes(cb, t.inBytes()), m, n, k, alpha);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double prod = f.decode(ca[i * k + p]) * f.decode(cb[j * k + p]);
                        sum += prod;
                        abs += Math.abs(prod);
                    }
                    double ref = alpha * sum;
                    double err = Math.abs(got[i * n + j] - ref);
                    double bound = alpha * k * u * abs + 0x1p-24 * Math.abs(ref);
                    assertThat(err).as("%s %dx%dx%d at (%d, %d): got %s, float64 %s", t.name(), m, n, k, i, j, got[i * n + j], ref)
                            .isLessThanOrEqualTo(bound);
                    if (abs > 0) {
                        worst = Math.max(worst, err / (alpha * abs));
                    }
                }
            }
        }
        System.out.printf("RESULT %s GEMM worst |error| / Σ|a·b| = %.3g (bound k·%.3g)%n", t.name(), worst, u);
    }

    /** Random finite codes of f (E4M3 without its NaN codes; BF16 within ±2^±8 so sums stay in range). */
    private static int[] codes(MiniFloat f, int count, SplittableRandom r) {
        int[] c = new int[count];
        for (int i = 0; i < count; i++) {
            double v = (r.nextBoolean() ? 1 : -1) * Math.scalb(1 + r.nextDouble(), r.nextInt(-8, 8));
            c[i] = f.encode(r.nextInt(16) == 0 ? 0 : v);
        }
        return c;
    }

    private static byte[] bytes(int[] codes, int w) {
        byte[] b = new byte[codes.length * w];
        for (int i = 0; i < codes.length; i++) {
            for (int q = 0; q < w; q++) {
                b[i * w + q] = (byte) (codes[i] >>> (8 * q));
            }
        }
        return b;
    }
}
