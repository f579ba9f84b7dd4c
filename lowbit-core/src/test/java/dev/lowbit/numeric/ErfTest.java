package dev.lowbit.numeric;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ErfTest {
    @Test
    void erfMatchesKnownValues() {
        assertThat(Erf.erf(0)).isZero();
        assertThat(Erf.erf(0.5)).isCloseTo(0.5204998778130465, within(1e-15));
        assertThat(Erf.erf(1)).isCloseTo(0.8427007929497149, within(1e-15));
        assertThat(Erf.erf(2.4999)).isCloseTo(0.9995928300996666, within(1e-13)); // references: Python math.erf
        assertThat(Erf.erf(3)).isCloseTo(0.9999779095030014, within(1e-15));
        assertThat(Erf.erf(-1.5)).isCloseTo(-0.9661051464753108, within(1e-15));
        assertThat(Erf.erf(7)).isEqualTo(1.0);
        assertThat(Erf.phi(-1)).isCloseTo(0.15865525393145707, within(1e-15));
    }

    @Test
    void erfcKeepsRelativeAccuracyInTheTail() {
        // references: Python math.erfc
        assertThat(Erf.erfc(1)).isCloseTo(0.15729920705028513, within(1e-15));
        assertThat(Erf.erfc(2.5) / 4.069520174449590e-4).isCloseTo(1, within(1e-10));
        assertThat(Erf.erfc(3) / 2.209049699858544e-05).isCloseTo(1, within(1e-10));
        assertThat(Erf.erfc(5) / 1.5374597944280349e-12).isCloseTo(1, within(1e-10));
        assertThat(Erf.erfc(10) / 2.088487583762545e-45).isCloseTo(1, within(1e-10));
        assertThat(Erf.erfc(-1)).isCloseTo(2 - 0.15729920705028513, within(1e-15));
        assertThat(Erf.erfc(Double.POSITIVE_INFINITY)).isZero();
    }
}
