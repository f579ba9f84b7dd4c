package dev.lowbit.simd.format;

import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.MiniFloat;
import java.util.Arrays;

/**
 * The scalar twin of {@link VectorFakeQuant}: the same bit-level algorithm ({@link MiniFloatPlan}), one element
 * at a time. Also the tail loop of the vector kernels.
 */
public final class ScalarFakeQuant {
    private ScalarFakeQuant() {}

    static float round(MiniFloatPlan p, float x) {
        int bits = Float.floatToRawIntBits(x);
        int sign = bits & 0x80000000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            return x;
        }
        float a = Float.intBitsToFloat(abs);
        float r;
        if (a < p.minNormal()) {
            r = (a + p.magic()) - p.magic();
        } else {
            r = Float.intBitsToFloat((abs + p.roundBias() + ((abs >>> p.shift()) & p.lsbMask())) & p.keepMask());
        }
        if (r > p.maxFinite()) {
            r = p.overflowToInf() ? Float.POSITIVE_INFINITY : p.maxFinite();
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(r) | sign);
    }

    /** Round-to-nearest-even fake quantization of {@code x[from..to)} into {@code out}, with f's range rule. */
    public static void roundMiniFloat(MiniFloat f, float[] x, float[] out, int from, int to) {
        roundRange(MiniFloatPlan.of(f, false), x, out, from, to);
    }

    static void roundRange(MiniFloatPlan p, float[] x, float[] out, int from, int to) {
        for (int i = from; i < to; i++) {
            out[i] = round(p, x[i]);
        }
    }

    /** MX (E8M0 scale, MiniFloat element) fake quantization of whole rows, RNE with saturation. */
    public static void roundMx(BlockFormat f, float[] x, float[] out, int rows, int cols) {
        VectorFakeQuant.checkMx(f, cols);
        MiniFloat e = (MiniFloat) f.element();
        MiniFloatPlan p = MiniFloatPlan.of(e, true);
        int emax = e.emax();
        int bs = f.blockSize();
        for (int from = 0; from < rows * cols; from += bs) {
            roundMxBlock(p, emax, x, out, from, from + bs);
        }
    }

    static void roundMxBlock(MiniFloatPlan p, int emax, float[] x, float[] out, int from, int to) {
        float amax = 0;
        for (int i = from; i < to; i++) {
            amax = Math.max(amax, Math.abs(x[i]));
        }
        if (!(amax <= Float.MAX_VALUE)) {
            Arrays.fill(out, from, to, Float.NaN);
            return;
        }
        int shared = VectorFakeQuant.sharedExponent(amax, emax);
        float down = Math.scalb(1f, -shared);
        float up = Math.scalb(1f, shared);
        for (int i = from; i < to; i++) {
            out[i] = round(p, x[i] * down) * up;
        }
    }
}
