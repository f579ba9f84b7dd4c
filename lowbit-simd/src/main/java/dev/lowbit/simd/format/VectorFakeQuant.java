package dev.lowbit.simd.format;

import dev.lowbit.Flags;
import dev.lowbit.LowbitException;
import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.MiniFloat;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.format.ScaleFormat;
import dev.lowbit.round.Rounding;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API fake quantization with round-to-nearest-even: minifloats ({@link #roundMiniFloat}) and E8M0-scaled
 * MX block formats with minifloat elements ({@link #roundMx}). Bit-identical to {@link ScalarFakeQuant} and to
 * {@code MiniFloat.round} / {@code BlockFormat.round} with {@code Rounding.NEAREST_EVEN}. The species is fixed
 * per JVM from {@code lowbit.vectorBits} (so C2 sees constants); other roundings use the scalar reference.
 */
public final class VectorFakeQuant {
    static final VectorSpecies<Float> F = floatSpecies(Flags.vectorBits());
    static final VectorSpecies<Integer> I = F.withLanes(int.class);

    private VectorFakeQuant() {}

    private static VectorSpecies<Float> floatSpecies(int bits) {
        if (bits == 0) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits) {
            case 64, 128, 256, 512 -> VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
            default -> throw new LowbitException("lowbit.vectorBits must be 64, 128, 256 or 512, got " + bits);
        };
    }

    /** The vector width in bits this JVM uses. */
    public static int vectorBits() {
        return F.vectorBitSize();
    }

    /** True when {@link #round} has a vector path for this format and rounding. */
    public static boolean supports(NumberFormat f, Rounding r) {
        if (!(r instanceof Rounding.NearestEven)) {
            return false;
        }
        return f instanceof MiniFloat m && MiniFloatPlan.applies(m) || f instanceof BlockFormat b && b.scale() instanceof ScaleFormat.E8M0
                && b.element() instanceof MiniFloat e && MiniFloatPlan.applies(e) && b.blockSize() % F.length() == 0;
    }

    /** Fake-quantizes a rows × cols array with RNE; {@link #supports} must hold. */
    public static void round(NumberFormat f, float[] x, float[] out, int rows, int cols) {
        if (!supports(f, Rounding.NEAREST_EVEN)) {
            throw new IllegalArgumentException("no vector path for " + f.name());
        }
        if (f instanceof MiniFloat m) {
            roundMiniFloat(m, x, out, 0, Math.multiplyExact(rows, cols));
        } else {
            roundMx((BlockFormat) f, x, out, rows, cols);
        }
    }

    /** Round-to-nearest-even fake quantization of {@code x[from..to)} into {@code out}, with f's range rule. */
    public static void roundMiniFloat(MiniFloat f, float[] x, float[] out, int from, int to) {
        MiniFloatPlan p = MiniFloatPlan.of(f, false);
        int i = from;
        int upper = from + F.loopBound(to - from);
        for (; i < upper; i += F.length()) {
            roundVector(p, FloatVector.fromArray(F, x, i)).intoArray(out, i);
        }
        ScalarFakeQuant.roundRange(p, x, out, i, to);
    }

    // one vector: see MiniFloatPlan for the math
    private static FloatVector roundVector(MiniFloatPlan p, FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector sign = bits.and(0x80000000);
        IntVector abs = bits.and(0x7fffffff);
        FloatVector a = abs.reinterpretAsFloats();
        IntVector lsb = abs.lanewise(VectorOperators.LSHR, p.shift()).and(p.lsbMask());
        FloatVector normal = abs.add(lsb).add(p.roundBias()).and(p.keepMask()).reinterpretAsFloats();
        FloatVector sub = a.add(p.magic()).sub(p.magic());
        FloatVector r = normal.blend(sub, a.compare(VectorOperators.LT, p.minNormal()));
        VectorMask<Float> over = r.compare(VectorOperators.GT, p.maxFinite());
        r = r.blend(p.overflowToInf() ? Float.POSITIVE_INFINITY : p.maxFinite(), over);
        FloatVector signed = r.reinterpretAsInts().or(sign).reinterpretAsFloats();
        VectorMask<Integer> nan = abs.compare(VectorOperators.GT, 0x7f800000);
        return signed.blend(v, nan.cast(F));
    }

    static void checkMx(BlockFormat f, int cols) {
        if (!(f.scale() instanceof ScaleFormat.E8M0) || !(f.element() instanceof MiniFloat)) {
            throw new IllegalArgumentException(f.name() + " is not an E8M0-scaled minifloat block format");
        }
        f.checkShape(cols);
        if (cols % f.blockSize() != 0) {
            throw new LowbitException(f.name() + ": the last axis must hold whole blocks of " + f.blockSize() + ", got " + cols);
        }
    }

    /**
     * clamp(floor(log2 amax) − emax, −127, 127); amax = 0 → −127. {@code Math.getExponent(float)} returns −127 for
     * zero and float subnormals, whose true floor(log2) is ≤ −127: with emax ≥ 0 all of them clamp to −127 anyway.
     */
    static int sharedExponent(float amax, int emax) {
        return Math.max(-127, Math.min(127, Math.getExponent(amax) - emax));
    }

    /** 2^k as a float for k ∈ [−127, 127] (2^−127 is the subnormal 0x00400000), built from bits. */
    static float powerOfTwo(int k) {
        return k == -127 ? 0x1p-127f : Float.intBitsToFloat((k + 127) << 23);
    }

    /** MX fake quantization (E8M0 FLOOR scale, minifloat elements RNE with saturation) of whole rows. */
    public static void roundMx(BlockFormat f, float[] x, float[] out, int rows, int cols) {
        checkMx(f, cols);
        MiniFloat e = (MiniFloat) f.element();
        MiniFloatPlan p = MiniFloatPlan.of(e, true);
        int emax = e.emax();
        int bs = f.blockSize();
        int n = Math.multiplyExact(rows, cols);
        if (bs % F.length() != 0) {
            ScalarFakeQuant.roundMx(f, x, out, rows, cols);
            return;
        }
        for (int from = 0; from < n; from += bs) {
            int to = from + bs;
            // amax as the integer max of |x|'s bits: same order as the floats for non-negative values, NaN bits
            // above ∞'s, and an integer lane reduction is much cheaper than a float one
            IntVector acc = IntVector.zero(I);
            for (int i = from; i < to; i += F.length()) {
                acc = acc.max(FloatVector.fromArray(F, x, i).reinterpretAsInts().and(0x7fffffff));
            }
            int amaxBits = acc.reduceLanes(VectorOperators.MAX);
            if (amaxBits >= 0x7f800000) {
                Arrays.fill(out, from, to, Float.NaN);
                continue;
            }
            // exponent field − 127 = Math.getExponent(amax) (−127 for zero and subnormals)
            int shared = Math.max(-127, Math.min(127, (amaxBits >>> 23) - 127 - emax));
            float down = powerOfTwo(-shared);
            float up = powerOfTwo(shared);
            for (int i = from; i < to; i += F.length()) {
                roundVector(p, FloatVector.fromArray(F, x, i).mul(down)).mul(up).intoArray(out, i);
            }
        }
    }
}
