package dev.lowbit.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lowbit.LowbitException;
import dev.lowbit.round.Rounding;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BlockFormatTest {
    static final List<BlockFormat> ALL = List.of(Formats.MXFP8_E4M3, Formats.MXFP8_E5M2, Formats.MXFP6_E3M2, Formats.MXFP6_E2M3,
            Formats.MXFP4, Formats.MXINT8, Formats.NVFP4, Formats.bfp(4, 32), Formats.bfp(8, 16), Formats.bfp(1, 32));

    private static float[] block(int size, float... head) {
        float[] b = new float[size];
        System.arraycopy(head, 0, b, 0, head.length);
        return b;
    }

    private static float[] round(BlockFormat f, float[] x, int cols) {
        float[] out = new float[x.length];
        f.round(x, out, x.length / cols, cols, Rounding.NEAREST_EVEN);
        return out;
    }

    @Test
    void e8m0CodesRoundTrip() {
        for (int c = 0; c < 255; c++) {
            double v = ScaleFormat.E8M0.decode(c);
            assertThat(v).isEqualTo(Math.scalb(1.0, c - 127));
            assertThat(ScaleFormat.E8M0.encode(Math.getExponent(v) == -1023 ? -127 : c - 127)).isEqualTo(c);
        }
        assertThat(ScaleFormat.E8M0.decode(0xff)).isNaN();
    }

    @Test
    void elementMaximaAndScaleExponents() {
        assertThat(Formats.MXFP8_E4M3.elementEmax()).isEqualTo(8);
        assertThat(Formats.MXFP8_E5M2.elementEmax()).isEqualTo(15);
        assertThat(Formats.MXFP6_E3M2.elementEmax()).isEqualTo(4);
        assertThat(Formats.MXFP6_E2M3.elementEmax()).isEqualTo(2);
        assertThat(Formats.MXFP4.elementEmax()).isEqualTo(2);
        assertThat(Formats.MXINT8.elementEmax()).isEqualTo(0);
        assertThat(Formats.MXINT8.elementMax()).isEqualTo(127 / 64.0);
    }

    @Test
    void mxTestVectorsFromTheFloorRule() {
        float[] y = round(Formats.MXFP8_E4M3, block(32, 500f, -0.3f), 32);
        assertThat(y[0]).isEqualTo(448f); // X = 2^(8−8) = 1, 500 clips to 448
        assertThat(y[1]).isEqualTo(-0.3125f);
        y = round(Formats.MXFP4, block(32, 7f, 2.5f, 0.75f), 32);
        assertThat(Arrays.copyOf(y, 3)).containsExactly(6f, 2f, 1f);
        y = round(Formats.MXFP4, block(32, 8f, 2.5f), 32);
        assertThat(Arrays.copyOf(y, 2)).containsExactly(8f, 2f); // X = 2: 2.5/2 = 1.25 → 1
        y = round(Formats.MXINT8, block(32, 1.5f, 0.01f, -0.01f), 32);
        assertThat(Arrays.copyOf(y, 3)).containsExactly(1.5f, 1f / 64, -1f / 64);
        // E5M2 elements saturate too (no ∞ inside MX): amax 65535 → X = 2^(15 − 15) = 1 → 57344
        y = round(Formats.MXFP8_E5M2, block(32, 65535f), 32);
        assertThat(y[0]).isEqualTo(57344f);
    }

    @Test
    void specialBlocks() {
        float[] x = new float[64];
        x[3] = Float.NaN;
        x[40] = -0f;
        x[41] = 1f;
        for (BlockFormat f : List.of(Formats.MXFP4, Formats.MXFP8_E4M3, Formats.MXINT8, Formats.bfp(4, 32))) {
            float[] y = round(f, x, 64);
            for (int i = 0; i < 32; i++) {
                assertThat(y[i]).as(f.name()).isNaN();
            }
            assertThat(y[41]).isEqualTo(1f);
            BlockFormat.Encoded e = f.encode(x, 1, 64, Rounding.NEAREST_EVEN);
            assertThat(e.scales()[0] & 0xff).isEqualTo(0xff);
            assertThat(e.scales()[1] & 0xff).isEqualTo(127 - f.elementEmax()); // amax 1
        }
        // an all-zero block: scale 2^−127, zeros (sign kept by float elements)
        BlockFormat.Encoded e = Formats.MXFP4.encode(new float[32], 1, 32, Rounding.NEAREST_EVEN);
        assertThat(e.scales()[0]).isEqualTo((byte) 0);
        float[] z = block(32, -0f);
        assertThat(Float.floatToRawIntBits(round(Formats.MXFP4, z, 32)[0])).isEqualTo(Float.floatToRawIntBits(-0f));
        // tiny (float-subnormal) amax: scale clamps at 2^−127, elements stay exact where representable
        float[] t = block(32, 0x1p-130f, 0x1p-128f);
        float[] ty = round(Formats.MXFP8_E4M3, t, 32);
        assertThat(ty[0]).isEqualTo(0x1p-130f);
        assertThat(ty[1]).isEqualTo(0x1p-128f);
    }

    @Test
    void nvfp4TestVector() {
        float[] x = block(16, 10f, 1f, 0.2f);
        float[] y = round(Formats.NVFP4, x, 16);
        assertThat(y[0]).isEqualTo(10f);
        assertThat(y[1]).isEqualTo((float) (0.5 * 448 / 268.8f));
        assertThat(y[2]).isEqualTo(0f);
        BlockFormat.Encoded e = Formats.NVFP4.encode(x, 1, 16, Rounding.NEAREST_EVEN);
        assertThat(e.tensorScale()).isEqualTo(268.8f);
        assertThat(Formats.E4M3.decode(e.scales()[0] & 0xff)).isEqualTo(448);
        // all-zero tensor / block: no NaN
        float[] zeros = new float[32];
        zeros[16] = 3f;
        float[] zy = round(Formats.NVFP4, zeros, 32);
        for (int i = 0; i < 16; i++) {
            assertThat(zy[i]).isEqualTo(0f);
        }
        assertThat(zy[16]).isEqualTo(3f);
        assertThat(round(Formats.NVFP4, new float[16], 16)).containsOnly(0f);
        // the block scale rounds to nearest: ideal 300/6 → e4m3 of amax·S_enc/6 can fall below and clip slightly
        float[] two = new float[32];
        two[0] = 448f * 6f; // tensor amax → S_enc = 1
        two[16] = 300f; // block amax 300 → S_dec = e4m3(50) = 48 (tie to even) → 300/48 = 6.25 → 6
        float[] ty = round(Formats.NVFP4, two, 32);
        assertThat(ty[16]).isEqualTo(288f);
    }

    @Test
    void lastAxisMustHoldWholeBlocks() {
        for (BlockFormat f : List.of(Formats.MXFP4, Formats.NVFP4, Formats.MXINT8)) {
            assertThatThrownBy(() -> f.round(new float[33], new float[33], 1, 33, Rounding.NEAREST_EVEN))
                    .isInstanceOf(LowbitException.class).hasMessageContaining("multiple of the block size");
        }
        // BFP: a short last block is fine
        float[] x = {1f, 2f, 3f, 100f, 0.5f};
        float[] y = new float[5];
        Formats.bfp(3, 4).round(x, y, 1, 5, Rounding.NEAREST_EVEN);
        assertThat(y).containsExactly(0f, 0f, 0f, 96f, 0.5f); // step 2^(6−3+1) = 16; last block step 1/8
    }

    @Test
    void bfpMatchesTheSharedExponentFormula() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int p = 1; p <= 15; p++) {
            BlockFormat f = Formats.bfp(p, 32);
            float[] x = new float[32 * 8];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian() * 3));
            }
            float[] y = round(f, x, 32);
            for (int b = 0; b < 8; b++) {
                double amax = 0;
                for (int i = 0; i < 32; i++) {
                    amax = Math.max(amax, Math.abs(x[b * 32 + i]));
                }
                double step = Math.scalb(1.0, Math.getExponent(amax) - p + 1);
                double qmax = Math.scalb(1.0, p) - 1;
                for (int i = 0; i < 32; i++) {
                    double q = Math.max(-qmax, Math.min(qmax, Math.rint(x[b * 32 + i] / step)));
                    assertThat((double) y[b * 32 + i]).as("p %d", p).isEqualTo(q * step + 0.0);
                }
            }
        }
    }

    @Test
    void encodeDecodeEqualsRoundOnRandomHeavyTailedData() {
        SplittableRandom rnd = new SplittableRandom(5);
        int rows = 7;
        int cols = 64;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() / Math.sqrt(Math.max(1e-3, rnd.nextDouble())));
        }
        x[5] = 0;
        x[6] = -0f;
        x[cols * 3 + 9] = Float.POSITIVE_INFINITY;
        x[cols * 4 + 20] = 1e-40f;
        for (BlockFormat f : ALL) {
            for (Rounding r : List.of(Rounding.NEAREST_EVEN, new Rounding.Stochastic(3), Rounding.TOWARD_ZERO)) {
                float[] y = new float[x.length];
                f.round(x, y, rows, cols, r);
                BlockFormat.Encoded e = f.encode(x, rows, cols, r);
                float[] d = f.decode(e);
                for (int i = 0; i < x.length; i++) {
                    int fi = i;
                    boolean same = Float.isNaN(y[i]) ? Float.isNaN(d[i])
                            : Float.floatToRawIntBits(y[i]) == Float.floatToRawIntBits(d[i]) || (y[i] == 0 && d[i] == 0 && f.element() instanceof IntFormat);
                    assertThat(same).as(() -> f.name() + " " + r.label() + " element " + fi + ": round " + y[fi] + " decode " + d[fi]).isTrue();
                }
                assertThat(e.scales()).hasSize(rows * f.blocksPerRow(cols));
                assertThat(e.elements()).hasSize(PackedCodes.packedLength(x.length, f.elementBits()));
            }
        }
    }

    @Test
    void mxfp4PacksTwoCodesPerByteLowNibbleFirst() {
        float[] x = block(32, 0.5f, 6f, -1f);
        BlockFormat.Encoded e = Formats.MXFP4.encode(x, 1, 32, Rounding.NEAREST_EVEN);
        assertThat(e.elements()).hasSize(16);
        assertThat(e.scales()).containsExactly((byte) 127); // X = 2^(2 − 2)
        assertThat(e.elements()[0]).isEqualTo((byte) 0x71); // 0.5 → 0x1, 6 → 0x7
        assertThat(e.elements()[1]).isEqualTo((byte) 0x0a); // −1 → 0xA
    }

    @Test
    void identicalForOneAndTwoThreadsWithStochasticRounding() {
        SplittableRandom rnd = new SplittableRandom(6);
        int rows = 96;
        int cols = 256;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        for (BlockFormat f : ALL) {
            float[] a = new float[x.length];
            float[] b = new float[x.length];
            RoundStats sa = f.round(x, a, rows, cols, new Rounding.Stochastic(11), 1);
            RoundStats sb = f.round(x, b, rows, cols, new Rounding.Stochastic(11), 2);
            assertThat(b).as(f.name()).containsExactly(a);
            assertThat(sb).isEqualTo(sa);
        }
    }

    @Test
    void stochasticElementsAreUnbiased() {
        // mxfp4 block with amax 4 → X = 1; element 2.6 lies between 2 and 3 with p(up) = 0.6
        int n = 100_000;
        float[] x = new float[32 * (n / 32 + 1)];
        for (int b = 0; b < x.length / 32; b++) {
            x[b * 32] = 4f;
            for (int i = 1; i < 32; i++) {
                x[b * 32 + i] = 2.6f;
            }
        }
        float[] y = new float[x.length];
        Formats.MXFP4.round(x, y, x.length / 32, 32, new Rounding.Stochastic(21));
        double sum = 0;
        long count = 0;
        for (int i = 0; i < x.length; i++) {
            if (i % 32 != 0) {
                assertThat(y[i]).isIn(2f, 3f);
                sum += y[i];
                count++;
            }
        }
        double p = 2.6f - 2;
        assertThat(Math.abs(sum / count - 2.6f)).isLessThan(4 * Math.sqrt(p * (1 - p) / count));
    }
}
