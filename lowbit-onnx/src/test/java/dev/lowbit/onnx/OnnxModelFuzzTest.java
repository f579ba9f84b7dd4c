package dev.lowbit.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lowbit.LowbitException;
import java.io.ByteArrayInputStream;

/**
 * Fuzz target: the ONNX loader and BERT graph mapper on truncated and mutated model protobufs. The committed
 * corpus holds the real all-MiniLM-L6-v2 graph with its weights cut to a few bytes each (the full pattern, 60 KB)
 * and truncated prefixes of it. Either the parse, every tensor accessor and the mapping succeed, or each fails with
 * a one-line {@link LowbitException}; never a protobuf exception, IndexOutOfBounds, NegativeArraySize, OOM or NPE.
 */
class OnnxModelFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void parseAndMap(byte[] data) {
        OnnxGraph g;
        try {
            g = OnnxGraph.parse(new ByteArrayInputStream(data), "fuzz.onnx");
        } catch (LowbitException e) {
            assertOneLine(e);
            return;
        }
        for (TensorProto t : g.model().getGraph().getInitializerList()) {
            try {
                if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
                    assertThat((long) OnnxGraph.longs(t).length).isEqualTo(OnnxGraph.numel(t));
                } else {
                    assertThat((long) OnnxGraph.floats(t).length).isEqualTo(OnnxGraph.numel(t));
                }
            } catch (LowbitException e) {
                assertOneLine(e);
            }
        }
        try {
            BertOnnxMapper.map(g);
        } catch (LowbitException e) {
            assertOneLine(e);
        }
    }

    static void assertOneLine(LowbitException e) {
        assertThat(e.getMessage()).isNotBlank().doesNotContain("\n").doesNotContain("\r");
        assertThat(e.getMessage().length()).isLessThanOrEqualTo(LowbitException.MAX_LENGTH);
    }
}
