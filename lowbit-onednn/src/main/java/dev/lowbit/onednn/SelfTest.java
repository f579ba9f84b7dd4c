package dev.lowbit.onednn;

import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The start-up proof that oneDNN's int8 GEMM is exact on this machine at a given operand width: the backend's own path
 * ({@link ExactGemm}: narrowing, row blocks, k-chunks) on the operands most likely to expose saturation or a wrong
 * compensation, compared element by element with a scalar {@code long} reference.
 *
 * <p>The operands: every product at ±M² with the same sign along a row (all-max rows, M = 2^(b−1) − 1 — the case where
 * {@code vpmaddubsw}'s int16 pair sums saturate first), alternating signs (pairs that cancel in the true sum but not in a
 * saturated one), random entries drawn only from {−M, 0, M}, random full-range entries, zero rows; shapes with m or n = 1
 * (oneDNN's GEMV kernels), odd k, k not a multiple of 4 or 64 (the VNNI quad and the blocking tails); one all-max GEMM at
 * the largest k of a chunk, whose sums reach 2^31 − 1 − ε; each at one thread and at all threads. About 10^7 multiply-adds:
 * a few tens of ms.
 */
final class SelfTest {
    /** m, n, k of the small cases. */
    private static final int[][] SHAPES = {{1, 1, 1}, {1, 37, 5}, {37, 1, 63}, {7, 9, 64}, {13, 17, 65}, {5, 3, 66}, {48, 80, 127},
        {65, 33, 259}, {97, 70, 300}, {3, 5, 4099}};

    private SelfTest() {}

    /** Null when every case is exact at {@code bits}, else a one-line description of the first mismatch. */
    static String check(OneDnn dnn, int bits) {
        int max = (1 << (bits - 1)) - 1;
        int all = Math.max(1, Runtime.getRuntime().availableProcessors());
        int[] threadCounts = all > 1 ? new int[] {1, all} : new int[] {1};
        SplittableRandom r = new SplittableRandom(0x5e1f7e57L + bits);
        for (int t : threadCounts) {
            ExactGemm g = new ExactGemm(dnn, t, 0); // every call on t threads, however small
            for (int[] s : SHAPES) {
                for (String pattern : new String[] {"all-max", "alternating", "extremes", "random"}) {
                    IntMatrix a = operand(pattern, s[0], s[2], max, true, r);
                    IntMatrix b = operand(pattern, s[1], s[2], max, false, r);
                    String bad = compare(g, a, b, bits);
                    if (bad != null) {
                        return "b = " + bits + ", " + pattern + " " + s[0] + "x" + s[1] + "x" + s[2] + ", " + t + " thread(s): " + bad;
                    }
                }
            }
        }
        // the int32 edge: k·M² just below 2^31 in one oneDNN call, both signs
        int k = ExactGemm.kChunk(bits);
        IntMatrix a = IntMatrix.zeros(2, k);
        IntMatrix b = IntMatrix.zeros(3, k);
        Arrays.fill(a.data(), max);
        Arrays.fill(b.data(), 0, k, max);
        Arrays.fill(b.data(), k, 2 * k, -max);
        for (int p = 0; p < k; p++) {
            b.data()[2 * k + p] = p % 2 == 0 ? max : -max;
            a.data()[k + p] = p % 3 == 0 ? -max : max;
        }
        String bad = compare(new ExactGemm(dnn, 1, 0), a, b, bits);
        return bad == null ? null : "b = " + bits + ", all-max 2x3x" + k + " (sums near 2^31): " + bad;
    }

    private static IntMatrix operand(String pattern, int rows, int cols, int max, boolean lhs, SplittableRandom r) {
        IntMatrix x = IntMatrix.zeros(rows, cols);
        int[] d = x.data();
        for (int i = 0; i < rows; i++) {
            for (int p = 0; p < cols; p++) {
                int v = switch (pattern) {
                    case "all-max" -> lhs ? (i % 4 == 3 ? -max : max) : (i % 2 == 0 ? max : -max);
                    case "alternating" -> (p + (lhs ? 0 : i)) % 2 == 0 ? max : -max;
                    case "extremes" -> (r.nextInt(3) - 1) * max;
                    default -> r.nextInt(2 * max + 1) - max;
                };
                d[i * cols + p] = v;
            }
        }
        if (rows > 2) { // a zero row
            Arrays.fill(d, 2 * cols, 3 * cols, 0);
        }
        return x;
    }

    private static String compare(ExactGemm g, IntMatrix a, IntMatrix b, int bits) {
        LongMatrix got = g.product(a, b, bits);
        int k = a.cols();
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.rows(); j++) {
                long want = 0;
                for (int p = 0; p < k; p++) {
                    want += (long) a.data()[i * k + p] * b.data()[j * k + p];
                }
                if (got.get(i, j) != want) {
                    return "C[" + i + "," + j + "] = " + got.get(i, j) + ", expected " + want;
                }
            }
        }
        return null;
    }
}
