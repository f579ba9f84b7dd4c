package dev.lowbit.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.format.Formats;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.format.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.round.Rounding;
import dev.lowbit.tensor.FloatMatrix;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The executors against float64 references on synthetic operands: the k-segmented exact integer path, FP8 with
 * tensor scales, and the zero padding of MX blocks.
 */
class PrecisionGemmsTest {
    static final BertWeights W = BertTest.weights(11);

    static double[] ref(FloatMatrix a, FloatMatrix b) {
        double[] out = new double[a.rows() * b.rows()];
        for (int i = 0; i < a.rows(); i++) {
            for (int j = 0; j < b.rows(); j++) {
                double s = 0;
                for (int k = 0; k < a.cols(); k++) {
                    s += (double) a.get(i, k) * b.get(j, k);
                }
                out[i * b.rows() + j] = s;
            }
        }
        return out;
    }

    static void assertClose(float[] got, double[] want, double rel) {
        double scale = 0;
        for (double v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < want.length; i++) {
            assertThat(Math.abs(got[i] - want[i])).as("entry %d", i).isLessThanOrEqualTo(rel * scale);
        }
    }

    @Test
    void kSegmentsAreExactIntegerGemmsRescaledPerSegment() {
        SplittableRandom r = new SplittableRandom(3);
        for (int g : new int[] {3, 5, 8, 24}) {
            Granularity seg = Granularity.group(g);
            QuantParams q = QuantParams.of(0.9, 15).withGranularity(seg);
            Precision p = Precision.imunpack(4).withScope(Precision.Scope.ROW).withWeights(q).withActivations(q);
            AtomicLong verified = new AtomicLong();
            RtnGemms e = new RtnGemms(W, p, GemmBackends.scalar(), new SiteStatsTable(C_LAYERS), true, verified);
            FloatMatrix x = BertTest.rand(r, 7, BertTest.C.intermediate(), 1.0);
            float[] got = e.linear(1, GemmRole.FFN2, x, new int[] {0, 3, 7});
            // float64 product of the dequantized operands (same codes, same per-segment scales)
            FloatMatrix xq = RtnQuantizer.quantize(x, q).dequantize();
            double[] want = ref(xq, e.effectiveWeight(1, GemmRole.FFN2));
            assertClose(got, want, 1e-6);
            assertThat(verified.get()).isEqualTo((BertTest.C.intermediate() + g - 1) / g); // one exact GEMM per segment
        }
    }

    static final int C_LAYERS = BertTest.C.layers();

    @Test
    void fp8UsesOneScalePerSequenceAndPerMatrix() {
        SplittableRandom r = new SplittableRandom(4);
        FormatGemms e = new FormatGemms(W, Precision.of(Precision.Mode.FP8), GemmBackends.scalar());
        FloatMatrix x = BertTest.rand(r, 6, BertTest.C.hidden(), 2.0);
        int[] blocks = {0, 2, 6};
        float[] got = e.linear(0, GemmRole.V, x, blocks);
        // reference: each sequence block rounded to E4M3 after scaling by 448/amax(block), weights likewise per matrix
        float[] xs = x.toArray();
        float[] xq = new float[xs.length];
        int d = x.cols();
        for (int b = 0; b + 1 < blocks.length; b++) {
            double s = FormatGemms.fp8Scale(xs, blocks[b] * d, blocks[b + 1] * d);
            for (int i = blocks[b] * d; i < blocks[b + 1] * d; i++) {
                xq[i] = (float) (Formats.E4M3.round(xs[i] * s, Rounding.NEAREST_EVEN, i, true) / s);
            }
        }
        assertClose(got, ref(FloatMatrix.wrap(xq, 6, d), e.effectiveWeight(0, GemmRole.V)), 1e-6);
        // a block's result does not depend on the other block
        float[] alone = e.linear(0, GemmRole.V, x.view(2, 0, 4, d), new int[] {0, 4});
        for (int i = 0; i < alone.length; i++) {
            assertThat(alone[i]).isEqualTo(got[2 * d + i]);
        }
    }

    @Test
    void mxPadsTheReductionAxisWithZeros() {
        SplittableRandom r = new SplittableRandom(5);
        FormatGemms e = new FormatGemms(W, Precision.of(Precision.Mode.MXFP8), GemmBackends.scalar());
        FloatMatrix a = BertTest.rand(r, 5, 11, 1.0); // k = 11: one partial block of 32
        FloatMatrix b = BertTest.rand(r, 4, 11, 1.0);
        float[] got = e.product(0, GemmRole.PV, a, b);
        float[] pa = new float[5 * 32];
        float[] pb = new float[4 * 32];
        for (int i = 0; i < 5; i++) {
            System.arraycopy(a.toArray(), i * 11, pa, i * 32, 11);
        }
        for (int i = 0; i < 4; i++) {
            System.arraycopy(b.toArray(), i * 11, pb, i * 32, 11);
        }
        float[] qa = new float[pa.length];
        float[] qb = new float[pb.length];
        Formats.MXFP8_E4M3.round(pa, qa, 5, 32, Rounding.NEAREST_EVEN, 1);
        Formats.MXFP8_E4M3.round(pb, qb, 4, 32, Rounding.NEAREST_EVEN, 1);
        assertClose(got, ref(FloatMatrix.wrap(qa, 5, 32), FloatMatrix.wrap(qb, 4, 32)), 1e-6);
        assertThat(e.effectiveWeight(0, GemmRole.Q).cols()).isEqualTo(BertTest.C.hidden()); // padding columns hidden
    }
}
