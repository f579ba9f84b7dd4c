package dev.lowbit.simd;

import dev.lowbit.Flags;
import dev.lowbit.LowbitException;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses, fixed once per JVM: the CPU's preferred shape, or the width
 * forced with {@code -Dlowbit.vectorBits=128|256|512} (tests run at 128 and 256). They are
 * {@code static final} so that C2 treats lane counts as constants.
 */
public final class Species {
    /** Vector width in bits. */
    public static final int BITS = chooseBits();
    static final VectorShape SHAPE = VectorShape.forBitSize(BITS);
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.withShape(SHAPE);
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED.withShape(SHAPE);
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(SHAPE);
    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(SHAPE);
    static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED.withShape(SHAPE);
    /** float / int lanes per vector. */
    static final int LF = F.length();
    /** double lanes per vector. */
    static final int LD = D.length();
    /** long lanes per vector (= double lanes). */
    static final int LL = L.length();

    /** True when the CPU has 32 vector registers (AVX-512 class): larger register tiles do not spill. */
    static final boolean REGS32 = VectorShape.preferredShape().vectorBitSize() >= 512;
    /**
     * Register tile rows of the micro-kernels (two vectors wide): 8 at 512 bits and 6 at 256 bits with 32
     * registers (measured best on Zen 4), 4 with 16 registers (AVX2: 6×2 accumulators spill).
     */
    static final int MR = !REGS32 ? 4 : BITS == 512 ? 8 : 6;

    private Species() {}

    private static int chooseBits() {
        int preferred = VectorShape.preferredShape().vectorBitSize();
        int bits = Flags.vectorBits();
        if (bits == 0) {
            return preferred;
        }
        if (bits != 128 && bits != 256 && bits != 512) {
            throw new LowbitException("lowbit.vectorBits must be 128, 256 or 512, got " + bits);
        }
        if (bits > preferred) {
            throw new LowbitException("lowbit.vectorBits=" + bits + " is wider than this CPU's vectors (" + preferred + " bits)");
        }
        return bits;
    }

    /** A one-line description, e.g. {@code 512-bit (16 float lanes)}. */
    public static String describe() {
        return BITS + "-bit (" + LF + " float lanes)";
    }
}
