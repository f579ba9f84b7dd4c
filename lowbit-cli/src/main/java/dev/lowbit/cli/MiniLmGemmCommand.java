package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertConfig;
import dev.lowbit.nn.BertLayerWeights;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.report.Json;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.text.WordPieceTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit minilm-gemm}: export one real GEMM of all-MiniLM-L6-v2 (activations and weight) as .npy. */
@Command(name = "minilm-gemm", mixinStandardHelpOptions = true,
        description = {"Export the operands of a real all-MiniLM-L6-v2 GEMM as .npy, to feed unpack/compare/quantize.",
            "",
            "X = the hidden states entering encoder layer L (FP32, one row per token of the sentences), and",
            "W = that layer's query, key, value or attention-output weight (384×384, nn.Linear layout).", ""},
        footer = {"", "Examples:",
            "  ./lowbit minilm-gemm --layer 3 --weight query --out-lhs X.npy --out-rhs W.npy",
            "  ./lowbit compare --lhs X.npy --rhs W.npy --table"})
final class MiniLmGemmCommand implements Callable<Integer> {
    static final List<String> BUILT_IN = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "Low-precision arithmetic makes large language models cheaper to run.",
            "In the beginning God created the heaven and the earth.",
            "Heavy hitters are the few large values that ruin plain 4-bit quantization.",
            "She sells sea shells by the sea shore, and the shells she sells are surely seashells.",
            "What is the capital of France? Paris is the capital and most populous city of France.",
            "Matrix multiplication dominates the cost of Transformer inference and training.",
            "The weather today is sunny with a light breeze from the west.",
            "Integer GEMMs with 32-bit accumulation are exact as long as the sums fit.",
            "I love reading books about history, especially the Roman Empire.",
            "Sentence embeddings map text to vectors whose cosine similarity reflects meaning.",
            "Please remember to water the plants while I am away next week.",
            "The stock market fell sharply after the announcement on Tuesday.",
            "A good cup of coffee in the morning makes the whole day better.",
            "Quantum computers use qubits, which can be in superpositions of states.",
            "The museum is closed on Mondays but open late on Fridays.");

    @Spec
    CommandSpec spec;

    @Option(names = "--layer", defaultValue = "0", description = "Encoder layer L, 0..5 (default: ${DEFAULT-VALUE}).")
    int layer;

    @Option(names = "--weight", defaultValue = "query", description = "query, key, value or attention-output (default: ${DEFAULT-VALUE}).")
    String weight;

    @Option(names = "--in", paramLabel = "sentences.txt", description = "Sentences, one per line (default: 16 built-in sentences).")
    Path in;

    @Option(names = "--out-lhs", required = true, paramLabel = "X.npy", description = "Where to write the activations (tokens × 384).")
    Path outLhs;

    @Option(names = "--out-rhs", required = true, paramLabel = "W.npy", description = "Where to write the weight (384 × 384).")
    Path outRhs;

    @Override
    public Integer call() {
        Inputs.checkOutput(outLhs, "--out-lhs");
        Inputs.checkOutput(outRhs, "--out-rhs");
        int layers = BertConfig.MINI_LM_L6.layers();
        if (layer < 0 || layer >= layers) {
            throw new LowbitException("--layer must be in 0.." + (layers - 1) + ", got " + layer);
        }
        if (!List.of("query", "key", "value", "attention-output").contains(weight)) {
            throw new LowbitException("unknown --weight '" + weight + "' (use query, key, value or attention-output)");
        }
        List<String> sentences = BUILT_IN;
        if (in != null) { // read (strict UTF-8) before the model loads, so a bad file fails at once
            sentences = EmbedCommand.readLines(in).text().stream().filter(s -> !s.isBlank()).toList();
            if (sentences.isEmpty()) {
                throw new LowbitException(in + ": no sentences");
            }
        }
        BertWeights w = MiniLm.weights();
        BertConfig c = w.config();
        BertLayerWeights lw = w.layers().get(layer);
        FloatMatrix wm = switch (weight) {
            case "query" -> lw.query().weight();
            case "key" -> lw.key().weight();
            case "value" -> lw.value().weight();
            case "attention-output" -> lw.attentionOutput().weight();
            default -> throw new LowbitException("unknown --weight '" + weight + "' (use query, key, value or attention-output)");
        };
        // the hidden states entering layer L are the output of a model truncated to its first L layers
        BertConfig cut = new BertConfig(c.vocabSize(), c.hidden(), layer, c.heads(), c.intermediate(), c.maxPositions(),
                c.typeVocabSize(), c.layerNormEps());
        Bert bert = Bert.fp32(new BertWeights(cut, w.wordEmbeddings(), w.positionEmbeddings(), w.tokenTypeEmbeddings(),
                w.embeddingNorm(), w.layers().subList(0, layer)));
        WordPieceTokenizer tok = MiniLm.tokenizer();
        List<int[]> ids = new ArrayList<>();
        for (String s : sentences) {
            ids.add(tok.encode(s).ids());
        }
        int[][] idArr = ids.toArray(int[][]::new);
        int[][] mask = new int[idArr.length][];
        for (int i = 0; i < idArr.length; i++) {
            mask[i] = new int[idArr[i].length];
            Arrays.fill(mask[i], 1);
        }
        FloatMatrix x = bert.forward(idArr, mask, null).lastHidden();
        Npy.write(outLhs, NpyArray.of(x));
        Npy.write(outRhs, NpyArray.of(wm));
        spec.commandLine().getOut().println(Json.object().put("layer", layer).put("weight", weight).put("sentences", sentences.size())
                .put("lhs", x.shapeString()).put("rhs", wm.shapeString()));
        return 0;
    }
}
