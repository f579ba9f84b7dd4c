package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.io.DType;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GemmRole;
import dev.lowbit.nn.GemmSiteStats;
import dev.lowbit.nn.MixedPrecision;
import dev.lowbit.nn.OsPlusFold;
import dev.lowbit.gemm.OsPlus;
import dev.lowbit.nn.Precision;
import dev.lowbit.nn.PrecisionSearch;
import dev.lowbit.numeric.MathPrecision;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.onnx.SentenceEmbedder;
import dev.lowbit.policy.Presets;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.report.Json;
import dev.lowbit.text.WordPieceTokenizer;
import dev.lowbit.unpack.UnpackStrategy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit embed}: sentence embeddings with all-MiniLM-L6-v2 in pure Java, in FP32 or exact low-bit GEMMs. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Embed sentences with all-MiniLM-L6-v2 (BERT, 6 layers, d = 384) running on lowbit's GEMMs.",
            "Reads one UTF-8 sentence per line and writes float32 [N, 384] .npy: mean pooling of the last hidden",
            "state over the attention mask, then L2 normalization (row i = line i). Prints one JSON object:",
            "count, precision, seconds, sentencesPerSecond, and for low-bit precisions the min/mean cosine to",
            "fp32 and the unpack ratio and heavy-hitter fractions of every GEMM of every layer."},
        footer = {"", "Examples:",
            "  ./lowbit embed --in sentences.txt --out E.npy",
            "  ./lowbit embed --in sentences.txt --out E.npy --precision imunpack --batch 32 --threads 2",
            "  ./lowbit embed --in sentences.txt --out E.npy --precision imunpack --levels 15 --bits 4   # the paper's setting",
            "  ./lowbit embed --in sentences.txt --out E.npy --precision int8 --os-plus   # Outlier Suppression+ first",
            "  ./lowbit embed --in sentences.txt --out E.npy --math bf16   # softmax/GELU with bf16 exp/erf",
            "", "Input: a trailing newline does not add a line; CRLF and a UTF-8 BOM are accepted. An empty line is",
            "embedded as the empty text ([CLS] [SEP]), so that row i is always line i. A line longer than 256 word",
            "pieces (including [CLS] and [SEP]) is truncated, as sentence-transformers does; 'truncated' counts them.",
            "A missing, unreadable or non-UTF-8 file is a one-line error (exit 2) and writes nothing: the .npy is",
            "written to a temporary file and renamed only when complete.",
            "", "Precisions (--precision):",
            "  fp32      float32 GEMMs (the reference)",
            "  imunpack  RTN p95/255 levels (--levels 15: the paper's setting) on weights, activations and P, exact",
            "            b-bit GEMMs via IM-Unpack (b per GEMM); 255 levels meet min cosine >= 0.999 to fp32 on real text",
            "  int8      absmax int8 weights per channel and activations per token, exact int GEMMs",
            "  llm-int8  LLM.int8(): outlier columns (|x| >= 6) in float, the rest int8, on the linears",
            "  gptq-w4   GPTQ 4-bit weights (groups of 128) calibrated on built-in text, fp32 activations",
            "  fp8       E4M3 weights and activations with per-tensor scales, fp32 accumulation",
            "  mxfp8     OCP MXFP8 (E4M3, E8M0 scale per 32 along k) on weights and activations",
            "  mxfp4     OCP MXFP4 (E2M1, E8M0 scale per 32 along k) on weights and activations",
            "  nvfp4     NVFP4 (E2M1, E4M3 scale per 16 along k, fp32 tensor scale) on weights and activations",
            "  llm-fp4   LLM-FP4 W4A4 on the linears: FP4 format (E1M2/E2M1/E3M0) and max value searched per tensor",
            "            to minimise the error, weights per output channel, inputs with per-channel pre-shifted",
            "            exponent biases folded into the weights; calibrated on built-in text (llm-fp4-w4a8: FP8 inputs;",
            "            llm-fp4:no-shift: the ablation without the pre-shift)",
            "  switch:B  B-bit weights (B = 2..8) derived from one stored 8-bit absmax model by taking the most",
            "            significant bits; fp32 activations; rtn-w:B quantizes to B bits directly (its baseline)",
            "Every training preset runs too (the same name means the same quantization as train --policy NAME; a",
            "per-tensor scale covers one sentence here, the batch in training): imunpack-fwd and imunpack:L run as",
            "imunpack (L levels), int8 exactly; imunpack-sim, rtn-clip, rtn-15, int4-hq, int4-hq-linear and",
            "bfp-fast are simulated in float (fake quantization; a learned LSQ step is its initialization rule, the",
            "bfp-fast schedule at its last step). On pretrained weights RTN presets take one scale per output",
            "channel and per token (--weight-granularity tensor --scope sequence: the preset's own scales).",
            "--bits, --strategy, --weight-granularity, --scope, --beta and --levels apply to the RTN presets only.",
            "The embeddings do not depend on --bits or --strategy (every integer GEMM is exact); they change only the",
            "unpacked work. By default b and the unpacking (none, row or column) are chosen per GEMM by estimated cost;",
            "heavy-hitter fractions count |code| >= 2^(b-1) at the smallest b that holds the grid (b = 4 for 15 levels,",
            "8 for 254/255), or at --bits when given. --strategy both runs the paper's greedy planner (slower path).",
            "", "Mixed precisions (--precision TEXT or FILE): one preset per layer and GEMM group, e.g.",
            "'*=fp8,0-1.attn=int8,5.ffn2=fp32' (LAYERS.GROUP=PRESET; LAYERS *, N or N-M; GROUP *, qkv, attn (Q·Kᵀ and P·V),",
            "o, ffn1 or ffn2; later entries override, unnamed groups run fp32; '#' starts a comment; in a file, one entry",
            "per line or comma-separated). Each group runs exactly as its preset alone (as above, without the options",
            "--bits ... --levels, which apply to one preset). ./lowbit search finds such policies."})
final class EmbedCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    BackendOption backendOption;

    @Spec
    CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "sentences.txt", description = "UTF-8 text, one sentence per line.")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "E.npy", description = "Output: float32 [N, 384].")
    Path out;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "P", description = "A precision preset: fp32, imunpack, int8, llm-int8, gptq-w4, fp8, mxfp8, mxfp4, nvfp4, llm-fp4, llm-fp4-w4a8, switch:B, rtn-w:B, or any train --policy name (list below; default: ${DEFAULT-VALUE}); or a mixed precision per layer and GEMM group, as text ('*=fp8,0.attn=int8,5.ffn2=fp32') or a file of it (./lowbit search --out writes one).")
    String precision;

    @Option(names = "--bits", paramLabel = "B", description = "Operand width b of the low-bit GEMMs: 2..16, or auto (chosen per GEMM; the default).")
    String bits;

    @Option(names = "--strategy", defaultValue = "auto", paramLabel = "auto|row|column|both",
            description = "IM-Unpack strategy: auto (the cheapest of none/row/column per GEMM), row, column, or both (the greedy; default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--weight-granularity", defaultValue = "row", paramLabel = "row|tensor",
            description = "Scales of the weights: one per output channel (row) or per matrix (tensor, as in the paper) (default: ${DEFAULT-VALUE}).")
    String weightGranularity;

    @Option(names = "--scope", paramLabel = "mixed|row|sequence",
            description = "Activation scales of imunpack/int8: per token for linear inputs and per (sequence, head) in attention (mixed, imunpack's default), per row of every operand (row, int8's default), or per sequence / (sequence, head) (sequence).")
    String scope;

    @Option(names = "--beta", paramLabel = "P", description = "Override the percentile of the low-bit quantizer (imunpack 0.95, int8 1).")
    Double beta;

    @Option(names = "--levels", paramLabel = "N", description = "Override the number of quantization levels (imunpack 255, int8 254; the paper's imunpack: 15).")
    Integer levels;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Sentences per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", paramLabel = "T", description = "Worker threads (default: the number of processors).")
    Integer threads;

    @Option(names = "--no-compare", description = "For low-bit precisions (or --math other than fp32), skip the FP32 run that gives the cosine to fp32.")
    boolean noCompare;

    @Option(names = "--os-plus", description = "Outlier Suppression+ (Wei et al. 2023) before quantizing: per-channel shift z = (max+min)/2 and "
        + "scale s = max(1, |x - z|max / t) of every Q/K/V and FFN1 input, folded into the preceding LayerNorm and the "
        + "linear's weight (W diag(s)) and bias (b + W z), so the FP32 model is unchanged; t searched per input on the 64 "
        + "built-in calibration sentences by the quantized output error under --precision. Needs a precision that "
        + "quantizes the linear inputs (int8, imunpack, imunpack:L, rtn-15, fp8, mxfp4 ...).")
    boolean osPlus;

    @Option(names = "--os-plus-candidates", defaultValue = "20", paramLabel = "N",
            description = "Outlier thresholds t tried per linear input by --os-plus (geometric grid from the largest to the median channel range; 1: shifting only; default: ${DEFAULT-VALUE}).")
    int osPlusCandidates;

    @Option(names = "--math", defaultValue = "fp32", paramLabel = "fp32|bf16|fp16|fp8",
            description = "Softmax and GELU with exp/erf designed for this output format and rounded to it: bf16, fp16 or fp8"
                + " (E4M3, saturating); each within 1 ulp of the exact value in that format for every input of the format,"
                + " with a shorter polynomial than float32's (exp degree 2/3/1 instead of 7). fp32: the float32 math (default: ${DEFAULT-VALUE}).")
    String math;

    @Override
    public Integer call() {
        Inputs.checkOutput(out, "--out");
        if (batch < 1) {
            throw new LowbitException("--batch must be >= 1, got " + batch);
        }
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) {
            throw new LowbitException("--threads must be >= 1, got " + t);
        }
        System.setProperty("lowbit.threads", Integer.toString(t));
        MathPrecision mathPrecision = MathPrecision.parse(math);
        MixedPrecision mixed = mixed(precision);
        if (mixed != null) {
            if (bits != null || beta != null || levels != null || scope != null || !strategy.strip().equalsIgnoreCase("auto")
                    || !weightGranularity.strip().equalsIgnoreCase("row")) {
                throw new LowbitException("--bits, --strategy, --weight-granularity, --scope, --beta and --levels apply to one preset, not to a mixed precision");
            }
            if (osPlus) {
                throw new LowbitException("--os-plus applies to one preset (int8, imunpack, fp8 ...), not to a mixed precision");
            }
            return embedMixed(mixed, t, mathPrecision);
        }
        Precision p = Precision.parse(precision, bits == null ? null : Precision.parseBits(bits)).withStrategy(UnpackStrategy.parse(strategy));
        if (levels != null && levels < 2) {
            throw new LowbitException("--levels must be >= 2, got " + levels);
        }
        if (beta != null && !(beta > 0 && beta <= 1)) {
            throw new LowbitException("--beta must be in (0, 1], got " + beta);
        }
        if (p.rtn()) {
            p = p.withWeights(p.weights().withGranularity(Granularity.parse(weightGranularity)));
            if (scope != null) {
                p = p.withScope(switch (scope.strip().toLowerCase(Locale.ROOT)) {
                    case "mixed" -> Precision.Scope.MIXED;
                    case "row" -> Precision.Scope.ROW;
                    case "sequence" -> Precision.Scope.SEQUENCE;
                    default -> throw new LowbitException("unknown --scope '" + scope + "' (use mixed, row or sequence)");
                });
            }
            // imunpack's embed default, 255 levels, unless the name sets its own (imunpack:31)
            Integer lv = levels != null ? levels : Precision.embedDefaultLevels(precision, p);
            if (beta != null || lv != null) {
                double b = beta != null ? beta : p.weights().beta();
                int n = lv != null ? lv : p.weights().levels();
                p = p.withWeights(new QuantParams(b, n, p.weights().granularity(), false, p.weights().nonZeroAlpha()))
                        .withActivations(new QuantParams(b, n, p.activations().granularity(), false, p.activations().nonZeroAlpha()))
                        .withProbabilities(new QuantParams(b, n, p.probabilities().granularity(), false, p.probabilities().nonZeroAlpha()));
            }
        } else if (beta != null || levels != null || scope != null) {
            throw new LowbitException("--beta, --levels and --scope apply to the RTN presets (imunpack, int8 ...) only, not " + p.label());
        } else if (bits != null) {
            throw new LowbitException("--bits applies to the RTN presets (imunpack, int8 ...) only, not " + p.label());
        }
        if (osPlusCandidates < 1) {
            throw new LowbitException("--os-plus-candidates must be >= 1, got " + osPlusCandidates);
        }
        if (osPlus) {
            OsPlusFold.checkSupported(p);
        }
        Lines lines = sentences();
        long t0 = System.nanoTime();
        BertWeights weights = MiniLm.weights();
        WordPieceTokenizer tokenizer = MiniLm.tokenizer();
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        GemmBackend backend = backendOption.backend();

        Progress progress = Progress.stderr(spec, "embed", (lines.text.size() + batch - 1) / batch);
        float[][] emb;
        double seconds;
        Json j = Json.object();
        long t2 = System.nanoTime();
        try (SentenceEmbedder e = new SentenceEmbedder(tokenizer, weights, p, backend, t, batch, WordPieceTokenizer.DEFAULT_MAX_LENGTH,
                osPlus ? osPlusCandidates : 0)) {
            Json osJson = osPlus ? osPlusJson(e.osPlus(), osPlusCandidates, (System.nanoTime() - t2) / 1e9) : null;
            e.bert().math(mathPrecision);
            long t1 = System.nanoTime();
            emb = e.embed(lines.text, done -> progress.step());
            seconds = (System.nanoTime() - t1) / 1e9;
            progress.done();
            j.put("count", emb.length).put("precision", p.label()).put("seconds", round(seconds))
                    .put("sentencesPerSecond", round(seconds > 0 ? emb.length / seconds : 0)).put("dim", MiniLm.DIM)
                    .put("out", out.toString()).put("batch", batch).put("threads", t).put("backend", backend.name())
                    .put("tokens", e.tokens()).put("truncated", e.truncated()).put("emptyLines", lines.empty)
                    .put("loadSeconds", round(loadSeconds)).put("math", mathPrecision.label());
            j.put("linearWeightBytes", e.bert().linearWeightBytes()).put("residentWeightBytes", e.bert().residentLinearWeightBytes())
                    .put("executor", p.mode().label()).put("scaleScope", Bert.SCALE_SCOPE.label());
            if (osJson != null) {
                j.put("osPlus", osJson);
            }
            if (p.rtn()) {
                j.put("bits", p.autoBits() ? "auto" : p.bits()).put("heavyHitterBits", p.statBits()).put("strategy", p.strategy().label())
                        .put("weightQuant", p.weights().label())
                        .put("activationQuant", p.activations().label() + " (" + scopeText(p.scope()) + ")")
                        .put("probabilityQuant", p.probabilities().label());
                addStats(j, e.bert().stats());
            } else if (p.mode() == Precision.Mode.LLM_INT8) {
                long out = 0;
                long all = 0;
                for (GemmSiteStats st : e.bert().stats()) {
                    out += st.lhsHeavy();
                    all += st.lhsElements();
                }
                j.put("outlierFraction", all == 0 ? 0.0 : round((double) out / all)); // linear-input entries in outlier columns
            } else if (e.bert().executor() instanceof dev.lowbit.nn.LlmFp4Gemms fp4) {
                // per layer and linear: the searched weight / input formats and the input pre-shifts
                java.util.List<Json> layers = new java.util.ArrayList<>();
                for (int l = 0; l < weights.config().layers(); l++) {
                    Json row = Json.object();
                    for (dev.lowbit.nn.GemmRole r : dev.lowbit.nn.GemmRole.LINEAR) {
                        dev.lowbit.nn.LlmFp4Gemms.Choice c = fp4.choice(l, r);
                        row.put(r.label(), "w " + c.weightFormat() + ", x " + c.inputFormat() + " max " + round(c.inputMaxval())
                                + ", shifts mean " + round(c.meanShift()) + " max " + c.maxShift());
                    }
                    layers.add(row);
                }
                j.put("searchedFormats", layers);
            }
        }
        if ((p.quantized() || mathPrecision != MathPrecision.FP32) && !noCompare) {
            compare(j, emb, lines, tokenizer, weights, backend, t);
        }
        write(emb, j);
        return 0;
    }

    /** Per site: threshold, scaled channels, and the calibration output error (sum of squares) plain / shifted / OS+. */
    static Json osPlusJson(OsPlusFold f, int candidates, double seconds) {
        List<Object> sites = new ArrayList<>();
        for (int l = 0; l < f.weights().config().layers(); l++) {
            for (boolean ffn : new boolean[] {false, true}) {
                OsPlus.Transform tr = ffn ? f.ffn1(l) : f.qkv(l);
                if (tr != null) {
                    sites.add(Json.object().put("layer", l).put("input", ffn ? "ffn1" : "qkv").put("threshold", round(tr.threshold()))
                            .put("scaledChannels", tr.scaledChannels()).put("errorPlain", tr.plainError())
                            .put("errorShiftOnly", tr.shiftOnlyError()).put("errorOsPlus", tr.error()));
                }
            }
        }
        return Json.object().put("candidates", candidates).put("calibrationSeconds", round(seconds)).put("sites", sites);
    }

    /** Encoder layers of all-MiniLM-L6-v2 (a mixed precision names them before the model is loaded). */
    static final int MINILM_LAYERS = 6;

    /**
     * The mixed precision that {@code --precision} names — text with '=' ({@code *=fp8,0.attn=int8}), or a file holding
     * it (what {@code ./lowbit search --out} writes) — or null for a preset name.
     */
    static MixedPrecision mixed(String value) {
        if (MixedPrecision.isMixed(value)) {
            return MixedPrecision.parse(value, MINILM_LAYERS);
        }
        String key = value.strip().toLowerCase(Locale.ROOT);
        int colon = key.indexOf(':');
        if (Presets.describe().containsKey(colon < 0 ? key : key.substring(0, colon))) {
            return null;
        }
        Path file = Path.of(value);
        if (!Files.isRegularFile(file)) {
            return null; // Precision.parse reports the unknown name
        }
        Lines lines = readLines(file);
        try {
            return MixedPrecision.parse(String.join("\n", lines.text()), MINILM_LAYERS);
        } catch (LowbitException e) {
            throw new LowbitException("--precision " + value + ": " + e.getMessage());
        }
    }

    /** The sentences of {@code --in}; an empty file is a one-line error. */
    private Lines sentences() {
        Lines lines = readLines(in);
        if (lines.text.isEmpty()) {
            throw new LowbitException(in + ": no sentences (the file is empty)");
        }
        return lines;
    }

    /** {@code embed} with a mixed precision: the embeddings, and the cosines to fp32 unless --no-compare. */
    private Integer embedMixed(MixedPrecision mixed, int t, MathPrecision mathPrecision) {
        Lines lines = sentences();
        long t0 = System.nanoTime();
        BertWeights weights = MiniLm.weights();
        WordPieceTokenizer tokenizer = MiniLm.tokenizer();
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        GemmBackend backend = backendOption.backend();
        Progress progress = Progress.stderr(spec, "embed", (lines.text.size() + batch - 1) / batch);
        float[][] emb;
        Json j = Json.object();
        try (SentenceEmbedder e = new SentenceEmbedder(tokenizer, weights, mixed, backend, t, batch, WordPieceTokenizer.DEFAULT_MAX_LENGTH)) {
            e.bert().math(mathPrecision);
            long t1 = System.nanoTime();
            emb = e.embed(lines.text, done -> progress.step());
            double seconds = (System.nanoTime() - t1) / 1e9;
            progress.done();
            j.put("count", emb.length).put("precision", mixed.toString()).put("seconds", round(seconds))
                    .put("sentencesPerSecond", round(seconds > 0 ? emb.length / seconds : 0)).put("dim", MiniLm.DIM)
                    .put("out", out.toString()).put("batch", batch).put("threads", t).put("backend", backend.name())
                    .put("tokens", e.tokens()).put("truncated", e.truncated()).put("emptyLines", lines.empty)
                    .put("loadSeconds", round(loadSeconds)).put("linearWeightBytes", e.bert().linearWeightBytes())
                    .put("executor", "mixed").put("scaleScope", Bert.SCALE_SCOPE.label()).put("math", mathPrecision.label());
        }
        if ((!mixed.distinctNames().equals(List.of("fp32")) || mathPrecision != MathPrecision.FP32) && !noCompare) {
            compare(j, emb, lines, tokenizer, weights, backend, t);
        }
        write(emb, j);
        return 0;
    }

    private void compare(Json j, float[][] emb, Lines lines, WordPieceTokenizer tokenizer, BertWeights weights, GemmBackend backend, int t) {
        try (SentenceEmbedder f = new SentenceEmbedder(tokenizer, weights, Precision.fp32(), backend, t, batch,
                WordPieceTokenizer.DEFAULT_MAX_LENGTH)) {
            float[][] ref = f.embed(lines.text, null);
            double min = 1;
            double sum = 0;
            for (int i = 0; i < emb.length; i++) {
                double c = cosine(emb[i], ref[i]);
                min = Math.min(min, c);
                sum += c;
            }
            j.put("minCosineToFp32", emb.length == 0 ? null : min).put("meanCosineToFp32", emb.length == 0 ? null : sum / emb.length);
        }
    }

    private void write(float[][] emb, Json j) {
        double[] flat = new double[emb.length * MiniLm.DIM];
        for (int i = 0; i < emb.length; i++) {
            for (int c = 0; c < MiniLm.DIM; c++) {
                flat[i * MiniLm.DIM + c] = emb[i][c];
            }
        }
        Npy.write(out, NpyArray.ofFloats(DType.F32, new int[] {emb.length, MiniLm.DIM}, flat));
        PrintWriter pw = spec.commandLine().getOut();
        pw.println(j);
        pw.flush();
    }

    static String scopeText(Precision.Scope s) {
        return switch (s) {
            case ROW -> "one scale per row of each operand";
            case SEQUENCE -> "one scale per sequence, and per head in attention";
            case MIXED -> "one scale per token for linear inputs, per sequence and head in attention";
        };
    }

    static void addStats(Json j, List<GemmSiteStats> stats) {
        double macs = 0;
        double work = 0;
        double statWork = 0;
        List<Object> layers = new ArrayList<>();
        Map<String, Object> layer = null;
        for (GemmSiteStats s : stats) {
            if (s.role() == GemmRole.Q) {
                layer = new LinkedHashMap<>();
                layer.put("layer", s.layer());
                layers.add(layer);
            }
            macs += s.macs();
            work += s.unpackedMacs();
            statWork += s.statUnpackedMacs();
            layer.put(s.role().label(), Json.object().put("ratio", round(s.ratio())).put("ratioAtHeavyHitterBits", round(s.statRatio())).put("lhsHeavyFraction", round(s.lhsHeavyFraction()))
                    .put("rhsHeavyFraction", round(s.rhsHeavyFraction())).put("calls", s.calls()));
        }
        j.put("unpackRatio", round(macs == 0 ? 1 : work / macs)).put("unpackRatioAtHeavyHitterBits", round(macs == 0 ? 1 : statWork / macs))
                .put("layers", layers);
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    static double cosine(float[] a, float[] b) {
        return PrecisionSearch.cosine(a, b);
    }

    record Lines(List<String> text, int empty) {}

    /** Reads strict UTF-8 lines: no trailing empty line for a final newline, CR and BOM removed. */
    static Lines readLines(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new LowbitException("cannot read " + file + ": no such file");
        } catch (IOException e) {
            throw new LowbitException("cannot read " + file + ": " + e.getMessage());
        }
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new LowbitException("cannot read " + file + ": not valid UTF-8");
        }
        if (s.startsWith("\uFEFF")) {
            s = s.substring(1);
        }
        List<String> lines = new ArrayList<>();
        int empty = 0;
        if (!s.isEmpty()) {
            String[] parts = s.split("\n", -1);
            int n = parts.length;
            if (s.endsWith("\n")) {
                n--;
            }
            for (int i = 0; i < n; i++) {
                String l = parts[i].endsWith("\r") ? parts[i].substring(0, parts[i].length() - 1) : parts[i];
                if (l.isBlank()) {
                    empty++;
                }
                lines.add(l);
            }
        }
        return new Lines(lines, empty);
    }
}
