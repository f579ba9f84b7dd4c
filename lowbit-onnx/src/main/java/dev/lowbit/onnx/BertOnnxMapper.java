package dev.lowbit.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.lowbit.LowbitException;
import dev.lowbit.nn.BertConfig;
import dev.lowbit.nn.BertLayerWeights;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.LayerNormWeights;
import dev.lowbit.nn.LinearWeights;
import dev.lowbit.tensor.FloatMatrix;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds a BERT encoder in an ONNX graph by pattern, never by initializer name (the exporters name the
 * MatMul weights {@code onnx::MatMul_787} and so on), and returns its weights with every count and shape
 * checked. The patterns, walked from the graph inputs to the last hidden state:
 *
 * <pre>
 *   embeddings  Gather(E_word, input_ids) + Gather(E_type, token_type_ids) + Gather(E_pos, ·) → LayerNorm
 *   LayerNorm   ReduceMean → Sub → Pow(2) → ReduceMean → Add(eps) → Sqrt → Div → Mul(γ) → Add(β)
 *               (or one LayerNormalization node)
 *   linear      MatMul(x, W[in,out]) → Add(b[out])
 *   layer       three linears on h (Q, K, V: told apart by where they enter the attention:
 *               scores = MatMul(Q…, K…) → Div(√d_h) | Mul(1/√d_h) → Add(mask) → Softmax → MatMul(·, V…)),
 *               → Transpose/Reshape → linear O → Add(h) → LayerNorm → linear FFN1
 *               → GELU (Div(√2) → Erf → Add(1) → Mul → Mul(0.5)) → linear FFN2 → Add → LayerNorm
 * </pre>
 *
 * Layers are followed until the hidden state has no more Q/K/V projections; it must then be a graph
 * output (a pooler, as in older exports, may consume it too and is ignored). Any deviation is a
 * {@link LowbitException} that names the pattern and the graph value where it was expected.
 */
public final class BertOnnxMapper {
    private final OnnxGraph g;

    private BertOnnxMapper(OnnxGraph g) {
        this.g = g;
    }

    /** Maps the graph's weights; throws a one-line error naming what is missing. */
    public static BertWeights map(OnnxGraph graph) {
        return new BertOnnxMapper(graph).run();
    }

    /** Input i of a node, or a one-line error when a damaged graph gives the node fewer inputs. */
    private static String input(NodeProto n, int i) {
        if (i >= n.getInputCount()) {
            throw fail(n.getOpType() + " node '" + n.getName() + "' has " + n.getInputCount() + " inputs, expected at least " + (i + 1));
        }
        return n.getInput(i);
    }

    /** Output i of a node, or a one-line error when a damaged graph gives the node fewer outputs. */
    private static String output(NodeProto n, int i) {
        if (i >= n.getOutputCount()) {
            throw fail(n.getOpType() + " node '" + n.getName() + "' has " + n.getOutputCount() + " outputs, expected at least " + (i + 1));
        }
        return n.getOutput(i);
    }

    private static LowbitException fail(String what) {
        return new LowbitException("ONNX graph does not match BERT: " + what);
    }

    private record Linear(LinearWeights weights, String input, String output, NodeProto matmul) {}

    private record Norm(LayerNormWeights weights, String output) {}

    private BertWeights run() {
        for (String in : List.of("input_ids", "attention_mask")) {
            if (!g.inputs().contains(in)) {
                throw fail("no graph input '" + in + "' (inputs: " + g.inputs() + ")");
            }
        }
        // --- embeddings
        NodeProto word = null;
        NodeProto type = null;
        List<NodeProto> other = new ArrayList<>();
        for (String init : initializerGathers()) {
            for (NodeProto n : g.consumers(init, "Gather")) {
                if (!input(n, 0).equals(init)) {
                    continue;
                }
                switch (input(n, 1)) {
                    case "input_ids" -> word = n;
                    case "token_type_ids" -> type = n;
                    default -> other.add(n);
                }
            }
        }
        if (word == null) {
            throw fail("no word embeddings (Gather of an initializer indexed by 'input_ids')");
        }
        if (other.size() != 1) {
            throw fail("expected exactly one position-embedding Gather (an initializer indexed by position ids), found "
                    + other.size());
        }
        NodeProto pos = other.getFirst();
        FloatMatrix wordTable = table(input(word, 0), "word embeddings");
        int d = wordTable.cols();
        FloatMatrix posTable = table(input(pos, 0), "position embeddings");
        FloatMatrix typeTable = type != null ? table(input(type, 0), "token type embeddings") : FloatMatrix.zeros(1, d);
        if (posTable.cols() != d || typeTable.cols() != d) {
            throw fail("embedding widths differ: word " + wordTable.shapeString() + ", position " + posTable.shapeString()
                    + ", type " + typeTable.shapeString());
        }
        // the sum word + type + position feeds the embedding LayerNorm
        Set<String> expected = new HashSet<>();
        expected.add(output(pos, 0));
        if (type != null) {
            expected.add(output(type, 0));
        }
        String cur = output(word, 0);
        Optional<Norm> embNorm = layerNorm(cur);
        while (embNorm.isEmpty()) {
            List<NodeProto> adds = g.consumers(cur, "Add");
            if (adds.size() != 1) {
                throw fail("embedding sum: expected one Add after '" + cur + "', found " + adds.size());
            }
            NodeProto add = adds.getFirst();
            String otherIn = input(add, 0).equals(cur) ? input(add, 1) : input(add, 0);
            if (!expected.remove(otherIn)) {
                throw fail("embedding sum: Add '" + add.getName() + "' adds '" + otherIn
                        + "', expected the token type or position embeddings");
            }
            cur = output(add, 0);
            embNorm = layerNorm(cur);
        }
        if (!expected.isEmpty()) {
            throw fail("embedding sum: " + expected + " not added before the embedding LayerNorm");
        }
        Norm emb = embNorm.get();

        // --- encoder layers
        List<BertLayerWeights> layers = new ArrayList<>();
        String h = emb.output();
        int heads = -1;
        int intermediate = -1;
        while (true) {
            List<Linear> qkv = linearsOn(h);
            if (qkv.isEmpty()) {
                break;
            }
            int li = layers.size();
            String at = "layer " + li + ": ";
            if (qkv.size() != 3) {
                throw fail(at + "expected 3 projections (Q, K, V: MatMul by a weight + Add bias) of '" + h + "', found " + qkv.size());
            }
            Linear q = null;
            Linear k = null;
            Linear v = null;
            NodeProto scores = null;
            NodeProto context = null;
            NodeProto kScores = null;
            for (Linear lin : qkv) {
                Entry e = attentionEntry(lin.output(), at);
                boolean isQ = isScores(e.node()) && e.index() == 0;
                boolean isK = isScores(e.node()) && e.index() == 1;
                boolean isV = !isScores(e.node()) && e.index() == 1;
                if ((isQ && q != null) || (isK && k != null) || (isV && v != null) || !(isQ || isK || isV)) {
                    throw fail(at + "could not tell Q, K and V apart at '" + lin.output()
                            + "' (expected scores = MatMul(Q, K) → … → Softmax and context = MatMul(P, V))");
                }
                if (isQ) {
                    q = lin;
                    scores = e.node();
                } else if (isK) {
                    k = lin;
                    kScores = e.node();
                } else {
                    v = lin;
                    context = e.node();
                }
            }
            if (q == null || k == null || v == null) {
                throw fail(at + "could not tell Q, K and V apart (scores MatMul(Q, K) → Softmax → MatMul(P, V) not found)");
            }
            if (kScores != scores) {
                throw fail(at + "Q and K enter different MatMuls ('" + scores.getName() + "', '" + kScores.getName() + "')");
            }
            // scores → scale → mask → softmax → context
            String s = output(scores, 0);
            NodeProto scale = single(s, at + "after the attention scores '" + s + "'");
            double headScale;
            Optional<Float> sc = g.scalar(input(scale, 1));
            if (scale.getOpType().equals("Div") && sc.isPresent()) {
                headScale = sc.get();
            } else if (scale.getOpType().equals("Mul") && (sc.isPresent() || g.scalar(input(scale, 0)).isPresent())) {
                headScale = 1.0 / sc.orElseGet(() -> g.scalar(input(scale, 0)).orElseThrow());
            } else {
                throw fail(at + "expected Div or Mul by the constant √d_h after the attention scores, found " + scale.getOpType());
            }
            NodeProto maskAdd = single(output(scale, 0), at + "after the score scaling");
            if (!maskAdd.getOpType().equals("Add")) {
                throw fail(at + "expected Add(mask) after the score scaling, found " + maskAdd.getOpType());
            }
            NodeProto softmax = single(output(maskAdd, 0), at + "after the mask Add");
            if (!softmax.getOpType().equals("Softmax")) {
                throw fail(at + "expected Softmax after the mask Add, found " + softmax.getOpType());
            }
            if (context == null || !input(context, 0).equals(output(softmax, 0))) {
                throw fail(at + "the Softmax output does not enter the context MatMul(P, V)");
            }
            double dh = headScale * headScale;
            int headDim = (int) Math.round(dh);
            if (headDim < 1 || Math.abs(dh - headDim) > 1e-3 * headDim || d % headDim != 0) {
                throw fail(at + "score scale " + headScale + " is not √d_h for a head size dividing " + d);
            }
            int layerHeads = d / headDim;
            if (heads >= 0 && heads != layerHeads) {
                throw fail(at + layerHeads + " heads, earlier layers had " + heads);
            }
            heads = layerHeads;
            // context → Transpose/Reshape → O
            String ctx = skipReshapes(output(context, 0));
            Linear o = linearsOn(ctx).stream().findFirst()
                    .orElseThrow(() -> fail(at + "no output projection (MatMul + Add) after the attention context '" + ctx + "'"));
            String a = residual(o.output(), h, at + "attention residual");
            Norm ln1 = layerNorm(a).orElseThrow(() -> fail(at + "no LayerNorm (ReduceMean→Sub→Pow→ReduceMean→Add→Sqrt→Div→Mul→Add) after the attention residual '" + a + "'"));
            List<Linear> ffn1s = linearsOn(ln1.output());
            if (ffn1s.size() != 1) {
                throw fail(at + "expected one FFN up-projection after '" + ln1.output() + "', found " + ffn1s.size());
            }
            Linear ffn1 = ffn1s.getFirst();
            String gelu = gelu(ffn1.output(), at);
            Linear ffn2 = linearsOn(gelu).stream().findFirst()
                    .orElseThrow(() -> fail(at + "no FFN down-projection after the GELU '" + gelu + "'"));
            String y = residual(ffn2.output(), ln1.output(), at + "FFN residual");
            Norm ln2 = layerNorm(y).orElseThrow(() -> fail(at + "no LayerNorm after the FFN residual '" + y + "'"));
            if (intermediate >= 0 && intermediate != ffn1.weights().out()) {
                throw fail(at + "FFN width " + ffn1.weights().out() + ", earlier layers had " + intermediate);
            }
            intermediate = ffn1.weights().out();
            layers.add(new BertLayerWeights(q.weights(), k.weights(), v.weights(), o.weights(), ln1.weights(), ffn1.weights(),
                    ffn2.weights(), ln2.weights()));
            h = ln2.output();
        }
        if (layers.isEmpty()) {
            throw fail("no encoder layer (three MatMul + Add projections) after the embedding LayerNorm '" + emb.output() + "'");
        }
        if (!g.outputs().contains(h)) {
            throw fail("the last hidden state '" + h + "' after " + layers.size() + " layers is not a graph output (outputs: "
                    + g.outputs() + ")");
        }
        BertConfig config = new BertConfig(wordTable.rows(), d, layers.size(), heads, intermediate, posTable.rows(),
                typeTable.rows(), emb.weights().eps());
        return new BertWeights(config, wordTable, posTable, typeTable, emb.weights(), layers);
    }

    private record Entry(NodeProto node, int index) {}

    /** Follows Reshape/Transpose from a projection output to the activation×activation MatMul it enters. */
    private Entry attentionEntry(String value, String at) {
        String cur = value;
        for (int hop = 0; hop < 8; hop++) {
            List<NodeProto> next = g.consumers(cur).stream().filter(n -> !n.getOpType().equals("Shape")).toList();
            if (next.size() != 1) {
                break;
            }
            NodeProto n = next.getFirst();
            switch (n.getOpType()) {
                case "Reshape", "Transpose" -> cur = output(n, 0);
                case "MatMul" -> {
                    if (g.isInitializer(input(n, 0)) || g.isInitializer(input(n, 1))) {
                        throw fail(at + "projection '" + value + "' enters a MatMul by a weight, not the attention");
                    }
                    return new Entry(n, input(n, 0).equals(cur) ? 0 : 1);
                }
                default -> throw fail(at + "projection '" + value + "' reaches " + n.getOpType() + " '" + n.getName()
                        + "' before any attention MatMul");
            }
        }
        throw fail(at + "projection '" + value + "' does not lead (through Reshape/Transpose) to one attention MatMul");
    }

    /** True when the MatMul's output is scaled and soft-maxed (the scores), false for the context. */
    private boolean isScores(NodeProto matmul) {
        String cur = output(matmul, 0);
        for (int hop = 0; hop < 3; hop++) {
            List<NodeProto> next = g.consumers(cur);
            if (next.size() != 1) {
                return false;
            }
            if (next.getFirst().getOpType().equals("Softmax")) {
                return true;
            }
            cur = output(next.getFirst(), 0);
        }
        return false;
    }

    private String skipReshapes(String value) {
        String cur = value;
        for (int hop = 0; hop < 8; hop++) {
            List<NodeProto> next = g.consumers(cur).stream().filter(n -> !n.getOpType().equals("Shape")).toList();
            if (next.size() == 1 && (next.getFirst().getOpType().equals("Reshape") || next.getFirst().getOpType().equals("Transpose"))) {
                cur = output(next.getFirst(), 0);
            } else {
                break;
            }
        }
        return cur;
    }

    private NodeProto single(String value, String where) {
        List<NodeProto> next = g.consumers(value);
        if (next.size() != 1) {
            throw fail(where + ": expected one consumer of '" + value + "', found " + next.size());
        }
        return next.getFirst();
    }

    /** Add(x, skip) → its output. */
    private String residual(String x, String skip, String where) {
        for (NodeProto n : g.consumers(x, "Add")) {
            if (n.getInputList().contains(skip)) {
                return output(n, 0);
            }
        }
        throw fail(where + ": no Add of '" + x + "' and '" + skip + "'");
    }

    /** Walks the erf-GELU chain from x; returns the value that the FFN down-projection reads. */
    private String gelu(String x, String at) {
        Set<String> seen = new HashSet<>();
        List<String> frontier = new ArrayList<>(List.of(x));
        boolean erf = false;
        boolean sqrt2 = false;
        String last = null;
        int steps = 0;
        while (!frontier.isEmpty() && steps++ < 16) {
            String v = frontier.removeFirst();
            for (NodeProto n : g.consumers(v)) {
                String op = n.getOpType();
                if (op.equals("MatMul") && g.isInitializer(input(n, 1))) {
                    last = v;
                    continue;
                }
                if (!Set.of("Div", "Mul", "Erf", "Add").contains(op)) {
                    throw fail(at + "unexpected " + op + " '" + n.getName() + "' inside the GELU after '" + x + "'");
                }
                erf |= op.equals("Erf");
                for (String in : n.getInputList()) {
                    Optional<Float> c = g.scalar(in);
                    if (c.isPresent() && (Math.abs(c.get() - Math.sqrt(2)) < 1e-5 || Math.abs(c.get() - Math.sqrt(0.5)) < 1e-5)) {
                        sqrt2 = true;
                    }
                }
                if (seen.add(output(n, 0))) {
                    frontier.add(output(n, 0));
                }
            }
        }
        if (!erf || !sqrt2) {
            throw fail(at + "no erf-GELU (Div(√2) → Erf → Add(1) → Mul → Mul(0.5)) after the FFN up-projection '" + x + "'");
        }
        if (last == null) {
            throw fail(at + "the GELU after '" + x + "' does not reach a MatMul by a weight");
        }
        return last;
    }

    /** Every MatMul(x, W) → Add(b) with initializer W (2-D) and b (1-D) that reads {@code x}. */
    private List<Linear> linearsOn(String x) {
        List<Linear> out = new ArrayList<>();
        for (NodeProto mm : g.consumers(x, "MatMul")) {
            if (!input(mm, 0).equals(x) || !g.isInitializer(input(mm, 1))) {
                continue;
            }
            TensorProto wt = g.initializer(input(mm, 1));
            long[] wd = OnnxGraph.dims(wt);
            if (wd.length != 2) {
                throw fail("MatMul '" + mm.getName() + "' has a " + wd.length + "-D weight, expected 2-D");
            }
            List<NodeProto> adds = g.consumers(output(mm, 0), "Add");
            NodeProto add = null;
            String biasName = null;
            for (NodeProto a : adds) {
                String o = input(a, 0).equals(output(mm, 0)) ? input(a, 1) : input(a, 0);
                if (g.isInitializer(o)) {
                    add = a;
                    biasName = o;
                }
            }
            if (add == null) {
                throw fail("MatMul '" + mm.getName() + "' has no bias Add (Add of a 1-D initializer)");
            }
            int in = (int) wd[0];
            int outDim = (int) wd[1];
            float[] b = OnnxGraph.floats(g.initializer(biasName));
            if (b.length != outDim) {
                throw fail("bias '" + biasName + "' has " + b.length + " entries, MatMul '" + mm.getName() + "' has " + outDim + " outputs");
            }
            float[] wIn = OnnxGraph.floats(wt); // [in, out], row-major
            float[] wOut = new float[in * outDim]; // nn.Linear layout: [out, in]
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < outDim; j++) {
                    wOut[j * in + i] = wIn[i * outDim + j];
                }
            }
            out.add(new Linear(new LinearWeights(FloatMatrix.wrap(wOut, outDim, in), b), x, output(add, 0), mm));
        }
        return out;
    }

    /** The LayerNorm that reads {@code x}, decomposed or fused, if there is one. */
    private Optional<Norm> layerNorm(String x) {
        for (NodeProto n : g.consumers(x, "LayerNormalization")) {
            if (n.getInputCount() >= 3 && g.isInitializer(input(n, 1)) && g.isInitializer(input(n, 2))) {
                return Optional.of(new Norm(new LayerNormWeights(OnnxGraph.floats(g.initializer(input(n, 1))),
                        OnnxGraph.floats(g.initializer(input(n, 2))), OnnxGraph.floatAttribute(n, "epsilon", 1e-5f)), output(n, 0)));
            }
        }
        for (NodeProto mean : g.consumers(x, "ReduceMean")) {
            for (NodeProto sub : g.consumers(output(mean, 0), "Sub")) {
                if (!input(sub, 0).equals(x) || !input(sub, 1).equals(output(mean, 0))) {
                    continue;
                }
                String centered = output(sub, 0);
                NodeProto pow = first(g.consumers(centered, "Pow"));
                NodeProto div = first(g.consumers(centered, "Div"));
                if (pow == null || div == null || g.scalar(input(pow, 1)).filter(p -> p == 2f).isEmpty()) {
                    continue;
                }
                NodeProto var = first(g.consumers(output(pow, 0), "ReduceMean"));
                NodeProto addEps = var == null ? null : first(g.consumers(output(var, 0), "Add"));
                if (addEps == null) {
                    continue;
                }
                String epsName = input(addEps, 0).equals(output(var, 0)) ? input(addEps, 1) : input(addEps, 0);
                Optional<Float> eps = g.scalar(epsName);
                NodeProto sqrt = first(g.consumers(output(addEps, 0), "Sqrt"));
                if (eps.isEmpty() || sqrt == null || !input(div, 1).equals(output(sqrt, 0))) {
                    continue;
                }
                NodeProto mul = first(g.consumers(output(div, 0), "Mul"));
                if (mul == null) {
                    continue;
                }
                String gamma = input(mul, 0).equals(output(div, 0)) ? input(mul, 1) : input(mul, 0);
                NodeProto add = first(g.consumers(output(mul, 0), "Add"));
                if (add == null || !g.isInitializer(gamma)) {
                    continue;
                }
                String beta = input(add, 0).equals(output(mul, 0)) ? input(add, 1) : input(add, 0);
                if (!g.isInitializer(beta)) {
                    continue;
                }
                return Optional.of(new Norm(new LayerNormWeights(OnnxGraph.floats(g.initializer(gamma)),
                        OnnxGraph.floats(g.initializer(beta)), eps.get()), output(add, 0)));
            }
        }
        return Optional.empty();
    }

    private static NodeProto first(List<NodeProto> l) {
        return l.isEmpty() ? null : l.getFirst();
    }

    private List<String> initializerGathers() {
        List<String> out = new ArrayList<>();
        for (TensorProto t : g.model().getGraph().getInitializerList()) {
            if (!g.consumers(t.getName(), "Gather").isEmpty() && t.getDimsCount() == 2) {
                out.add(t.getName());
            }
        }
        return out;
    }

    private FloatMatrix table(String init, String what) {
        TensorProto t = g.initializer(init);
        long[] dims = OnnxGraph.dims(t);
        if (dims.length != 2) {
            throw fail(what + " '" + init + "' is " + dims.length + "-D, expected 2-D");
        }
        return FloatMatrix.wrap(OnnxGraph.floats(t), (int) dims[0], (int) dims[1]);
    }
}
