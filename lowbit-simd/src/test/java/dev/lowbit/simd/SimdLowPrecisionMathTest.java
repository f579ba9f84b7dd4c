package dev.lowbit.simd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.numeric.LowPrecisionVectorMath;
import dev.lowbit.numeric.MathPrecision;
import dev.lowbit.numeric.ScalarVectorMath;
import dev.lowbit.numeric.VectorMath;
import org.junit.jupiter.api.Test;

/**
 * {@link SimdLowPrecisionMath} against its scalar twin {@link LowPrecisionVectorMath}, bit for bit (rounded to the
 * target and {@code unrounded()}): every bf16 and
 * fp16 bit pattern (NaN, ±∞ and subnormals included) through exp, GELU and erf, and random/edge rows through
 * softmax, at lengths 0..24, around multiples of 16 and some longer, with offsets (the pom runs this at 512, 256 and 128 bits).
 */
class SimdLowPrecisionMathTest {
    static final MathPrecision[] TARGETS = {MathPrecision.BF16, MathPrecision.FP16, MathPrecision.FP8};
    /** 0..24, around the 16-partial and vector boundaries, and MiniLM's row lengths. */
    static final int[] LENGTHS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        31, 32, 33, 47, 48, 49, 63, 64, 65, 127, 128, 129, 384, 1000};

    static LowPrecisionVectorMath scalar(MathPrecision p) {
        return (LowPrecisionVectorMath) new ScalarVectorMath().withMath(p);
    }

    static LowPrecisionVectorMath simd(MathPrecision p) {
        return (LowPrecisionVectorMath) new SimdVectorMath().withMath(p);
    }

    /** All 65536 bf16 patterns, all 65536 fp16 patterns (as floats), and 8192 float32 patterns spread over all. */
    static float[] inputs() {
        float[] x = new float[65536 + 65536 + 8192];
        for (int i = 0; i < 65536; i++) {
            x[i] = Float.intBitsToFloat(i << 16);
            x[65536 + i] = Float.float16ToFloat((short) i);
        }
        for (int i = 0; i < 8192; i++) {
            x[131072 + i] = Float.intBitsToFloat(i * 524309 + (i >>> 3));
        }
        return x;
    }

    @Test
    void withMathPicksTheVectorTwin() {
        VectorMath vm = new SimdVectorMath().withMath(MathPrecision.BF16);
        assertThat(vm).isInstanceOf(SimdLowPrecisionMath.class);
        assertThat(vm.name()).isEqualTo("simd+bf16");
        assertThat(vm.withMath(MathPrecision.FP32)).isInstanceOf(SimdVectorMath.class);
        assertThat(vm.withMath(MathPrecision.FP16).name()).isEqualTo("simd+fp16");
    }

    @Test
    void elementWiseFunctionsAreBitIdentical() {
        float[] x = inputs();
        for (int k = 0; k < 2 * TARGETS.length; k++) {
            MathPrecision p = TARGETS[k % TARGETS.length];
            boolean unrounded = k >= TARGETS.length;
            LowPrecisionVectorMath s = unrounded ? scalar(p).unrounded() : scalar(p);
            LowPrecisionVectorMath v = unrounded ? simd(p).unrounded() : simd(p);
            assertThat(v.name()).isEqualTo("simd+" + p.label() + (unrounded ? "-unrounded" : ""));
            float[] y0 = new float[x.length + 1];
            float[] y1 = new float[x.length + 1];
            s.exp(x, 1, y0, 0, x.length - 1);
            v.exp(x, 1, y1, 0, x.length - 1);
            assertArrayEquals(y0, y1, "exp " + v.name());
            s.gelu(x, 0, y0, 1, x.length);
            v.gelu(x, 0, y1, 1, x.length);
            assertArrayEquals(y0, y1, "gelu " + v.name());
            s.erf(x, 0, y0, 0, x.length);
            v.erf(x, 0, y1, 0, x.length);
            assertArrayEquals(y0, y1, "erf " + v.name());
        }
    }

    @Test
    void softmaxIsBitIdenticalAtEveryLength() {
        long seed = 100;
        for (MathPrecision p : TARGETS) {
            LowPrecisionVectorMath s = scalar(p);
            LowPrecisionVectorMath v = simd(p);
            for (int n : LENGTHS) {
                for (boolean edges : new boolean[] {false, true}) {
                    int off = n % 3;
                    float[] x = SimdVectorMathTest.data(n + off, 6, edges, seed++);
                    float[] y0 = new float[n + 2];
                    float[] y1 = new float[n + 2];
                    double l0 = s.softmax(x, off, 0.125f, y0, 2, n);
                    double l1 = v.softmax(x, off, 0.125f, y1, 2, n);
                    assertArrayEquals(y0, y1, "softmax " + p + " n " + n + " edges " + edges);
                    assertEquals(Double.doubleToLongBits(l0), Double.doubleToLongBits(l1), "lse " + p + " n " + n);
                }
            }
        }
    }

    @Test
    void otherOperationsStayFloat32() {
        float[] x = SimdVectorMathTest.data(300, 3, false, 7);
        float[] g = SimdVectorMathTest.data(300, 1, false, 8);
        float[] y0 = new float[300];
        float[] y1 = new float[300];
        VectorMath fp32 = new SimdVectorMath();
        VectorMath v = fp32.withMath(MathPrecision.FP8);
        fp32.geluBackward(x, 0, g, 0, y0, 0, 300);
        v.geluBackward(x, 0, g, 0, y1, 0, 300);
        assertArrayEquals(y0, y1);
        assertThat(v.sum(x, 0, 300)).isEqualTo(fp32.sum(x, 0, 300));
    }
}
