package dev.lowbit.quant;

import dev.lowbit.Parallel;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.round.Rounding;
import java.util.List;

/**
 * LLM-FP4's floating-point quantizer (Liu et al., EMNLP 2023, "LLM-FP4: 4-Bit Floating-Point Quantized Transformers"):
 * a low-bit float format whose exponent/mantissa split and maximum value are <em>searched</em> per tensor to minimise
 * the quantization error, plus the pre-shifted exponent bias for activations.
 *
 * <p><b>Quantizer.</b> For a format f (a finite-only {@link MiniFloat}: every code is a number) and a maximum value
 * {@code maxval}, {@code Q(x) = s·f.round(x/s)} with {@code s = maxval / f.maxFinite()}, round to nearest even,
 * saturating at ±maxval. A real-valued exponent bias b̃ of the paper is this scale: {@code maxval = (2 − 2^−m)·2^(2^e − 1 − b̃)}
 * for an e-exponent, m-mantissa format, so searching maxval is searching the (real-valued) bias.
 *
 * <p><b>Search.</b> Candidates {@code maxval = α·max|x|}: α on a coarse grid {@link #COARSE} (0.20, 0.25, …, 1.00),
 * then on the fine grid of step 0.01 within ±0.04 of the best coarse α; the smallest sum of squared errors (in
 * float64, ties to the earlier candidate) wins. The format is searched per tensor (the paper's joint format and max
 * value search): for each candidate format, every row (weights: output channel) or the whole tensor (activations)
 * gets its best maxval, and the format with the smallest total error is kept (ties to the earlier format in the list).
 *
 * <p>On pre-shifted activations (below) the search minimises the error of the activation itself: the squared error of
 * channel j in the shifted domain is weighted by {@code 4^−c_j}.
 *
 * <p><b>Pre-shifted exponent bias.</b> Activation channel j (column) with calibration range {@code m_j = max_t |x_tj|}
 * gets the integer shift {@code c_j = ⌊log2(M/m_j)⌋ ≥ 0} ({@code M = max_j m_j}; 0 for an all-zero channel): its
 * per-channel exponent bias is the tensor's real bias ρ plus the integer {@code c_j}, which is the same as quantizing
 * {@code x_tj·2^c_j} with the one tensor-wise bias. The factor {@code 2^−c_j} is reparameterized into column j of the
 * <em>quantized</em> weight as an exponent bias (each quantized weight keeps its mantissa, its exponent moves by
 * {@code −c_j}: exact), so the GEMM is {@code Q_a(X·diag(2^c))·(Q_w(W)·diag(2^−c))ᵀ} — per-channel activation scales
 * at no cost in weight error. After the shift every channel's calibration range lies in (M/2, M].
 *
 * <p>Evaluation uses a table of the format's non-negative values and their midpoints ({@link Grid}), bit for bit
 * equal to {@link MiniFloat#round(double, Rounding, long, boolean)} (tested); the search is deterministic.
 */
public final class FpFormatSearch {
    /** The 4-bit candidates: E1M2, E2M1, E3M0 (finite-only, default bias; the scale absorbs the bias). */
    public static final List<MiniFloat> FP4 = List.of(finite(1, 2), finite(2, 1), finite(3, 0));
    /** The 8-bit candidates: E2M5, E3M4, E4M3, E5M2 (finite-only). */
    public static final List<MiniFloat> FP8 = List.of(finite(2, 5), finite(3, 4), finite(4, 3), finite(5, 2));

    /** The coarse α grid: 0.20, 0.25, …, 1.00 (in hundredths). */
    static final int COARSE_FROM = 20;
    static final int COARSE_STEP = 5;
    /** Fine grid: ±{@value #FINE_RADIUS} hundredths around the best coarse α, step 0.01. */
    static final int FINE_RADIUS = 4;

    private FpFormatSearch() {}

    /** A finite-only e/m format with the default bias 2^(e−1) − 1. */
    public static MiniFloat finite(int e, int m) {
        return new MiniFloat(e, m, MiniFloat.defaultBias(e), MiniFloat.Special.FINITE);
    }

    /** The candidate formats for a bit width: {@link #FP4} for 4, {@link #FP8} for 8. */
    public static List<MiniFloat> formats(int bits) {
        return switch (bits) {
            case 4 -> FP4;
            case 8 -> FP8;
            default -> throw new IllegalArgumentException("FP formats are searched for 4 or 8 bits, got " + bits);
        };
    }

    /** The α candidates of the coarse grid, in hundredths. */
    static int[] coarse() {
        int n = (100 - COARSE_FROM) / COARSE_STEP + 1;
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = COARSE_FROM + i * COARSE_STEP;
        }
        return a;
    }

    /**
     * A format's non-negative values {@code v[0] = 0 < v[1] < … < v[n−1] = max} (index = code) and the midpoints
     * between neighbours: round to nearest, ties to the even code, saturating.
     */
    public static final class Grid {
        private final MiniFloat format;
        private final double[] values;
        private final double[] mids;

        public Grid(MiniFloat format) {
            if (format.special() != MiniFloat.Special.FINITE) {
                throw new IllegalArgumentException("the search uses finite-only formats, got " + format);
            }
            this.format = format;
            int n = format.maxCode() + 1;
            values = new double[n];
            for (int c = 0; c < n; c++) {
                values[c] = format.decode(c);
            }
            mids = new double[n - 1];
            for (int c = 0; c + 1 < n; c++) {
                mids[c] = (values[c] + values[c + 1]) / 2; // exact: dyadic values of few bits
            }
        }

        public MiniFloat format() {
            return format;
        }

        public double max() {
            return values[values.length - 1];
        }

        /** {@code format.round(t, NEAREST_EVEN, ·, saturate = true)} for a finite t. */
        public double round(double t) {
            double a = Math.abs(t);
            int lo = 0;
            int hi = mids.length; // the answer is the number of midpoints below a, adjusted for ties
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (mids[mid] < a) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            int c = lo;
            if (c < mids.length && mids[c] == a && (c & 1) == 1) {
                c++; // a tie between codes c and c + 1: the even one
            }
            return Math.copySign(values[c], t);
        }
    }

    /** The grids of the candidate formats. */
    public static List<Grid> grids(List<MiniFloat> formats) {
        return formats.stream().map(Grid::new).toList();
    }

    /** max|x[i]| over the strided range. */
    static double amax(float[] x, int from, int count, int stride) {
        double m = 0;
        for (int i = 0; i < count; i++) {
            m = Math.max(m, Math.abs(x[from + i * stride]));
        }
        return m;
    }

    /** Σ (x − Q(x))² over {@code x[from + i·stride]}, i &lt; count, with scale s. */
    static double sse(float[] x, int from, int count, int stride, Grid g, double s) {
        return sse(x, from, count, stride, g, s, null, 1);
    }

    /** As above, each squared error times {@code w[i % cols]} (null: 1). */
    static double sse(float[] x, int from, int count, int stride, Grid g, double s, double[] w, int cols) {
        double e = 0;
        for (int i = 0; i < count; i++) {
            double v = x[from + i * stride];
            double d = v - s * g.round(v / s);
            e += w == null ? d * d : w[i % cols] * (d * d);
        }
        return e;
    }

    /** A searched maximum value with its error. */
    public record Fit(double maxval, double sse) {}

    /** The best maxval for one format over the values {@code x[from + i·stride]} (class comment: coarse, then fine). */
    public static Fit fit(float[] x, int from, int count, int stride, Grid g) {
        return fit(x, from, count, stride, g, null, 1);
    }

    /** As above with the squared errors weighted by {@code w[i % cols]} (null: unweighted). */
    static Fit fit(float[] x, int from, int count, int stride, Grid g, double[] w, int cols) {
        double amax = amax(x, from, count, stride);
        if (amax == 0) {
            return new Fit(0, 0);
        }
        int bestA = -1;
        double best = Double.POSITIVE_INFINITY;
        for (int a : coarse()) {
            double e = sse(x, from, count, stride, g, amax * a / 100.0 / g.max(), w, cols);
            if (e < best) {
                best = e;
                bestA = a;
            }
        }
        int centre = bestA;
        for (int a = Math.max(1, centre - FINE_RADIUS); a <= Math.min(100, centre + FINE_RADIUS); a++) {
            if (a == centre || (a - COARSE_FROM) % COARSE_STEP == 0 && a >= COARSE_FROM) {
                continue; // already evaluated on the coarse grid
            }
            double e = sse(x, from, count, stride, g, amax * a / 100.0 / g.max(), w, cols);
            if (e < best) {
                best = e;
                bestA = a;
            }
        }
        return new Fit(amax * bestA / 100.0, best);
    }

    /** Scale of a fit: maxval / the format's max (1 for an all-zero tensor). */
    public static double scale(Fit f, Grid g) {
        return f.maxval() == 0 ? 1.0 : f.maxval() / g.max();
    }

    /** A per-row (output channel) quantized weight: the searched format and each row's maxval. */
    public record RowQuant(MiniFloat format, double[] maxvals, double sse, double[] formatSse) {}

    /**
     * Searches the format (one per tensor) and each row's maxval of the rows × cols matrix {@code w} (row-major);
     * {@code formatSse[f]} is the total error of candidate f with its own per-row maxvals.
     */
    public static RowQuant searchRows(float[] w, int rows, int cols, List<MiniFloat> formats, int threads) {
        List<Grid> grids = grids(formats);
        Fit[][] fits = new Fit[grids.size()][rows];
        Parallel.forEach(Math.max(1, threads), rows, r -> {
            for (int f = 0; f < grids.size(); f++) {
                fits[f][r] = fit(w, r * cols, cols, 1, grids.get(f));
            }
        });
        double[] total = new double[grids.size()];
        int bestF = 0;
        for (int f = 0; f < grids.size(); f++) {
            for (int r = 0; r < rows; r++) {
                total[f] += fits[f][r].sse();
            }
            if (total[f] < total[bestF]) {
                bestF = f;
            }
        }
        double[] maxvals = new double[rows];
        for (int r = 0; r < rows; r++) {
            maxvals[r] = fits[bestF][r].maxval();
        }
        return new RowQuant(formats.get(bestF), maxvals, total[bestF], total);
    }

    /** A per-tensor quantizer: the searched format and maxval. */
    public record TensorQuant(MiniFloat format, double maxval, double sse, double[] formatSse) {}

    /** Searches the format and the one maxval of the whole tensor {@code x} (every entry). */
    public static TensorQuant searchTensor(float[] x, List<MiniFloat> formats, int threads) {
        return searchTensor(x, 1, null, formats, threads);
    }

    /**
     * Searches the format and the one maxval of the row-major tensor {@code x} of {@code cols} columns, the squared error
     * of column j weighted by {@code colWeight[j]} (null: 1). With {@code colWeight[j] = 4^−c_j} on pre-shifted
     * activations this is the error of the activation itself, {@code Σ (x − Q(x·2^c)·2^−c)²}.
     */
    public static TensorQuant searchTensor(float[] x, int cols, double[] colWeight, List<MiniFloat> formats, int threads) {
        List<Grid> grids = grids(formats);
        Fit[] fits = new Fit[grids.size()];
        Parallel.forEach(Math.max(1, threads), grids.size(), f -> fits[f] = fit(x, 0, x.length, 1, grids.get(f), colWeight, cols));
        int bestF = 0;
        double[] sse = new double[grids.size()];
        for (int f = 0; f < grids.size(); f++) {
            sse[f] = fits[f].sse();
            if (sse[f] < sse[bestF]) {
                bestF = f;
            }
        }
        return new TensorQuant(formats.get(bestF), fits[bestF].maxval(), sse[bestF], sse);
    }

    /** Rounds {@code x[from..to)} in place: {@code s·g.round(x/s)}. */
    public static void quantizeInPlace(float[] x, int from, int to, Grid g, double s) {
        for (int i = from; i < to; i++) {
            x[i] = (float) (s * g.round(x[i] / s));
        }
    }

    /**
     * The pre-shifts {@code c_j = ⌊log2(M/m_j)⌋} of the columns of the rows × cols calibration activations {@code x}
     * ({@code m_j = max_t |x_tj|}, {@code M = max_j m_j}; 0 for an all-zero column), computed exactly from the
     * exponents.
     */
    public static int[] preShifts(float[] x, int rows, int cols) {
        float[] m = new float[cols];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < cols; j++) {
                m[j] = Math.max(m[j], Math.abs(x[t * cols + j]));
            }
        }
        float big = 0;
        for (float v : m) {
            big = Math.max(big, v);
        }
        int[] c = new int[cols];
        for (int j = 0; j < cols; j++) {
            if (m[j] == 0 || big == 0) {
                continue;
            }
            int s = Math.getExponent(big) - Math.getExponent(m[j]);
            if ((double) Math.scalb((double) m[j], s) > big) {
                s--;
            }
            c[j] = Math.max(0, s);
        }
        return c;
    }

    /** {@code x·diag(2^shift)} along the columns, in place (exact in float32 unless it overflows or underflows). */
    public static void shiftColumns(float[] x, int rows, int cols, int[] shift, boolean negate) {
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < cols; j++) {
                x[t * cols + j] = Math.scalb(x[t * cols + j], negate ? -shift[j] : shift[j]);
            }
        }
    }
}
