package dev.lowbit.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.lowbit.LowbitException;
import dev.lowbit.nn.BertWeights;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Strict pattern mapping: the real graph maps completely; damaged graphs give errors naming what is missing. */
class BertOnnxMapperTest {
    static OnnxGraph graph;

    @BeforeAll
    static void load() {
        graph = MiniLm.graph();
    }

    @Test
    void mapsEveryWeightOfTheRealGraph() {
        BertWeights w = BertOnnxMapper.map(graph);
        assertThat(w.layers()).hasSize(6);
        assertThat(graph.nodeCount()).isEqualTo(637);
        // pattern and names agree where the exporter kept names (biases, LayerNorms)
        float[] qb = OnnxGraph.floats(graph.initializer("encoder.layer.3.attention.self.query.bias"));
        float[] kb = OnnxGraph.floats(graph.initializer("encoder.layer.3.attention.self.key.bias"));
        float[] vb = OnnxGraph.floats(graph.initializer("encoder.layer.3.attention.self.value.bias"));
        assertThat(w.layers().get(3).query().bias()).containsExactly(qb);
        assertThat(w.layers().get(3).key().bias()).containsExactly(kb);
        assertThat(w.layers().get(3).value().bias()).containsExactly(vb);
        assertThat(w.layers().get(5).outputNorm().gamma())
                .containsExactly(OnnxGraph.floats(graph.initializer("encoder.layer.5.output.LayerNorm.weight")));
        assertThat(w.embeddingNorm().eps()).isEqualTo(1e-12f);
        // weights are transposed to the nn.Linear layout out × in: W[j][i] = onnx[i][j]
        TensorProto ffn1 = graph.model().getGraph().getInitializerList().stream()
                .filter(t -> t.getName().equals("onnx::MatMul_798")).findFirst().orElseThrow();
        float[] raw = OnnxGraph.floats(ffn1); // [384, 1536]
        assertThat(w.layers().get(0).intermediate().weight().get(7, 5)).isEqualTo(raw[5 * 1536 + 7]);
    }

    private static OnnxGraph edit(UnaryOperator<GraphProto.Builder> f) {
        ModelProto.Builder m = graph.model().toBuilder();
        f.apply(m.getGraphBuilder());
        return new OnnxGraph(m.build());
    }

    private static int nodeIndex(GraphProto.Builder g, String name) {
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).getName().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void missingErfIsNamed() {
        OnnxGraph g = edit(b -> {
            int i = nodeIndex(b, "/encoder/layer.2/intermediate/intermediate_act_fn/Erf");
            NodeProto n = b.getNode(i);
            return b.setNode(i, n.toBuilder().setOpType("Tanh"));
        });
        assertThatThrownBy(() -> BertOnnxMapper.map(g)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("layer 2").hasMessageContaining("Tanh");
    }

    @Test
    void missingLayerNormIsNamed() {
        OnnxGraph g = edit(b -> b.removeNode(nodeIndex(b, "/encoder/layer.4/attention/output/LayerNorm/Sqrt")));
        assertThatThrownBy(() -> BertOnnxMapper.map(g)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("layer 4").hasMessageContaining("LayerNorm");
    }

    @Test
    void missingProjectionIsCounted() {
        OnnxGraph g = edit(b -> b.removeNode(nodeIndex(b, "/encoder/layer.1/attention/self/value/MatMul")));
        assertThatThrownBy(() -> BertOnnxMapper.map(g)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("layer 1").hasMessageContaining("found 2");
    }

    @Test
    void wrongWeightShapeIsNamed() {
        OnnxGraph g = edit(b -> {
            for (int i = 0; i < b.getInitializerCount(); i++) {
                if (b.getInitializer(i).getName().equals("encoder.layer.0.output.dense.bias")) {
                    TensorProto t = b.getInitializer(i);
                    b.setInitializer(i, t.toBuilder().clearDims().addDims(383)
                            .setRawData(t.getRawData().substring(0, 383 * 4)));
                }
            }
            return b;
        });
        assertThatThrownBy(() -> BertOnnxMapper.map(g)).isInstanceOf(LowbitException.class)
                .hasMessageContaining("encoder.layer.0.output.dense.bias").hasMessageContaining("383");
    }

    @Test
    void missingInputIsNamed() {
        OnnxGraph g = edit(b -> {
            for (int i = 0; i < b.getInputCount(); i++) {
                if (b.getInput(i).getName().equals("attention_mask")) {
                    return b.removeInput(i);
                }
            }
            return b;
        });
        assertThatThrownBy(() -> BertOnnxMapper.map(g)).isInstanceOf(LowbitException.class).hasMessageContaining("attention_mask");
    }
}
