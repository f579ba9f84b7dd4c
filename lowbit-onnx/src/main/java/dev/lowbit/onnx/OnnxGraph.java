package dev.lowbit.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.lowbit.LowbitException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * An index over an ONNX graph: which node produces and which nodes consume each value, the initializers
 * and the outputs of {@code Constant} nodes, with typed accessors for tensor data.
 */
public final class OnnxGraph {
    private final ModelProto model;
    private final GraphProto graph;
    private final Map<String, NodeProto> producer = new HashMap<>();
    private final Map<String, List<NodeProto>> consumers = new HashMap<>();
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, TensorProto> constants = new HashMap<>();
    private final Set<String> inputs = new LinkedHashSet<>();
    private final Set<String> outputs = new LinkedHashSet<>();

    public OnnxGraph(ModelProto model) {
        this.model = model;
        this.graph = model.getGraph();
        for (TensorProto t : graph.getInitializerList()) {
            initializers.put(t.getName(), t);
        }
        for (ValueInfoProto v : graph.getInputList()) {
            if (!initializers.containsKey(v.getName())) {
                inputs.add(v.getName());
            }
        }
        for (ValueInfoProto v : graph.getOutputList()) {
            outputs.add(v.getName());
        }
        for (NodeProto n : graph.getNodeList()) {
            for (String o : n.getOutputList()) {
                producer.put(o, n);
            }
            for (String i : n.getInputList()) {
                consumers.computeIfAbsent(i, key -> new ArrayList<>()).add(n);
            }
            if (n.getOpType().equals("Constant")) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT() && n.getOutputCount() > 0) {
                        constants.put(n.getOutput(0), a.getT());
                    }
                }
            }
        }
    }

    /** Parses a model; a malformed file is a one-line error. */
    public static OnnxGraph parse(InputStream in, String what) {
        try {
            return new OnnxGraph(ModelProto.parseFrom(in));
        } catch (IOException e) {
            throw new LowbitException("cannot parse ONNX model " + what + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // protobuf reports some malformed input (bad UTF-8 in a string field, ...) as unchecked exceptions
            throw new LowbitException("cannot parse ONNX model " + what + ": " + e, e);
        }
    }

    public ModelProto model() {
        return model;
    }

    public Set<String> inputs() {
        return inputs;
    }

    public Set<String> outputs() {
        return outputs;
    }

    public int nodeCount() {
        return graph.getNodeCount();
    }

    public int initializerCount() {
        return initializers.size();
    }

    public Optional<NodeProto> producer(String value) {
        return Optional.ofNullable(producer.get(value));
    }

    public List<NodeProto> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /** Consumers of {@code value} with the given op type. */
    public List<NodeProto> consumers(String value, String opType) {
        return consumers(value).stream().filter(n -> n.getOpType().equals(opType)).toList();
    }

    public boolean isInitializer(String value) {
        return initializers.containsKey(value);
    }

    /** An initializer or the output of a Constant node. */
    public Optional<TensorProto> constant(String value) {
        TensorProto t = initializers.get(value);
        return Optional.ofNullable(t != null ? t : constants.get(value));
    }

    public TensorProto initializer(String value) {
        TensorProto t = initializers.get(value);
        if (t == null) {
            throw new LowbitException("ONNX: '" + value + "' is not an initializer");
        }
        return t;
    }

    public static long[] dims(TensorProto t) {
        return t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** The element count; a negative dimension or a count beyond {@code long} is a one-line error. */
    public static long numel(TensorProto t) {
        long n = 1;
        for (long d : dims(t)) {
            if (d < 0) {
                throw new LowbitException("ONNX tensor '" + t.getName() + "' has a negative dimension " + d);
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new LowbitException("ONNX tensor '" + t.getName() + "' has too many elements (dims " + t.getDimsList() + ")");
            }
        }
        return n;
    }

    /** Checks, before anything is allocated, that the tensor holds {@code n} elements of {@code bytes} bytes. */
    private static int checkedCount(TensorProto t, int bytes, int typedCount) {
        long n = numel(t);
        if (n > Integer.MAX_VALUE - 16) {
            throw new LowbitException("ONNX tensor '" + t.getName() + "' is too large (" + n + " elements)");
        }
        if (!t.getRawData().isEmpty()) {
            if (t.getRawData().size() != (long) bytes * n) {
                throw new LowbitException("ONNX tensor '" + t.getName() + "' has " + t.getRawData().size() + " raw bytes, expected "
                        + (long) bytes * n);
            }
        } else if (typedCount != n) {
            throw new LowbitException("ONNX tensor '" + t.getName() + "' has " + typedCount + " values, expected " + n);
        }
        return (int) n;
    }

    /** The data of a FLOAT tensor (raw little-endian bytes or float_data). */
    public static float[] floats(TensorProto t) {
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new LowbitException("ONNX tensor '" + t.getName() + "' has data type " + t.getDataType() + ", expected FLOAT");
        }
        int n = checkedCount(t, 4, t.getFloatDataCount());
        float[] out = new float[n];
        if (!t.getRawData().isEmpty()) {
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        } else {
            for (int i = 0; i < n; i++) {
                out[i] = t.getFloatData(i);
            }
        }
        return out;
    }

    /** The data of an INT64 tensor. */
    public static long[] longs(TensorProto t) {
        if (t.getDataType() != TensorProto.DataType.INT64_VALUE) {
            throw new LowbitException("ONNX tensor '" + t.getName() + "' has data type " + t.getDataType() + ", expected INT64");
        }
        int n = checkedCount(t, 8, t.getInt64DataCount());
        long[] out = new long[n];
        if (!t.getRawData().isEmpty()) {
            t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        } else {
            for (int i = 0; i < n; i++) {
                out[i] = t.getInt64Data(i);
            }
        }
        return out;
    }

    /** The value of a one-element FLOAT constant, if {@code value} is one. */
    public Optional<Float> scalar(String value) {
        return constant(value).filter(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE && numel(t) == 1)
                .map(t -> floats(t)[0]);
    }

    /** An integer attribute, or {@code dflt}. */
    public static long intAttribute(NodeProto n, String name, long dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return dflt;
    }

    /** A float attribute, or {@code dflt}. */
    public static float floatAttribute(NodeProto n, String name, float dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return dflt;
    }

    /** An ints attribute, or an empty array. */
    public static long[] intsAttribute(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
        }
        return new long[0];
    }

    /** Op type histogram, for messages. */
    public Map<String, Integer> opCounts() {
        Map<String, Integer> m = new TreeMap<>();
        for (NodeProto n : graph.getNodeList()) {
            m.merge(n.getOpType(), 1, Integer::sum);
        }
        return m;
    }
}
