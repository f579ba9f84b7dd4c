package dev.lowbit.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import org.junit.jupiter.api.Test;

class RoundingTest {
    private static final Rounding RNE = Rounding.NEAREST_EVEN;
    private static final Rounding RNA = Rounding.NEAREST_AWAY;

    @Test
    void tiesGoWhereEachModeSays() {
        double[] t = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5};
        double[] even = {0, 2, 2, -0.0, -2, -2};
        double[] away = {1, 2, 3, -1, -2, -3};
        for (int i = 0; i < t.length; i++) {
            assertThat(RNE.round(t[i], 0)).as("rne %s", t[i]).isEqualTo(even[i]);
            assertThat(RNA.round(t[i], 0)).as("rna %s", t[i]).isEqualTo(away[i]);
        }
    }

    @Test
    void directedModesFollowTheSign() {
        assertThat(Rounding.TOWARD_ZERO.round(-1.7, 0)).isEqualTo(-1.0);
        assertThat(Rounding.TOWARD_ZERO.round(1.7, 0)).isEqualTo(1.0);
        assertThat(Rounding.UP.round(-1.7, 0)).isEqualTo(-1.0);
        assertThat(Rounding.UP.round(1.2, 0)).isEqualTo(2.0);
        assertThat(Rounding.DOWN.round(-1.2, 0)).isEqualTo(-2.0);
        assertThat(Rounding.DOWN.round(1.7, 0)).isEqualTo(1.0);
        assertThat(Double.doubleToRawLongBits(Rounding.TOWARD_ZERO.round(-0.3, 0))).isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    @Test
    void nearestAwayHasNoDoubleRoundingTrap() {
        // floor(x + 0.5) gives 1 for the largest double below 0.5
        assertThat(RNA.round(0.49999999999999994, 0)).isEqualTo(0.0);
        assertThat(RNA.round(-0.49999999999999994, 0)).isEqualTo(-0.0);
        assertThat(RNA.round(0x1p52 + 1, 0)).isEqualTo(0x1p52 + 1);
    }

    @Test
    void stochasticKeepsIntegersAndDependsOnlyOnSeedAndIndex() {
        Rounding sr = new Rounding.Stochastic(42);
        for (int i = 0; i < 1000; i++) {
            assertThat(sr.round(i - 500.0, i)).isEqualTo(i - 500.0);
            double r = sr.round(0.25, i);
            assertThat(r).isIn(0.0, 1.0).isEqualTo(new Rounding.Stochastic(42).round(0.25, i));
        }
        assertThat(CounterRandom.bits(1, 7)).isEqualTo(CounterRandom.bits(1, 7)).isNotEqualTo(CounterRandom.bits(2, 7));
    }

    @Test
    void stochasticIsUnbiasedWithin4Sigma() {
        int n = 100_000;
        for (double frac : new double[] {0.5, 0.1, 0.9, 0.0078125, 1.0 / 3}) {
            Rounding sr = new Rounding.Stochastic(123);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += sr.round(10 + frac, i) - 10;
            }
            double sigma = Math.sqrt(frac * (1 - frac) / n);
            assertThat(Math.abs(sum / n - frac)).as("frac %s", frac).isLessThan(4 * sigma);
        }
    }

    @Test
    void parsesTheCliSpellings() {
        assertThat(Rounding.parse("nearest-even", 0)).isEqualTo(RNE);
        assertThat(Rounding.parse("Nearest-Away", 0)).isEqualTo(RNA);
        assertThat(Rounding.parse("toward-zero", 0)).isEqualTo(Rounding.TOWARD_ZERO);
        assertThat(Rounding.parse("up", 0)).isEqualTo(Rounding.UP);
        assertThat(Rounding.parse("down", 0)).isEqualTo(Rounding.DOWN);
        assertThat(Rounding.parse("stochastic", 9)).isEqualTo(new Rounding.Stochastic(9));
        for (Rounding r : new Rounding[] {RNE, RNA, Rounding.TOWARD_ZERO, Rounding.UP, Rounding.DOWN, new Rounding.Stochastic(3)}) {
            assertThat(Rounding.parse(r.label(), 3)).isEqualTo(r);
        }
        assertThatThrownBy(() -> Rounding.parse("banker", 0)).isInstanceOf(LowbitException.class).hasMessageContaining("banker");
    }
}
