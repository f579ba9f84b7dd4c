package dev.lowbit.nn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ActivationsTest {
    /** erf by its Taylor series in double (converges well for |x| ≤ 3). */
    static double erfSeries(double x) {
        double sum = 0;
        double term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void erfMatchesTheSeries() {
        for (double x = -3; x <= 3; x += 0.01) {
            assertThat(Activations.erf(x)).as("erf(%s)", x).isCloseTo(erfSeries(x), org.assertj.core.data.Offset.offset(2e-7));
        }
    }

    @Test
    void fastErfIsWithin3e7() {
        for (double x = -3; x <= 3; x += 0.001) {
            assertThat(Activations.erfFast(x)).as("erf(%s)", x).isCloseTo(erfSeries(x), org.assertj.core.data.Offset.offset(3e-7));
        }
        assertThat(Activations.erfFast(6)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(3e-7));
        assertThat(Activations.erfFast(-6)).isCloseTo(-1.0, org.assertj.core.data.Offset.offset(3e-7));
    }

    @Test
    void erfcKeepsRelativeAccuracyInTheTail() {
        // erfc(5) = 1.5374597944280349e-12, erfc(10) = 2.0884875837625447e-45
        assertThat(Activations.erfc(5) / 1.5374597944280349e-12).isCloseTo(1.0, org.assertj.core.data.Offset.offset(2e-7));
        assertThat(Activations.erfc(10) / 2.0884875837625447e-45).isCloseTo(1.0, org.assertj.core.data.Offset.offset(2e-7));
    }

    @Test
    void geluValues() {
        assertThat(Activations.gelu(0f)).isZero();
        assertThat(Activations.gelu(1f)).isCloseTo(0.8413447f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(Activations.gelu(-1f)).isCloseTo(-0.15865526f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(Activations.gelu(-10f)).isCloseTo(0f, org.assertj.core.data.Offset.offset(2e-6f));
        assertThat(Activations.gelu(10f)).isEqualTo(10f);
    }

    @Test
    void softmaxSumsToOne() {
        float[] x = {1000f, 1001f, 999f, -1e30f};
        Activations.softmaxInPlace(x, 0, 4);
        assertThat(x[0] + x[1] + x[2] + x[3]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(x[3]).isZero();
        assertThat(x[1]).isGreaterThan(x[0]);
    }
}
