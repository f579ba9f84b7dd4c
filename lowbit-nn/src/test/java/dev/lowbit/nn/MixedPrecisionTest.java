package dev.lowbit.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackends;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A per-(layer, GEMM group) precision: parsing, and Bert running each group in its preset's executor. */
class MixedPrecisionTest {
    private static final int LAYERS = BertTest.C.layers();

    private static List<int[]> sequences(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> seqs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int[] s = new int[2 + r.nextInt(10)];
            for (int t = 0; t < s.length; t++) {
                s[t] = r.nextInt(BertTest.C.vocabSize());
            }
            seqs.add(s);
        }
        return seqs;
    }

    private static void assertSameBits(float[][] expected, float[][] got, String what) {
        assertThat(got).as(what).hasNumberOfRows(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertArrayEquals(expected[i], got[i], 0f, what + " seq " + i);
            for (int j = 0; j < expected[i].length; j++) {
                assertThat(Float.floatToRawIntBits(got[i][j])).as(what).isEqualTo(Float.floatToRawIntBits(expected[i][j]));
            }
        }
    }

    @Test
    void everyGroupInOnePresetGivesThatPresetsEmbeddingsBitForBit() {
        BertWeights w = BertTest.weights(11);
        List<int[]> seqs = sequences(12);
        for (String name : List.of("fp32", "int8", "imunpack:15", "imunpack", "fp8", "mxfp8", "mxfp4", "nvfp4", "rtn-15", "llm-int8")) {
            float[][] uniform;
            try (Bert u = new Bert(w, Precision.forEmbed(name), GemmBackends.scalar(), 2)) {
                uniform = u.embed(seqs);
            }
            for (MixedPrecision m : List.of(MixedPrecision.uniform(name, LAYERS), MixedPrecision.parse("*=" + name, LAYERS),
                    MixedPrecision.parse("*.qkv=" + name + ",*.attn=" + name + ",0-" + (LAYERS - 1) + ".o=" + name
                            + "\n*.ffn1=" + name + "  # comment\n*.ffn2=" + name, LAYERS))) {
                try (Bert b = new Bert(w, m, GemmBackends.scalar(), 2, null)) {
                    assertSameBits(uniform, b.embed(seqs), name + " as " + m);
                }
            }
        }
    }

    @Test
    void aGroupRunsExactlyItsRoles() {
        BertWeights w = BertTest.weights(13);
        List<int[]> seqs = sequences(14);
        Map<String, RoleCase> cases = Map.of(
                "*.attn=int8", new RoleCase("int8", EnumSet.of(GemmRole.QK, GemmRole.PV)),
                "*.ffn2=fp8,*.o=fp8", new RoleCase("fp8", EnumSet.of(GemmRole.FFN2, GemmRole.O)),
                "*.qkv=nvfp4", new RoleCase("nvfp4", EnumSet.of(GemmRole.Q, GemmRole.K, GemmRole.V)),
                "*.ffn1=imunpack:15", new RoleCase("imunpack:15", EnumSet.of(GemmRole.FFN1)));
        for (Map.Entry<String, RoleCase> c : cases.entrySet()) {
            float[][] expected;
            try (Bert u = new Bert(w, Precision.forEmbed(c.getValue().name()).withRoles(c.getValue().roles()), GemmBackends.scalar(), 1)) {
                expected = u.embed(seqs);
            }
            try (Bert b = new Bert(w, MixedPrecision.parse(c.getKey(), LAYERS), GemmBackends.scalar(), 3, null)) {
                assertSameBits(expected, b.embed(seqs), c.getKey());
            }
        }
    }

    private record RoleCase(String name, java.util.Set<GemmRole> roles) {}

    @Test
    void aRealMixIsDeterministicSharesExecutorsAndDiffersFromItsParts() {
        BertWeights w = BertTest.weights(15);
        List<int[]> seqs = sequences(16);
        MixedPrecision m = MixedPrecision.parse("*=fp8,0.ffn2=int8,1.attn=mxfp4,1.qkv=fp32", LAYERS);
        Map<String, PrecisionGemms> shared = new HashMap<>();
        float[][] one;
        try (Bert a = new Bert(w, m, GemmBackends.scalar(), 1, shared)) {
            one = a.embed(seqs);
        }
        assertThat(shared).containsOnlyKeys("fp8", "int8", "mxfp4");
        PrecisionGemms fp8 = shared.get("fp8");
        try (Bert b = new Bert(w, m, GemmBackends.scalar(), 3, shared)) {
            assertThat(shared.get("fp8")).isSameAs(fp8);
            float[][] all = b.embed(seqs);
            for (int i = 0; i < seqs.size(); i++) { // batch composition and threads do not change a bit
                assertSameBits(new float[][] {all[i]}, b.embed(List.of(seqs.get(i))), "seq " + i);
            }
            assertSameBits(one, all, "1 vs 3 threads");
            assertThat(b.linearWeightBytes()).isLessThan(new Bert(w, Precision.fp32(), GemmBackends.scalar(), 1).linearWeightBytes());
        }
        try (Bert u = new Bert(w, Precision.forEmbed("fp8"), GemmBackends.scalar(), 1)) {
            assertThat(u.embed(seqs)[0]).isNotEqualTo(one[0]);
        }
    }

    @Test
    void textFormRoundTripsAndOverrides() {
        MixedPrecision m = MixedPrecision.parse("*=fp8, 1.ffn2=INT8 ,0.attn=mxfp4", LAYERS);
        assertThat(m.name(1, MixedPrecision.Group.FFN2)).isEqualTo("int8");
        assertThat(m.name(0, MixedPrecision.Group.ATTN)).isEqualTo("mxfp4");
        assertThat(m.name(0, MixedPrecision.Group.FFN2)).isEqualTo("fp8");
        assertThat(m.toString()).isEqualTo("*=fp8,0.attn=mxfp4,1.ffn2=int8");
        assertThat(MixedPrecision.parse(m.toString(), LAYERS)).isEqualTo(m);
        assertThat(MixedPrecision.parse("0.o=int8", LAYERS).name(1, MixedPrecision.Group.O)).isEqualTo("fp32"); // unnamed: fp32
        assertThat(m.with(1, MixedPrecision.Group.QKV, "nvfp4").name(1, MixedPrecision.Group.QKV)).isEqualTo("nvfp4");
        assertThat(m.distinctNames()).containsExactly("fp8", "mxfp4", "int8");
        assertThat(MixedPrecision.isMixed("fp8")).isFalse();
        assertThat(MixedPrecision.isMixed("*=fp8")).isTrue();
    }

    @Test
    void badTextIsAOneLineError() {
        for (String[] c : new String[][] {
                {"*=fp9", "unknown precision 'fp9'"},
                {"0.mlp=fp8", "unknown group 'mlp'"},
                {"2.o=fp8", "layers 2 outside 0..1"},
                {"x.o=fp8", "layers must be *, N or N-M, got 'x'"},
                {"0=fp8", "expected LAYERS.GROUP before '='"},
                {"0.o=", "no precision after '='"},
                {"fp8", "expected LAYERS.GROUP=PRECISION"},
                {" # nothing", "no assignment"},
                {"*=gptq-w4", "cannot be mixed"}}) {
            assertThatThrownBy(() -> MixedPrecision.parse(c[0], LAYERS)).as(c[0]).isInstanceOf(LowbitException.class)
                    .hasMessageContaining(c[1]);
        }
    }
}
