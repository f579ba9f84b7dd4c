package dev.lowbit.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.format.Formats;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.round.Rounding;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** LLM-FP4's searched FP quantizer against a float64 reference written from the definition with core's MiniFloat. */
class FpFormatSearchTest {
    private static final List<MiniFloat> ALL = new ArrayList<>();

    static {
        ALL.addAll(FpFormatSearch.FP4);
        ALL.addAll(FpFormatSearch.FP8);
    }

    @Test
    void theCandidatesAreTheNamedShapes() {
        assertThat(FpFormatSearch.FP4).extracting(MiniFloat::bits).containsOnly(4);
        assertThat(FpFormatSearch.FP8).extracting(MiniFloat::bits).containsOnly(8);
        assertThat(FpFormatSearch.FP4.get(1)).isEqualTo(Formats.E2M1); // OCP's FP4 element
        // E1M2 is the uniform grid 0..3.5 step 0.5; E3M0 the powers of two 0.25..16
        assertThat(new FpFormatSearch.Grid(FpFormatSearch.FP4.get(0)).max()).isEqualTo(3.5);
        assertThat(new FpFormatSearch.Grid(FpFormatSearch.FP4.get(2)).max()).isEqualTo(16.0);
    }

    @Test
    void gridRoundingIsMiniFloatRoundingBitForBit() {
        SplittableRandom r = new SplittableRandom(1);
        for (MiniFloat f : ALL) {
            FpFormatSearch.Grid g = new FpFormatSearch.Grid(f);
            List<Double> xs = new ArrayList<>();
            for (int c = 0; c < f.maxCode(); c++) { // every value, every midpoint (a tie), both signs
                double v = f.decode(c);
                double mid = (v + f.decode(c + 1)) / 2;
                xs.addAll(List.of(v, -v, mid, -mid, Math.nextUp(mid), Math.nextDown(mid)));
            }
            for (int i = 0; i < 2000; i++) {
                xs.add(r.nextGaussian() * f.maxFinite() * (i % 3 == 0 ? 2 : 0.3));
            }
            xs.addAll(List.of(0.0, -0.0, 1e300, -1e300));
            for (double x : xs) {
                double want = f.round(x, Rounding.NEAREST_EVEN, 0, true);
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(g.round(x)), f + " at " + x);
            }
        }
    }

    /** The reference: the same search written plainly, every evaluation through MiniFloat.round in float64. */
    static double refSse(float[] x, int from, int n, MiniFloat f, double maxval) {
        return refSse(x, from, n, f, maxval, null, 1);
    }

    static double refSse(float[] x, int from, int n, MiniFloat f, double maxval, double[] w, int cols) {
        double s = maxval / f.maxFinite();
        double e = 0;
        for (int i = from; i < from + n; i++) {
            double d = x[i] - s * f.round(x[i] / s, Rounding.NEAREST_EVEN, 0, true);
            e += (w == null ? 1 : w[(i - from) % cols]) * d * d;
        }
        return e;
    }

    static double[] refFit(float[] x, int from, int n, MiniFloat f) {
        return refFit(x, from, n, f, null, 1);
    }

    static double[] refFit(float[] x, int from, int n, MiniFloat f, double[] w, int cols) {
        double amax = 0;
        for (int i = from; i < from + n; i++) {
            amax = Math.max(amax, Math.abs(x[i]));
        }
        if (amax == 0) {
            return new double[] {0, 0};
        }
        List<Integer> order = new ArrayList<>();
        for (int a = 20; a <= 100; a += 5) {
            order.add(a);
        }
        int bestA = -1;
        double best = Double.POSITIVE_INFINITY;
        for (int a : order) {
            double e = refSse(x, from, n, f, amax * a / 100.0, w, cols);
            if (e < best) {
                best = e;
                bestA = a;
            }
        }
        int c = bestA;
        for (int a = c - 4; a <= Math.min(100, c + 4); a++) {
            if (!order.contains(a)) {
                double e = refSse(x, from, n, f, amax * a / 100.0, w, cols);
                if (e < best) {
                    best = e;
                    bestA = a;
                }
            }
        }
        return new double[] {amax * bestA / 100.0, best};
    }

    static float[] heavyTailed(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double g = r.nextGaussian();
            x[i] = (float) (g * Math.exp(r.nextGaussian())); // log-normal scale mixture: heavy tails
        }
        return x;
    }

    @Test
    void rowSearchMatchesTheFloat64ReferenceAndBeatsEveryFixedFormat() {
        SplittableRandom r = new SplittableRandom(2);
        int rows = 12;
        int cols = 96;
        float[] w = heavyTailed(r, rows * cols);
        for (int c = 0; c < cols; c++) {
            w[5 * cols + c] = 0; // an all-zero row
        }
        FpFormatSearch.RowQuant q = FpFormatSearch.searchRows(w, rows, cols, FpFormatSearch.FP4, 2);
        double[] refTotal = new double[3];
        double[][] refMax = new double[3][rows];
        for (int f = 0; f < 3; f++) {
            for (int row = 0; row < rows; row++) {
                double[] fit = refFit(w, row * cols, cols, FpFormatSearch.FP4.get(f));
                refMax[f][row] = fit[0];
                refTotal[f] += fit[1];
            }
        }
        int best = 0;
        for (int f = 1; f < 3; f++) {
            best = refTotal[f] < refTotal[best] ? f : best;
        }
        assertThat(q.format()).isEqualTo(FpFormatSearch.FP4.get(best));
        assertArrayEquals(refMax[best], q.maxvals());
        assertArrayEquals(refTotal, q.formatSse(), 1e-9 * refTotal[0]);
        assertThat(q.maxvals()[5]).isZero();
        // the property: the searched quantizer's error is at most every fixed format's, with absmax or searched maxval
        for (int f = 0; f < 3; f++) {
            double absmax = 0;
            for (int row = 0; row < rows; row++) {
                double amax = FpFormatSearch.amax(w, row * cols, cols, 1);
                absmax += amax == 0 ? 0 : refSse(w, row * cols, cols, FpFormatSearch.FP4.get(f), amax);
            }
            assertThat(q.sse()).as("vs %s", FpFormatSearch.FP4.get(f)).isLessThanOrEqualTo(refTotal[f]).isLessThan(absmax);
        }
        // the quantized values: Q(x) = s·round(x/s) with the searched maxval, bit for bit
        FpFormatSearch.Grid g = new FpFormatSearch.Grid(q.format());
        float[] got = w.clone();
        for (int row = 0; row < rows; row++) {
            FpFormatSearch.quantizeInPlace(got, row * cols, (row + 1) * cols, g, FpFormatSearch.scale(new FpFormatSearch.Fit(q.maxvals()[row], 0), g));
        }
        for (int i = 0; i < w.length; i++) {
            double m = q.maxvals()[i / cols];
            double s = m == 0 ? 1 : m / q.format().maxFinite();
            assertEquals((float) (s * q.format().round(w[i] / s, Rounding.NEAREST_EVEN, 0, true)), got[i], "entry " + i);
        }
    }

    @Test
    void theSearchPicksTheFormatThatFitsTheDistribution() {
        SplittableRandom r = new SplittableRandom(3);
        float[] uniform = new float[4096];
        for (int i = 0; i < uniform.length; i++) {
            uniform[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] heavy = heavyTailed(r, 4096);
        FpFormatSearch.TensorQuant u = FpFormatSearch.searchTensor(uniform, FpFormatSearch.FP4, 1);
        FpFormatSearch.TensorQuant h = FpFormatSearch.searchTensor(heavy, FpFormatSearch.FP4, 1);
        assertThat(u.format().exponentBits()).isEqualTo(1); // uniform values: the uniform grid E1M2
        assertThat(h.format().exponentBits()).isGreaterThanOrEqualTo(2); // heavy tails: more exponent
        for (FpFormatSearch.TensorQuant t : List.of(u, h)) {
            for (double e : t.formatSse()) {
                assertThat(t.sse()).isLessThanOrEqualTo(e);
            }
        }
        double[] ref = refFit(heavy, 0, heavy.length, h.format());
        assertThat(h.maxval()).isEqualTo(ref[0]);
        assertThat(h.sse()).isCloseTo(ref[1], org.assertj.core.data.Offset.offset(1e-9 * ref[1]));
    }

    @Test
    void weightedTensorSearchMatchesTheReference() {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 50;
        int cols = 12;
        float[] x = heavyTailed(r, rows * cols);
        double[] w = new double[cols];
        for (int j = 0; j < cols; j++) {
            w[j] = Math.scalb(1.0, -2 * (j % 4)); // 4^−c for shifts 0..3
        }
        for (List<MiniFloat> fs : List.of(FpFormatSearch.FP4, FpFormatSearch.FP8)) {
            FpFormatSearch.TensorQuant t = FpFormatSearch.searchTensor(x, cols, w, fs, 2);
            int best = 0;
            double[] fits = new double[fs.size()];
            double[] maxes = new double[fs.size()];
            for (int f = 0; f < fs.size(); f++) {
                double[] fit = refFit(x, 0, x.length, fs.get(f), w, cols);
                maxes[f] = fit[0];
                fits[f] = fit[1];
                best = fits[f] < fits[best] ? f : best;
            }
            assertThat(t.format()).isEqualTo(fs.get(best));
            assertThat(t.maxval()).isEqualTo(maxes[best]);
            assertArrayEquals(fits, t.formatSse(), 1e-9 * fits[best]);
        }
    }

    @Test
    void preShiftsBringEveryChannelWithinAFactorTwoOfTheLargest() {
        SplittableRandom r = new SplittableRandom(4);
        int rows = 30;
        int cols = 20;
        float[] x = new float[rows * cols];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < cols; j++) {
                x[t * cols + j] = j == 7 ? 0 : (float) (r.nextGaussian() * Math.scalb(1.0, j % 11 - 5) * (j == 3 ? 40 : 1));
            }
        }
        x[2 * cols + 9] = 4f; // a channel whose max is exactly a power-of-two multiple of another
        int[] c = FpFormatSearch.preShifts(x, rows, cols);
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
        for (int j = 0; j < cols; j++) {
            if (m[j] == 0) {
                assertThat(c[j]).isZero();
                continue;
            }
            double shifted = Math.scalb((double) m[j], c[j]);
            assertThat(shifted).as("channel %d", j).isLessThanOrEqualTo(big).isGreaterThan(big / 2.0);
        }
        assertThat(c[3]).isLessThan(c[0]); // the wide channel is shifted least
        float[] y = x.clone();
        FpFormatSearch.shiftColumns(y, rows, cols, c, false);
        FpFormatSearch.shiftColumns(y, rows, cols, c, true);
        assertArrayEquals(x, y); // powers of two: exact both ways
    }
}
