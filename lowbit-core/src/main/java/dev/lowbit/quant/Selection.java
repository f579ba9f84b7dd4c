package dev.lowbit.quant;

import dev.lowbit.Parallel;
import dev.lowbit.numeric.VectorMath;
import dev.lowbit.numeric.VectorMaths;
import java.util.Arrays;

/** Order statistics without sorting (iterative quickselect on raw float bits, deterministic pivots). */
final class Selection {
    private Selection() {}

    /**
     * The k-th smallest (0-based) of non-negative, non-NaN values: the same value as sorting, in
     * two linear passes for inputs of 1024 or more. The bit patterns of non-negative floats order like the
     * floats, so a histogram of the top bits (exponent and 4 mantissa bits: at most 4096 buckets) finds the
     * bucket holding rank k, and quickselect finishes inside that bucket. {@code a} is not reordered.
     */
    static float selectNonNegative(float[] a, int k) {
        int n = a.length;
        if (k < 0 || k >= n) {
            throw new IllegalArgumentException("k = " + k + " outside 0.." + (n - 1));
        }
        if (n < 1024) {
            int[] bits = new int[n];
            for (int i = 0; i < n; i++) {
                bits[i] = Float.floatToRawIntBits(a[i]) & 0x7FFFFFFF;
            }
            return Float.intBitsToFloat(selectInt(bits, n, k));
        }
        int[] hist = new int[1 << 12];
        for (float v : a) {
            hist[(Float.floatToRawIntBits(v) >>> 19) & 0xFFF]++;
        }
        int bucket = 0;
        int before = 0;
        while (before + hist[bucket] <= k) {
            before += hist[bucket];
            bucket++;
        }
        int[] sub = new int[hist[bucket]];
        int t = 0;
        for (float v : a) {
            int bits = Float.floatToRawIntBits(v);
            if (((bits >>> 19) & 0xFFF) == bucket) {
                sub[t++] = bits & 0x7FFFFFFF;
            }
        }
        return Float.intBitsToFloat(selectInt(sub, t, k - before));
    }

    /**
     * The {@code kTop}-th largest (1 ≤ kTop ≤ n) of the first {@code n} entries of {@code bits}, which are the raw
     * bits of non-negative, non-NaN floats (their int order is the float order): the same value as sorting.
     * Floyd–Rivest style for the small kTop of a percentile: a threshold t is picked from a fixed, stratified sample
     * (its ks-th largest, ks a few standard deviations above the expected rank, so deterministic); the entries ≥ t
     * are gathered branch-free into {@code scratch} (length ≥ n) and, when there are at least kTop of them (then
     * the kTop-th largest is ≥ t and lies among them), a quickselect finishes there; otherwise on all n entries.
     * {@code bits} is not modified.
     */
    static int kthLargestBits(int[] bits, int n, int kTop, int[] scratch) {
        return kthLargestBits(bits, n, kTop, scratch, VectorMaths.preferred());
    }

    /** As above, gathering with {@code vm}'s {@link dev.lowbit.numeric.VectorMath#gatherBetween}. */
    static int kthLargestBits(int[] bits, int n, int kTop, int[] scratch, VectorMath vm) {
        return kthLargestBits(bits, n, kTop, scratch, vm, 1);
    }

    /** Inputs from this size on are bracketed from both sides ({@link #bracketed}). */
    static final int BRACKET_MIN = 1 << 16;

    /**
     * As above; from {@link #BRACKET_MIN} entries on, the kTop-th largest is {@link #bracketed bracketed} from both
     * sides and the one pass over {@code bits} is shared out over {@code parallelism} tasks. The value is the same
     * for any parallelism (it is the exact order statistic).
     */
    static int kthLargestBits(int[] bits, int n, int kTop, int[] scratch, VectorMath vm, int parallelism) {
        if (kTop < 1 || kTop > n) {
            throw new IllegalArgumentException("kTop = " + kTop + " outside 1.." + n);
        }
        if (n >= BRACKET_MIN) {
            int v = bracketed(bits, n, kTop, scratch, vm, parallelism);
            if (v >= 0) {
                return v;
            }
        }
        if (n > 64) {
            int s = Math.max(64, n >>> 4);
            int[] sample = sample(bits, n, s);
            double fs = (double) kTop * s / n;
            int ks = (int) Math.ceil(fs + 3 * Math.sqrt(fs) + 1);
            if (ks < s) {
                int t = selectSmall(sample, s, s - ks);
                int count = (int) vm.gatherBetween(bits, 0, n, t, Integer.MAX_VALUE, scratch, 0); // every entry < MAX_VALUE (no NaN)
                if (count >= kTop) {
                    return selectSmall(scratch, count, count - kTop);
                }
            }
        }
        System.arraycopy(bits, 0, scratch, 0, n);
        return selectInt(scratch, n, n - kTop);
    }

    /**
     * s entries of {@code bits[0..n)} (s ≤ n), one per stratum of {@code n / s}, at a hashed offset: a fixed stride would
     * alias with the row structure of a block (e.g. always the same head dimensions of a 128×32 operand).
     */
    private static int[] sample(int[] bits, int n, int s) {
        int[] sample = new int[s];
        int stride = n / s;
        for (int i = 0; i < s; i++) {
            long h = (i + 1) * 0x9E3779B97F4A7C15L;
            sample[i] = bits[i * stride + (int) ((h >>> 33) % stride)];
        }
        return sample;
    }

    /**
     * Two thresholds lo ≤ hi from a fixed stratified sample of 8192 entries, a few binomial standard deviations on
     * either side of kTop's expected rank in it; one pass ({@link dev.lowbit.numeric.VectorMath#gatherBetween}, over
     * {@code parallelism} contiguous ranges) counts the entries ≥ hi and gathers those in [lo, hi) into
     * {@code scratch} — about 2 % of n for a 95th percentile. When fewer than kTop entries are ≥ hi and at least
     * kTop are ≥ lo, the answer is among the gathered ones and a selection there finishes; otherwise (a tie-heavy or
     * adversarial input) returns −1 and the caller takes the one-sided path.
     */
    static int bracketed(int[] bits, int n, int kTop, int[] scratch, VectorMath vm, int parallelism) {
        int s = 8192;
        int[] sample = sample(bits, n, s);
        Arrays.sort(sample);
        double fs = (double) kTop * s / n; // expected rank (from the top) of the answer in the sample
        double d = 4 * Math.sqrt(fs * (1 - fs / s)) + 2;
        long rHi = (long) Math.floor(fs - d); // ranks from the top, 1-based
        long rLo = (long) Math.ceil(fs + d);
        int hi = rHi < 1 ? Integer.MAX_VALUE : sample[(int) (s - rHi)];
        int lo = rLo > s ? 0 : sample[(int) (s - rLo)];
        int parts = Parallel.parts(parallelism, n, 1);
        long[] got = new long[parts];
        Parallel.forRanges(parts, n, (t, i0, i1) -> got[t] = vm.gatherBetween(bits, i0, i1 - i0, lo, hi, scratch, i0));
        long above = 0;
        int count = 0;
        for (int t = 0; t < parts; t++) {
            above += got[t] >>> 32;
            int g = (int) got[t];
            int from = (int) ((long) n * t / parts);
            if (from != count) {
                System.arraycopy(scratch, from, scratch, count, g);
            }
            count += g;
        }
        if (above >= kTop || above + count < kTop) {
            return -1;
        }
        int r = (int) (kTop - above); // the answer is the r-th largest of the gathered ones
        return selectSmall(scratch, count, count - r);
    }

    /**
     * The k-th smallest (0-based) of the first n entries of {@code a}; reorders them. Short ranges are sorted
     * ({@code Arrays.sort} of ints is vectorized on AVX-512 JVMs, and has no data-dependent branches to mispredict).
     */
    static int selectSmall(int[] a, int n, int k) {
        if (n <= 4096) {
            Arrays.sort(a, 0, n);
            return a[k];
        }
        return selectInt(a, n, k);
    }

    /** The k-th smallest (0-based) of the first n entries of {@code a}; reorders them. */
    static int selectInt(int[] a, int n, int k) {
        int lo = 0;
        int hi = n - 1;
        while (hi > lo) {
            if (hi - lo < 16) {
                for (int i = lo + 1; i <= hi; i++) {
                    int v = a[i];
                    int j = i - 1;
                    while (j >= lo && a[j] > v) {
                        a[j + 1] = a[j];
                        j--;
                    }
                    a[j + 1] = v;
                }
                return a[k];
            }
            int mid = (lo + hi) >>> 1;
            int x = a[lo];
            int y = a[mid];
            int z = a[hi];
            int pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
            int lt = lo;
            int gt = hi;
            int i = lo;
            while (i <= gt) {
                int v = a[i];
                if (v < pivot) {
                    a[i++] = a[lt];
                    a[lt++] = v;
                } else if (v > pivot) {
                    a[i] = a[gt];
                    a[gt--] = v;
                } else {
                    i++;
                }
            }
            if (k < lt) {
                hi = lt - 1;
            } else if (k > gt) {
                lo = gt + 1;
            } else {
                return pivot;
            }
        }
        return a[k];
    }
}
