package dev.lowbit.quant;

/** Order statistics without sorting (iterative quickselect, deterministic pivots). */
final class Selection {
    private Selection() {}

    /** The k-th smallest element (0-based) of {@code a}; reorders {@code a}. */
    static float select(float[] a, int k) {
        if (k < 0 || k >= a.length) {
            throw new IllegalArgumentException("k = " + k + " outside 0.." + (a.length - 1));
        }
        int lo = 0;
        int hi = a.length - 1;
        while (hi > lo) {
            if (hi - lo < 16) {
                insertionSort(a, lo, hi);
                return a[k];
            }
            // median of three as pivot, then a three-way partition (copes with many equal values, e.g. zeros)
            int mid = (lo + hi) >>> 1;
            float pivot = median(a[lo], a[mid], a[hi]);
            int lt = lo;
            int gt = hi;
            int i = lo;
            while (i <= gt) {
                float v = a[i];
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

    /**
     * The k-th smallest (0-based) of non-negative, non-NaN values: the same value as {@link #select}, in
     * two linear passes for inputs of 1024 or more. The bit patterns of non-negative floats order like the
     * floats, so a histogram of the top bits (exponent and 4 mantissa bits: at most 4096 buckets) finds the
     * bucket holding rank k, and quickselect finishes inside that bucket. {@code a} is not reordered.
     */
    static float selectNonNegative(float[] a, int k) {
        int n = a.length;
        if (n < 1024) {
            return select(a.clone(), k);
        }
        if (k < 0 || k >= n) {
            throw new IllegalArgumentException("k = " + k + " outside 0.." + (n - 1));
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
        float[] sub = new float[hist[bucket]];
        int t = 0;
        for (float v : a) {
            if (((Float.floatToRawIntBits(v) >>> 19) & 0xFFF) == bucket) {
                sub[t++] = v;
            }
        }
        return select(sub, k - before);
    }

    private static float median(float x, float y, float z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }

    private static void insertionSort(float[] a, int lo, int hi) {
        for (int i = lo + 1; i <= hi; i++) {
            float v = a[i];
            int j = i - 1;
            while (j >= lo && a[j] > v) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = v;
        }
    }
}
