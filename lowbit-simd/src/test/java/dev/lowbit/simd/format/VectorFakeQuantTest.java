package dev.lowbit.simd.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.Flags;
import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.Formats;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.round.Rounding;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Vector kernel vs scalar twin vs the core reference, bit for bit. The build runs this class at the preferred
 * width and again with -Dlowbit.vectorBits=128 and 256 (lowbit-simd/pom.xml).
 */
class VectorFakeQuantTest {
    static final List<MiniFloat> MINIFLOATS = List.of(Formats.E4M3, Formats.E5M2, Formats.E2M1, Formats.E3M2, Formats.E2M3,
            Formats.BF16, Formats.FP16, Formats.TF32, (MiniFloat) Formats.parse("e3m4"), (MiniFloat) Formats.parse("e4m3-ieee"),
            (MiniFloat) Formats.parse("e5m0"), (MiniFloat) Formats.parse("e8m23"), (MiniFloat) Formats.parse("e2m1-b3"));
    static final List<BlockFormat> MX = List.of(Formats.MXFP4, Formats.MXFP8_E4M3, Formats.MXFP8_E5M2, Formats.MXFP6_E3M2,
            Formats.MXFP6_E2M3);

    @Test
    void usesTheRequestedWidth() {
        int want = Flags.vectorBits();
        if (want != 0) {
            assertThat(VectorFakeQuant.vectorBits()).isEqualTo(want);
        }
        assertThat(VectorFakeQuant.vectorBits()).isIn(64, 128, 256, 512);
    }

    /** Random bit patterns (every class: NaN, ±∞, subnormals, huge), values near the format's grid, and edges. */
    static float[] inputs(MiniFloat f, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Float> edge = new ArrayList<>(List.of(0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffffffff)));
        float max = (float) f.maxFinite();
        for (float v : new float[] {max, Math.nextUp(max), (float) (f.maxFinite() * (1 + Math.scalb(1.0, -f.mantissaBits() - 1))),
            (float) f.minNormal(), (float) f.minSubnormal(), (float) f.minSubnormal() / 2, (float) f.minSubnormal() * 1.5f}) {
            edge.add(v);
            edge.add(-v);
            edge.add(Math.nextUp(v));
            edge.add(Math.nextDown(v));
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            if (i < edge.size()) {
                x[i] = edge.get(i);
            } else if (i % 3 == 0) {
                x[i] = Float.intBitsToFloat(rnd.nextInt());
            } else if (i % 3 == 1) {
                // exact ties and near-ties of the format's grid
                int c = rnd.nextInt(f.maxCode());
                double a = f.decode(c);
                double b = f.decode(c + 1);
                float mid = (float) ((a + b) / 2);
                x[i] = switch (rnd.nextInt(3)) {
                    case 0 -> mid;
                    case 1 -> Math.nextUp(mid);
                    default -> Math.nextDown(mid);
                } * (rnd.nextBoolean() ? 1 : -1);
            } else {
                x[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(-20, 20)));
            }
        }
        return x;
    }

    private static void assertSameBits(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i]) && !(Float.isNaN(want[i]) && Float.isNaN(got[i]))) {
                throw new AssertionError(what + " element " + i + ": want " + want[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(want[i]))
                        + "), got " + got[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(got[i])) + ")");
            }
        }
    }

    @Test
    void miniFloatVectorEqualsScalarTwinEqualsReference() {
        for (MiniFloat f : MINIFLOATS) {
            for (int n : new int[] {0, 1, 7, 8, 17, 64, 1000, 40_003}) {
                float[] x = inputs(f, n, n * 31L + f.bits());
                float[] ref = new float[n];
                f.round(x, ref, 1, n, Rounding.NEAREST_EVEN);
                float[] vec = new float[n];
                VectorFakeQuant.roundMiniFloat(f, x, vec, 0, n);
                float[] sca = new float[n];
                ScalarFakeQuant.roundMiniFloat(f, x, sca, 0, n);
                assertSameBits(ref, sca, f.name() + " scalar twin, n=" + n);
                assertSameBits(ref, vec, f.name() + " vector " + VectorFakeQuant.vectorBits() + ", n=" + n);
            }
            // an offset range leaves the rest untouched
            float[] x = inputs(f, 100, 9);
            float[] out = new float[100];
            java.util.Arrays.fill(out, 42f);
            VectorFakeQuant.roundMiniFloat(f, x, out, 3, 97);
            assertThat(out[0]).isEqualTo(42f);
            assertThat(out[99]).isEqualTo(42f);
            assertThat(out[50]).isEqualTo(f.round(x[50]));
        }
    }

    @Test
    void mxVectorEqualsScalarTwinEqualsReference() {
        SplittableRandom rnd = new SplittableRandom(17);
        for (BlockFormat f : MX) {
            for (int rows : new int[] {1, 3, 40}) {
                int cols = 32 * (1 + rnd.nextInt(6));
                float[] x = new float[rows * cols];
                for (int i = 0; i < x.length; i++) {
                    double t = rnd.nextGaussian() / Math.sqrt(Math.max(1e-4, rnd.nextDouble()));
                    x[i] = (float) (t * Math.scalb(1.0, (i / 32) % 50 - 25));
                }
                x[0] = Float.NaN;
                if (x.length > 64) {
                    java.util.Arrays.fill(x, 32, 64, 0f);
                    x[40] = -0f;
                }
                if (x.length > 96) {
                    x[70] = Float.NEGATIVE_INFINITY;
                    x[100] = 1e-40f;
                    x[101] = 3e38f;
                }
                float[] ref = new float[x.length];
                f.round(x, ref, rows, cols, Rounding.NEAREST_EVEN);
                float[] vec = new float[x.length];
                VectorFakeQuant.roundMx(f, x, vec, rows, cols);
                float[] sca = new float[x.length];
                ScalarFakeQuant.roundMx(f, x, sca, rows, cols);
                assertSameBits(ref, sca, f.name() + " scalar twin");
                assertSameBits(ref, vec, f.name() + " vector " + VectorFakeQuant.vectorBits());
            }
        }
    }

    @Test
    void dispatchCoversTheCommonFormats() {
        for (NumberFormat f : List.of(Formats.E4M3, Formats.E2M1, Formats.BF16, Formats.MXFP4, Formats.MXFP8_E4M3)) {
            assertThat(VectorFakeQuant.supports(f, Rounding.NEAREST_EVEN)).as(f.name()).isTrue();
            assertThat(VectorFakeQuant.supports(f, new Rounding.Stochastic(1))).isFalse();
        }
        assertThat(VectorFakeQuant.supports(Formats.NVFP4, Rounding.NEAREST_EVEN)).isFalse();
        assertThat(VectorFakeQuant.supports(Formats.MXINT8, Rounding.NEAREST_EVEN)).isFalse();
        MiniFloat deep = (MiniFloat) Formats.parse("e8m2-b130"); // normals below float32's: reference path only
        assertThat(VectorFakeQuant.supports(deep, Rounding.NEAREST_EVEN)).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VectorFakeQuant.roundMiniFloat(deep, new float[1], new float[1], 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        float[] x = {1.3f, -700f, 0.001f, 3f};
        float[] y = new float[4];
        VectorFakeQuant.round(Formats.E4M3, x, y, 2, 2);
        assertThat(y).containsExactly(1.25f, -448f, 0.001953125f, 3f); // 0.001 = 0.512 · 2^-9 → 2^-9
    }
}
