package dev.lowbit.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import dev.lowbit.round.Rounding;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IntFormatTest {

    @Test
    void symmetricPerTensorKnownValues() {
        IntFormat f = IntFormat.symmetric(4); // qmax 7
        float[] x = {7f, -3.5f, 0.5f, -7f, 1.5f};
        float[] y = new float[x.length];
        f.round(x, y, 1, x.length, Rounding.NEAREST_EVEN);
        assertThat(y).containsExactly(7f, -4f, 0f, -7f, 2f); // s = 1; −3.5 → −4 (even), 0.5 → 0, 1.5 → 2
        f.round(x, y, 1, x.length, Rounding.NEAREST_AWAY);
        assertThat(y).containsExactly(7f, -4f, 1f, -7f, 2f);
    }

    @Test
    void everyCodeRoundTripsForEveryWidthAndGranularity() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int bits = 2; bits <= 16; bits++) {
            for (boolean sym : new boolean[] {true, false}) {
                IntFormat f = new IntFormat(bits, sym, Granularity.TENSOR);
                int n = f.qmax() - f.qmin() + 1;
                double scale = 0.37;
                int zero = sym ? 0 : n / 3;
                IntFormat.Cell cell = new IntFormat.Cell(scale, zero);
                long[] sat = new long[1];
                for (int code = f.qmin(); code <= f.qmax(); code++) {
                    float v = IntFormat.value(code, cell);
                    assertThat(f.code(v, cell, Rounding.NEAREST_EVEN, 0, sat)).as("%s code %d", f.name(), code).isEqualTo(code);
                }
                assertThat(sat[0]).isZero();
            }
        }
        for (Granularity g : new Granularity[] {Granularity.TENSOR, Granularity.ROW, Granularity.COLUMN, Granularity.group(5)}) {
            for (boolean sym : new boolean[] {true, false}) {
                IntFormat f = new IntFormat(6, sym, g);
                int rows = 9;
                int cols = 23;
                float[] x = new float[rows * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextGaussian() * (1 + i % 7) + (sym ? 0 : 2));
                }
                float[] y = new float[x.length];
                RoundStats s = f.round(x, y, rows, cols, Rounding.NEAREST_EVEN);
                IntFormat.Encoded e = f.encode(x, rows, cols, Rounding.NEAREST_EVEN);
                assertThat(f.decode(e)).containsExactly(y);
                assertThat(e.scales()).hasSize(g.scaleRows(rows) * g.scaleCols(cols));
                for (int c : e.codes()) {
                    assertThat(c).isBetween(f.qmin(), f.qmax());
                }
                float[] again = new float[x.length];
                f.round(y, again, rows, cols, Rounding.NEAREST_EVEN);
                assertThat(s.count()).isEqualTo(x.length);
                // the max of each cell is exactly representable (symmetric: ±amax = ±qmax·s)
                if (sym && g.kind() == Granularity.Kind.TENSOR) {
                    int argmax = 0;
                    for (int i = 0; i < x.length; i++) {
                        if (Math.abs(x[i]) > Math.abs(x[argmax])) {
                            argmax = i;
                        }
                    }
                    assertThat((double) y[argmax]).isCloseTo(x[argmax], org.assertj.core.data.Offset.offset(1e-5 * Math.abs(x[argmax])));
                }
            }
        }
    }

    @Test
    void asymmetricKeepsZeroExactAndUsesTheFullRange() {
        IntFormat f = new IntFormat(8, false, Granularity.TENSOR);
        float[] x = {0f, 1f, 2f, 10f, 0.3f};
        float[] y = new float[x.length];
        f.round(x, y, 1, x.length, Rounding.NEAREST_EVEN);
        assertThat(y[0]).isEqualTo(0f);
        IntFormat.Encoded e = f.encode(x, 1, x.length, Rounding.NEAREST_EVEN);
        assertThat(e.codes()[3]).isEqualTo(255);
        assertThat(e.zeroPoints()[0]).isZero();
        assertThat(Math.abs(y[4] - 0.3)).isLessThanOrEqualTo(10.0 / 255 / 2 + 1e-7);
    }

    @Test
    void nonFiniteInputIsAnError() {
        assertThatThrownBy(() -> IntFormat.symmetric(8).round(new float[] {1f, Float.NaN}, new float[2], 1, 2, Rounding.NEAREST_EVEN))
                .isInstanceOf(LowbitException.class).hasMessageContaining("finite").hasMessageContaining("element 1");
        assertThatThrownBy(() -> IntFormat.symmetric(17)).isInstanceOf(LowbitException.class);
    }

    @Test
    void oneAndTwoThreadsAgreeWithStochasticRounding() {
        SplittableRandom rnd = new SplittableRandom(2);
        float[] x = new float[300 * 301];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        for (String name : new String[] {"int4", "int4-asym-g64", "int8-row", "int3-col"}) {
            NumberFormat f = Formats.parse(name);
            float[] a = new float[x.length];
            float[] b = new float[x.length];
            f.round(x, a, 300, 301, new Rounding.Stochastic(4), 1);
            f.round(x, b, 300, 301, new Rounding.Stochastic(4), 2);
            assertThat(b).as(name).containsExactly(a);
        }
    }
}
