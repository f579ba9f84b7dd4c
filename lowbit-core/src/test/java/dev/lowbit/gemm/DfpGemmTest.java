package dev.lowbit.gemm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.quant.DfpQuantizer;
import dev.lowbit.quant.DfpQuantizer.Dfp;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** DFP16 (Das et al. 2018): the shared-exponent encoding and the int32-chunked GEMM against int64 references. */
class DfpGemmTest {
    /** Σ a·b of the codes in int64 (the reference). */
    private static long[] longReference(Dfp a, Dfp b) {
        int k = a.cols();
        long[] out = new long[a.rows() * b.rows()];
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.rows(); j++) {
                long s = 0;
                for (int l = 0; l < k; l++) {
                    s += (long) a.codes()[i * k + l] * b.codes()[j * k + l];
                }
                out[i * b.rows() + j] = s;
            }
        }
        return out;
    }

    private static Dfp randomCodes(int rows, int cols, int maxAbs, int exponent, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        short[] c = new short[rows * cols];
        int max = 0;
        for (int i = 0; i < c.length; i++) {
            c[i] = (short) r.nextInt(-maxAbs, maxAbs + 1);
            max = Math.max(max, Math.abs(c[i]));
        }
        return new Dfp(c, rows, cols, exponent, max, 16);
    }

    @Test
    void encodingUsesOneSharedExponentAndSixteenBitCodes() {
        FloatMatrix x = RandomMatrices.studentT(13, 37, 3, 5);
        double max = 0;
        for (float v : x.toArray()) {
            max = Math.max(max, Math.abs(v));
        }
        Dfp d = DfpQuantizer.encode(x, 16, "x");
        assertThat(d.exponent()).isEqualTo(Math.getExponent(max) - 14);
        assertThat(d.maxAbs()).isBetween(1 << 14, (1 << 15) - 1);
        FloatMatrix back = d.decode();
        double half = Math.scalb(1.0, d.exponent() - 1); // half a code step: round to nearest
        for (int r = 0; r < x.rows(); r++) {
            for (int c = 0; c < x.cols(); c++) {
                assertThat(Math.abs((double) back.get(r, c) - x.get(r, c))).isLessThanOrEqualTo(half);
                assertThat(d.codes()[r * x.cols() + c]).isEqualTo((short) Math.rint(Math.scalb((double) x.get(r, c), -d.exponent())));
            }
        }
        // the top code that would round to 2^15 is clamped; ties go to even; zeros stay zero
        Dfp top = DfpQuantizer.encode(FloatMatrix.of(new float[] {32767.75f, -2.5f, 0f, 1.5f}), 16, "t");
        assertThat(top.exponent()).isZero();
        assertThat(top.codes()).containsExactly((short) 32767, (short) -2, (short) 0, (short) 2);
        Dfp zero = DfpQuantizer.encode(FloatMatrix.zeros(2, 3), 16, "z");
        assertThat(zero.maxAbs()).isZero();
        assertThat(zero.decode().toArray()).containsOnly(0f);
        assertThatThrownBy(() -> DfpQuantizer.encode(FloatMatrix.of(new float[] {1f, Float.NaN}), 16, "grad"))
                .isInstanceOf(LowbitException.class).hasMessageContaining("grad");
        assertThatThrownBy(() -> DfpQuantizer.checkBits(17)).isInstanceOf(LowbitException.class).hasMessageContaining("2..16");
    }

    @Test
    void safeChunkBoundsTheInt32Accumulator() {
        assertThat(DfpGemm.safeChunk(32767, 32767, 1000)).isEqualTo(2); // 2 · 32767² < 2^31 ≤ 3 · 32767²
        assertThat(DfpGemm.safeChunk(1 << 14, 1 << 14, 1000)).isEqualTo(7);
        assertThat(DfpGemm.safeChunk(0, 32767, 50)).isEqualTo(50);
        assertThat(DfpGemm.safeChunk(3, 5, 10)).isEqualTo(10);
        for (int[] mm : new int[][] {{32767, 32767}, {20000, 1234}, {7, 32000}, {1, 1}}) {
            long c = DfpGemm.safeChunk(mm[0], mm[1], Integer.MAX_VALUE);
            assertThat(c * mm[0] * mm[1]).isLessThanOrEqualTo(Integer.MAX_VALUE);
            assertThat((c + 1) * mm[0] * mm[1]).isGreaterThan(Integer.MAX_VALUE);
        }
    }

    /** Full-range int16 codes: the chunked int32 partial sums, flushed into int64, are the exact int64 product. */
    @Test
    void chunkedInt32PartialSumsAreExact() {
        Dfp a = randomCodes(9, 301, 32767, -20, 1);
        Dfp b = randomCodes(7, 301, 32767, -3, 2);
        long[] ref = longReference(a, b);
        assertArrayEquals(ref, DfpGemm.partialSumsExact(a, b, DfpGemm.AUTO_CHUNK));
        assertArrayEquals(ref, DfpGemm.partialSumsExact(a, b, 2));
        // float32 result: the long reference times 2^(Ea+Eb), up to the float32 additions of ⌈k/c⌉ partial sums
        float[] out = new float[9 * 7];
        DfpGemm.multiply(a, b, DfpGemm.AUTO_CHUNK, out, 1);
        for (int i = 0; i < out.length; i++) {
            int row = i / 7;
            int col = i % 7;
            double mass = 0;
            for (int l = 0; l < 301; l++) {
                mass += Math.abs((double) a.codes()[row * 301 + l] * b.codes()[col * 301 + l]);
            }
            double expected = Math.scalb((double) ref[i], -23);
            assertThat(Math.abs(out[i] - expected)).as("element %d", i).isLessThanOrEqualTo(Math.scalb(mass, -23) * 153 * 0x1p-24 + Math.ulp((float) expected));
        }
    }

    /**
     * A reduction that overflows int32 when accumulated in one run (64 products of 32767², 6.9·10¹⁰ ≫ 2^31): the
     * unbounded int32 accumulator wraps, the bounded chunks give the long reference.
     */
    @Test
    void boundedChunksAvoidAnOverflowThatOneInt32RunHits() {
        short[] big = new short[2 * 64];
        Arrays.fill(big, (short) 32767);
        big[64 + 5] = -32767; // second row: one negative product
        Dfp a = new Dfp(big, 2, 64, 0, 32767, 16);
        Dfp b = new Dfp(Arrays.copyOf(big, 64), 1, 64, 0, 32767, 16);
        long[] ref = longReference(a, b);
        assertThat(ref[0]).isEqualTo(64L * 32767 * 32767).isGreaterThan(Integer.MAX_VALUE);
        long[] oneRun = DfpGemm.partialSumsExact(a, b, 64);
        assertThat(oneRun[0]).isNotEqualTo(ref[0]).isEqualTo((long) (int) ref[0]); // wrapped modulo 2^32
        assertArrayEquals(ref, DfpGemm.partialSumsExact(a, b, DfpGemm.AUTO_CHUNK));
        float[] out = new float[2];
        DfpGemm.multiply(a, b, DfpGemm.AUTO_CHUNK, out, 1);
        assertThat((double) out[0]).isCloseTo((double) ref[0], org.assertj.core.data.Percentage.withPercentage(1e-5));
        assertThat((double) out[1]).isCloseTo((double) ref[1], org.assertj.core.data.Percentage.withPercentage(1e-5));
        assertThatThrownBy(() -> DfpGemm.multiply(a, b, 64, new float[2], 1)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("overflow");
    }

    /** Encode + chunked GEMM of float tensors: within DFP16's rounding of the float64 product, on any thread count. */
    @Test
    void floatGemmThroughDfp16IsAccurateAndThreadIndependent() {
        FloatMatrix x = RandomMatrices.outlierChannels(33, 96, 3, 20, 3);
        FloatMatrix w = RandomMatrices.studentT(40, 96, 4, 4);
        Dfp a = DfpQuantizer.encode(x, 16, "x");
        Dfp b = DfpQuantizer.encode(w, 16, "w");
        float[] one = new float[33 * 40];
        float[] three = new float[33 * 40];
        DfpGemm.multiply(a, b, DfpGemm.AUTO_CHUNK, one, 1);
        DfpGemm.multiply(a, b, DfpGemm.AUTO_CHUNK, three, 3);
        assertArrayEquals(one, three);
        double[] ref = ScalarGemm.f64(x, w);
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < one.length; i++) {
            signal += ref[i] * ref[i];
            noise += (one[i] - ref[i]) * (one[i] - ref[i]);
        }
        assertThat(10 * Math.log10(signal / noise)).isGreaterThan(70.0); // 16-bit codes: ~80 dB
    }
}
