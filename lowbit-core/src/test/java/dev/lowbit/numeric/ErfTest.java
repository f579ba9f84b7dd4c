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
}
