package dev.lowbit.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.format.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.quant.QuantizedMatrix;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.unpack.UnpackStrategy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fast RTN path (int32 codes, FastImUnpack with b per GEMM) against the general one (long codes, Unpacker,
 * ImUnpackGemm.fold, scalar rescale; {@code lowbit.rtnGeneral}): the same embeddings bit for bit, the same weight codes.
 */
class RtnGemmsTest {
    static List<int[]> sequences() {
        SplittableRandom r = new SplittableRandom(8);
        List<int[]> seqs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int[] s = new int[1 + r.nextInt(12)];
            for (int t = 0; t < s.length; t++) {
                s[t] = r.nextInt(BertTest.C.vocabSize());
            }
            seqs.add(s);
        }
        return seqs;
    }

    static float[][] embed(BertWeights w, Precision p, boolean general, List<int[]> seqs, int threads) {
        String old = System.getProperty("lowbit.rtnGeneral");
        System.setProperty("lowbit.rtnGeneral", Boolean.toString(general));
        try (Bert b = new Bert(w, p, GemmBackends.preferred(), threads, true)) {
            float[][] e = b.embed(seqs);
            assertThat(b.verifiedGemms()).isPositive();
            for (GemmSiteStats s : b.stats()) {
                assertThat(s.calls()).isPositive();
                assertThat(s.ratio()).isGreaterThanOrEqualTo(1.0);
            }
            return e;
        } finally {
            if (old == null) {
                System.clearProperty("lowbit.rtnGeneral");
            } else {
                System.setProperty("lowbit.rtnGeneral", old);
            }
        }
    }

    static List<Precision> precisions() {
        QuantParams act255 = QuantParams.of(0.95, 255).withNonZeroAlpha(true);
        return List.of(Precision.imunpack(4), Precision.imunpack(Precision.AUTO_BITS), Precision.imunpack(3).withStrategy(UnpackStrategy.ROW),
                Precision.imunpack(4).withScope(Precision.Scope.ROW), Precision.imunpack(Precision.AUTO_BITS).withScope(Precision.Scope.SEQUENCE),
                Precision.imunpack(4).withWeights(QuantParams.P95_N15),
                Precision.imunpack(4).withWeights(QuantParams.of(0.95, 255).withGranularity(Granularity.ROW)).withActivations(act255),
                Precision.int8(), Precision.int8().withBits(8));
    }

    @Test
    void fastPathEqualsTheGeneralPathBitForBit() {
        BertWeights w = BertTest.weights(11);
        List<int[]> seqs = sequences();
        float[][] imunpack4 = null;
        for (Precision p : precisions()) {
            float[][] general = embed(w, p, true, seqs, 1);
            float[][] fast = embed(w, p, false, seqs, 2);
            for (int i = 0; i < seqs.size(); i++) {
                assertArrayEquals(general[i], fast[i], p.label() + " b=" + p.bitsLabel() + " " + p.scope() + " sequence " + i);
            }
            if (p.equals(Precision.imunpack(4))) {
                imunpack4 = fast;
            }
            if (p.equals(Precision.imunpack(Precision.AUTO_BITS))) {
                for (int i = 0; i < seqs.size(); i++) {
                    assertArrayEquals(imunpack4[i], fast[i], "auto b equals b = 4, sequence " + i);
                }
            }
        }
    }

    @Test
    void weightCodesEqualTheReferenceQuantizer() {
        BertWeights w = BertTest.weights(12);
        for (Precision p : List.of(Precision.imunpack(Precision.AUTO_BITS), Precision.int8(),
                Precision.imunpack(4).withWeights(QuantParams.P95_N15))) {
            try (Bert b = new Bert(w, p, GemmBackends.scalar(), 1)) {
                RtnGemms g = (RtnGemms) b.executor();
                for (int l = 0; l < BertTest.C.layers(); l++) {
                    for (GemmRole r : GemmRole.LINEAR) {
                        RtnQuantizer.RowIntCodes c = g.intWeight(l, r);
                        QuantizedMatrix q = g.quantizedWeight(l, r);
                        assertThat(c).isNotNull();
                        assertArrayEquals(q.codes().data(), Arrays.stream(c.codes()).asLongStream().toArray(), l + " " + r);
                        for (int row = 0; row < c.rows(); row++) {
                            assertThat(c.scales()[row]).isEqualTo(q.scale(row, 0));
                        }
                    }
                }
            }
        }
    }

    @Test
    void heavyHittersAreCountedAtTheGridsBits() {
        assertThat(Precision.imunpack(Precision.AUTO_BITS).statBits()).isEqualTo(4);
        assertThat(Precision.int8().statBits()).isEqualTo(8);
        assertThat(Precision.imunpack(6).statBits()).isEqualTo(6);
        assertThat(Precision.imunpack(Precision.AUTO_BITS).withWeights(QuantParams.of(0.95, 255)).statBits()).isEqualTo(8);
        assertThat(Precision.parseBits("auto")).isEqualTo(Precision.AUTO_BITS);
        assertThat(Precision.parseBits(" 5 ")).isEqualTo(5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Precision.parseBits("x")).isInstanceOf(dev.lowbit.LowbitException.class)
                .hasMessageContaining("auto");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Precision.parseBits("1")).isInstanceOf(dev.lowbit.LowbitException.class);
    }
}
