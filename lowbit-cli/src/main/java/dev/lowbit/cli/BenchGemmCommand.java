package dev.lowbit.cli;

import dev.lowbit.Flags;
import dev.lowbit.LowbitException;
import dev.lowbit.format.Granularity;
import dev.lowbit.gemm.FastImUnpack;
import dev.lowbit.gemm.Gemm;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.GemmLayout;
import dev.lowbit.gemm.ImUnpackGemm;
import dev.lowbit.gemm.ImUnpackResult;
import dev.lowbit.gemm.ImUnpackSpec;
import dev.lowbit.gemm.IntEpilogue;
import dev.lowbit.onednn.OneDnn;
import dev.lowbit.onednn.OneDnnGemmBackend;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.report.Json;
import dev.lowbit.simd.OpenBlas;
import dev.lowbit.simd.SimdGemmBackend;
import dev.lowbit.simd.Species;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.IntMatrix;
import dev.lowbit.tensor.LongMatrix;
import dev.lowbit.tensor.RandomMatrices;
import dev.lowbit.unpack.UnpackStrategy;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lowbit bench gemm}: lowbit's FP32 GEMM, its exact low-bit integer GEMMs (on the chosen backend: oneDNN's
 * int8 dot-product kernels where present), end-to-end IM-Unpack GEMMs, and the peers — the system OpenBLAS SGEMM and
 * oneDNN's own s8s8s32 and sgemm (through FFM) — measured in one run, round-robin, so that every entry sees the same
 * machine conditions. Every entry counts 2·M·N·K operations.
 */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = {"Measure lowbit's GEMMs against OpenBLAS SGEMM and oneDNN in the same run.",
            "Prints one JSON object: {\"shape\":…,\"threads\":…,\"results\":[{\"name\":…,\"opsPerSecond\":…,\"seconds\":…},…]}",
            "Entries: lowbit-fp32; lowbit-int8-exact, lowbit-int4-exact, lowbit-int2-exact (exact int32 results on --backend);",
            "lowbit-imunpack-b4 (quantize, unpack, low-bit GEMM, fold, rescale on a heavy-tailed input, p95/15 levels);",
            "lowbit-imunpack-b8 (the same end to end at b = 8 on p95/255 codes of both operands);",
            "openblas-sgemm (the system OpenBLAS through FFM, or the reason it is missing);",
            "onednn-s8s8s32, onednn-sgemm (oneDNN's own GEMMs through FFM: the int8 peer and its FP32).",
            "Repetitions run round-robin over the entries; medians are reported. 2·M·N·K ops per entry."},
        footer = {"", "Examples:", "  ./lowbit bench gemm --shape 4096x1536x384 --threads 1",
            "  ./lowbit bench gemm --shape 1024x1024x1024 --threads 2 --reps 9",
            "  ./lowbit bench gemm --shape 4096x1536x384 --layout nn --only lowbit-fp32,openblas-sgemm",
            "  ./lowbit bench gemm --backend simd --only lowbit-fp32,lowbit-int8-exact   # the pure-Java integer kernels",
            "", "--backend onednn needs oneDNN's exact int8 path (AVX512-VNNI / AVX-VNNI / AMX: b <= 8; AVX2: b <= 7);",
            "the 'backend' field of the output says which backend ran and why oneDNN is missing if it is."})
final class BenchGemmCommand implements Callable<Integer> {
    static final List<String> NAMES = List.of("lowbit-fp32", "lowbit-int8-exact", "lowbit-int4-exact", "lowbit-int2-exact",
            "lowbit-imunpack-b4", "lowbit-imunpack-b8", "openblas-sgemm", "onednn-s8s8s32", "onednn-sgemm");

    @Spec
    CommandSpec spec;

    @Option(names = "--shape", defaultValue = "4096x1536x384", paramLabel = "MxNxK",
            description = "C (M×N) = A (M×K) · Bᵀ (B is N×K, the nn.Linear layout) (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--threads", defaultValue = "1", description = "Threads for lowbit and OpenBLAS (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--layout", defaultValue = "nt", description = "nt (B is N×K) or nn (B is K×N) for the FP32 entries (default: ${DEFAULT-VALUE}).")
    String layout;

    @Option(names = "--reps", defaultValue = "7", description = "Timed repetitions per entry; the median is reported (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--rep-seconds", defaultValue = "0.3", description = "Each repetition repeats the call for at least this long (default: ${DEFAULT-VALUE}).")
    double repSeconds;

    @Option(names = "--warmup", defaultValue = "3", description = "Seconds of JIT warm-up per entry before timing (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--only", split = ",", paramLabel = "NAME", description = "Run only these entries (default: all).")
    List<String> only;

    @Option(names = "--max-foreign", defaultValue = "0.2", paramLabel = "CORES",
            description = "Retry a repetition (up to 3 times) when other processes used more CPU cores than this during it (default: ${DEFAULT-VALUE}).")
    double maxForeign;

    @Option(names = "--openblas-library", paramLabel = "NAME", description = "Load OpenBLAS from this library name or path instead of the system's.")
    String openblasLibrary;

    @Option(names = "--paths", description = "Also time every exact integer path (swar, i16, f32, f64) for b = 2..12: how the default per b was chosen.")
    boolean paths;

    @Option(names = "--sweep", description = "Also run IM-Unpack end to end on inputs with larger unpack ratios.")
    boolean sweep;

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Backend of the lowbit-int* and lowbit-imunpack-* entries (default: the preferred one: onednn where it is exact, else simd).")
    String backendName;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random operands (default: ${DEFAULT-VALUE}).")
    long seed;

    /** One benchmark entry: a call to time plus what to report about it. */
    record Entry(String name, Runnable call, Map<String, Object> info) {}

    @Override
    public Integer call() {
        int[] s = BenchShapes.parse(shape);
        int m = s[0];
        int n = s[1];
        int k = s[2];
        if (threads < 1) {
            throw new LowbitException("--threads must be at least 1, got " + threads);
        }
        if (reps < 1 || repSeconds <= 0 || warmup < 0) {
            throw new LowbitException("--reps must be ≥ 1, --rep-seconds > 0 and --warmup ≥ 0");
        }
        boolean nn = switch (layout.toLowerCase(Locale.ROOT)) {
            case "nt" -> false;
            case "nn" -> true;
            default -> throw new LowbitException("--layout must be nt or nn, got '" + layout + "'");
        };
        if (only != null) {
            for (String o : only) {
                if (!NAMES.contains(o)) {
                    throw new LowbitException("unknown entry '" + o + "' (known: " + String.join(", ", NAMES) + ")");
                }
            }
        }
        double ops = 2.0 * m * n * k;
        SimdGemmBackend be = new SimdGemmBackend(threads);
        GemmBackend ib = GemmBackends.select(backendName == null ? Flags.backend() : backendName).withThreads(threads);
        List<Entry> entries = new ArrayList<>();
        Map<String, Object> openblasInfo = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            FloatMatrix a = RandomMatrices.gaussian(m, k, seed);
            FloatMatrix b = nn ? RandomMatrices.gaussian(k, n, seed + 1) : RandomMatrices.gaussian(n, k, seed + 1);
            if (wanted("lowbit-fp32")) {
                FloatMatrix c = FloatMatrix.zeros(m, n);
                entries.add(new Entry("lowbit-fp32", () -> be.gemmF32(nn ? GemmLayout.NN : GemmLayout.NT, a, b, c),
                        info("layout", nn ? "nn" : "nt", "vectorBits", Species.BITS)));
            }
            for (int bits : new int[] {8, 4, 2}) {
                String name = "lowbit-int" + bits + "-exact";
                if (wanted(name)) {
                    entries.add(intEntry(name, ib, m, n, k, bits, null));
                }
            }
            if (wanted("lowbit-imunpack-b4")) {
                entries.add(imUnpackEntry(ib, m, n, k));
            }
            if (wanted("lowbit-imunpack-b8")) {
                entries.add(imUnpackB8Entry(ib, m, n, k));
            }
            Optional<OneDnn> dnn = wanted("onednn-s8s8s32") || wanted("onednn-sgemm") ? OneDnn.get() : Optional.empty();
            dnn.ifPresent(d -> entries.addAll(oneDnnEntries(d, m, n, k)));
            if (sweep) {
                entries.addAll(sweepEntries(be, m, n, k));
            }
            if (paths) {
                for (int bits = 2; bits <= 12; bits++) {
                    for (SimdGemmBackend.Path path : SimdGemmBackend.Path.values()) {
                        if (bits <= path.maxBits() && (path != SimdGemmBackend.Path.F32 || bits >= 4)
                                && (path != SimdGemmBackend.Path.F64 || bits >= 10)) {
                            entries.add(intEntry("lowbit-int" + bits + "-exact-" + path.name().toLowerCase(Locale.ROOT), be, m, n, k, bits, path));
                        }
                    }
                }
            }
            if (wanted("openblas-sgemm")) {
                Optional<OpenBlas> blas = openblasLibrary == null ? OpenBlas.load() : OpenBlas.load(openblasLibrary);
                if (blas.isPresent()) {
                    OpenBlas ob = blas.get();
                    ob.setThreads(threads);
                    MemorySegment sa = arena.allocate(4L * m * k, 64);
                    MemorySegment sb = arena.allocate(4L * n * k, 64);
                    MemorySegment sc = arena.allocate(4L * m * n, 64);
                    MemorySegment.copy(a.data(), 0, sa, ValueLayout.JAVA_FLOAT, 0, m * k);
                    MemorySegment.copy(b.data(), 0, sb, ValueLayout.JAVA_FLOAT, 0, n * k);
                    openblasInfo.putAll(info("installed", true, "library", ob.library(), "config", ob.config(), "core", ob.core()));
                    // sanity check outside the timing: OpenBLAS and lowbit FP32 agree to float32 rounding
                    ob.sgemm(!nn, m, n, k, sa, sb, sc);
                    FloatMatrix mine = FloatMatrix.zeros(m, n);
                    be.gemmF32(nn ? GemmLayout.NN : GemmLayout.NT, a, b, mine);
                    double maxRel = 0;
                    double scale = Math.sqrt(k);
                    for (int i = 0; i < m * n; i++) {
                        maxRel = Math.max(maxRel, Math.abs(sc.getAtIndex(ValueLayout.JAVA_FLOAT, i) - mine.data()[i]) / scale);
                    }
                    entries.add(new Entry("openblas-sgemm", () -> ob.sgemm(!nn, m, n, k, sa, sb, sc),
                            info("layout", nn ? "nn" : "nt", "library", ob.library(), "core", ob.core(),
                                    "maxDiffVsLowbitOverSqrtK", maxRel)));
                } else {
                    openblasInfo.putAll(info("installed", false, "reason", whyMissing()));
                }
            }
            List<Json> results = measure(entries, ops);
            if (wanted("openblas-sgemm") && openblasInfo.get("installed") == Boolean.FALSE) {
                results.add(Json.object().put("name", "openblas-sgemm").put("available", false).put("reason", whyMissing()));
            }
            for (String peer : List.of("onednn-s8s8s32", "onednn-sgemm")) {
                if (wanted(peer) && dnn.isEmpty()) {
                    results.add(Json.object().put("name", peer).put("available", false).put("reason", OneDnn.unavailableReason()));
                }
            }
            Json out = Json.object().put("shape", m + "x" + n + "x" + k).put("threads", threads).put("results", results)
                    .put("layout", nn ? "nn" : "nt").put("openblas", openblasInfo.isEmpty() ? null : openblasInfo)
                    .put("backend", ib.name()).put("onednn", OneDnnGemmBackend.describe()).put("cpuFlags", CpuFlags.summary())
                    .put("cpu", cpuName()).put("cores", Runtime.getRuntime().availableProcessors())
                    .put("java", Runtime.version().toString()).put("vector", Species.describe())
                    .put("method", "each entry: " + warmup + " s warm-up; then " + reps + " round-robin repetitions of ≥ " + repSeconds
                            + " s each; seconds = median time per call; opsPerSecond = 2·M·N·K / seconds; foreignCores = median CPU"
                            + " cores used by other processes during a repetition (from /proc/stat); a repetition with more than "
                            + maxForeign + " foreign cores is retried up to 3 times and the quietest attempt kept; quietReps counts"
                            + " repetitions at or below that");
            spec.commandLine().getOut().println(out);
        }
        return 0;
    }

    private String whyMissing() {
        return openblasLibrary == null ? OpenBlas.whyMissing() : "OpenBLAS could not be loaded from '" + openblasLibrary + "'";
    }

    private boolean wanted(String name) {
        return only == null || only.contains(name);
    }

    static Map<String, Object> info(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Random b-bit operands (uniform in ±(2^(b−1)−1)), int32 output; exactness is checked on sampled rows. */
    private Entry intEntry(String name, GemmBackend be, int m, int n, int k, int bits, SimdGemmBackend.Path path) {
        SplittableRandom r = new SplittableRandom(seed + bits);
        int lim = (1 << (bits - 1)) - 1;
        IntMatrix a = IntMatrix.zeros(m, k);
        IntMatrix b = IntMatrix.zeros(n, k);
        for (int i = 0; i < a.data().length; i++) {
            a.data()[i] = r.nextInt(2 * lim + 1) - lim;
        }
        for (int i = 0; i < b.data().length; i++) {
            b.data()[i] = r.nextInt(2 * lim + 1) - lim;
        }
        boolean int32 = Gemm.fitsInt32(k, bits);
        IntMatrix c32 = int32 ? IntMatrix.zeros(m, n) : null;
        LongMatrix c64 = int32 ? null : LongMatrix.zeros(m, n);
        IntEpilogue e = int32 ? new IntEpilogue.ToInt(c32) : new IntEpilogue.ToLong(c64);
        Runnable call = path == null ? () -> be.gemmInt(a, b, bits, e) : () -> ((SimdGemmBackend) be).gemmInt(a, b, bits, e, path);
        call.run();
        // exactness: compare sampled rows with the int64 reference
        int checked = Math.min(m, 8);
        boolean exact = true;
        for (int t = 0; t < checked; t++) {
            int i = (int) ((long) t * m / checked);
            for (int j = 0; j < n; j++) {
                long acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += (long) a.get(i, p) * b.get(j, p);
                }
                exact &= acc == (int32 ? c32.get(i, j) : c64.get(i, j));
            }
        }
        if (!exact) {
            throw new IllegalStateException(name + " is not exact: the kernel is broken");
        }
        String how = path != null ? path.name().toLowerCase(Locale.ROOT)
                : be instanceof SimdGemmBackend ? SimdGemmBackend.path(bits).name().toLowerCase(Locale.ROOT)
                : be instanceof OneDnnGemmBackend o ? (o.runsNative(bits) ? "onednn-s8s8s32"
                        : "simd-" + SimdGemmBackend.path(bits).name().toLowerCase(Locale.ROOT)) : be.name();
        return new Entry(name, call, info("bits", bits, "backend", be.name(), "path", how,
                "output", int32 ? "int32" : "int64", "exactOnSampledRows", checked));
    }

    /**
     * IM-Unpack end to end at b = 4 on LLM-like activations: A is N(0,1) with 1/12 of its channels scaled by
     * 100 (the heavy tail sits in a few outlier channels), quantized p95/15 levels; W is N(0,1), quantized
     * absmax/15 levels; COLUMN unpacking splits only the outlier channels (unpack ratio ≈ 1.09).
     */
    private Entry imUnpackEntry(GemmBackend be, int m, int n, int k) {
        int outliers = Math.max(1, k / 12);
        FloatMatrix x = RandomMatrices.outlierChannels(m, k, outliers, 100, seed + 10);
        FloatMatrix w = RandomMatrices.gaussian(n, k, seed + 11);
        QuantParams wq = new QuantParams(1.0, 15, Granularity.TENSOR, false);
        return imUnpack("lowbit-imunpack-b4", be, x, w, new ImUnpackSpec(QuantParams.P95_N15, wq, 4, UnpackStrategy.COLUMN),
                "A: N(0,1) with " + outliers + " of " + k + " channels x100, p95/15 levels; W: N(0,1), absmax/15 levels");
    }

    /** Extra end-to-end inputs with larger unpack ratios (--sweep): how the time grows with m'n'k'/mnk. */
    private List<Entry> sweepEntries(GemmBackend be, int m, int n, int k) {
        List<Entry> list = new ArrayList<>();
        int outliers = Math.max(1, k / 12);
        FloatMatrix x = RandomMatrices.outlierChannels(m, k, outliers, 100, seed + 10);
        FloatMatrix w = RandomMatrices.gaussian(n, k, seed + 11);
        list.add(imUnpack("lowbit-imunpack-b4-w-p95", be, x, w, ImUnpackSpec.of(QuantParams.P95_N15, 4, UnpackStrategy.COLUMN),
                "A as lowbit-imunpack-b4; W: N(0,1), p95/15 levels (heavy hitters in every column)"));
        list.add(imUnpack("lowbit-imunpack-b4-row", be, x, w, ImUnpackSpec.of(QuantParams.P95_N15, 4, UnpackStrategy.ROW),
                "A and W as lowbit-imunpack-b4-w-p95, ROW unpacking"));
        FloatMatrix tx = RandomMatrices.studentT(m, k, 3, seed + 12);
        FloatMatrix tw = RandomMatrices.studentT(n, k, 3, seed + 13);
        list.add(imUnpack("lowbit-imunpack-b4-student-t", be, tx, tw, ImUnpackSpec.of(QuantParams.P95_N15, 4, UnpackStrategy.AUTO),
                "A, W: Student-t (nu = 3), p95/15 levels, AUTO unpacking"));
        list.add(imUnpack("lowbit-imunpack-b8-student-t", be, tx, tw, ImUnpackSpec.of(QuantParams.P95_N15, 8, UnpackStrategy.AUTO),
                "A, W: Student-t (nu = 3), p95/15 levels, AUTO unpacking, b = 8"));
        return list;
    }

    /**
     * IM-Unpack end to end at b = 8 on p95/255 codes of both operands (the accurate setting, docs/minilm.md): quantize both
     * to int32 codes, choose the unpacking, 8-bit GEMMs, fold and rescale, through {@link FastImUnpack} — the path MiniLM
     * and training take. A as in {@link #imUnpackEntry}, W N(0,1); checked once against the verifying reference.
     */
    private Entry imUnpackB8Entry(GemmBackend be, int m, int n, int k) {
        int outliers = Math.max(1, k / 12);
        FloatMatrix x = RandomMatrices.outlierChannels(m, k, outliers, 100, seed + 10);
        FloatMatrix w = RandomMatrices.gaussian(n, k, seed + 11);
        QuantParams q = QuantParams.of(0.95, 255);
        FloatMatrix out = FloatMatrix.zeros(m, n);
        FastImUnpack.Result r = FastImUnpack.multiplyInto(x, w, q, q, 8, 8, be, out);
        ImUnpackResult check = ImUnpackGemm.multiply(x, w, ImUnpackSpec.of(q, 8, UnpackStrategy.ROW), new SimdGemmBackend(threads),
                false);
        if (!out.contentEquals(check.out())) {
            throw new IllegalStateException("lowbit-imunpack-b8: the fast pipeline differs from the reference");
        }
        return new Entry("lowbit-imunpack-b8", () -> FastImUnpack.multiplyInto(x, w, q, q, 8, 8, be, out),
                info("bits", 8, "backend", be.name(), "strategy", r.strategy(), "unpackRatio", r.ratio(), "exact", true,
                        "input", "A: N(0,1) with " + outliers + " of " + k + " channels x100; W: N(0,1); both p95/255 levels per tensor"));
    }

    /** oneDNN's own int8 and FP32 GEMMs through FFM, on the same shapes: the peers of lowbit-int8-exact and lowbit-fp32. */
    private List<Entry> oneDnnEntries(OneDnn d, int m, int n, int k) {
        List<Entry> list = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(seed + 8);
        byte[] a8 = new byte[m * k];
        byte[] b8 = new byte[n * k];
        for (int i = 0; i < a8.length; i++) {
            a8[i] = (byte) (r.nextInt(255) - 127);
        }
        for (int i = 0; i < b8.length; i++) {
            b8[i] = (byte) (r.nextInt(255) - 127);
        }
        int[] c32 = new int[m * n];
        if (wanted("onednn-s8s8s32")) {
            list.add(new Entry("onednn-s8s8s32", () -> {
                d.setThreads(threads);
                d.gemmS8S8S32(m, n, k, a8, 0, k, b8, 0, k, c32, 0, n);
            }, info("isa", d.isa(), "operands", "s8 x s8 -> s32, full range, no k split", "library", d.library().toString())));
        }
        if (wanted("onednn-sgemm")) {
            FloatMatrix a = RandomMatrices.gaussian(m, k, seed);
            FloatMatrix b = RandomMatrices.gaussian(n, k, seed + 1);
            float[] c = new float[m * n];
            list.add(new Entry("onednn-sgemm", () -> {
                d.setThreads(threads);
                d.sgemm(m, n, k, a.data(), 0, k, b.data(), 0, k, c, 0, n);
            }, info("isa", d.isa(), "layout", "nt")));
        }
        return list;
    }

    private Entry imUnpack(String name, GemmBackend be, FloatMatrix x, FloatMatrix w, ImUnpackSpec spec, String input) {
        int m = x.rows();
        int n = w.rows();
        int k = x.cols();
        ImUnpackResult check = ImUnpackGemm.multiply(x, w, spec, be, m * (double) n * k <= 3e9);
        FloatMatrix out = FloatMatrix.zeros(m, n);
        ImUnpackGemm.multiplyInto(x, w, spec, be, out);
        if (!out.contentEquals(check.out())) {
            throw new IllegalStateException(name + ": multiplyInto differs from multiply");
        }
        return new Entry(name, () -> ImUnpackGemm.multiplyInto(x, w, spec, be, out),
                info("bits", spec.bits(), "strategy", check.stats().strategies(), "unpackRatio", check.stats().ratio(),
                        "unpackedInnerDim", check.stats().unpackedInnerDim(), "exact", check.exact(), "input", input));
    }

    private List<Json> measure(List<Entry> entries, double ops) {
        Progress progress = Progress.stderr(spec, "bench gemm", entries.size() * (reps + 1));
        for (Entry e : entries) {
            long end = System.nanoTime() + (long) (warmup * 1e9);
            do {
                e.call().run();
            } while (System.nanoTime() < end);
            progress.step();
        }
        double[][] secs = new double[entries.size()][reps];
        double[][] foreign = new double[entries.size()][reps];
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                foreign[i][r] = Double.POSITIVE_INFINITY;
                // a repetition during which other processes used more than --max-foreign cores is tried again
                // (up to 3 more times); the quietest attempt is kept
                for (int attempt = 0; attempt < 4 && !(foreign[i][r] <= maxForeign); attempt++) {
                    CpuLoad load = CpuLoad.start();
                    long t0 = System.nanoTime();
                    int calls = 0;
                    long t;
                    do {
                        e.call().run();
                        calls++;
                        t = System.nanoTime();
                    } while (t - t0 < repSeconds * 1e9);
                    double f = load.foreignCores();
                    if (attempt == 0 || f < foreign[i][r] || Double.isNaN(f)) {
                        secs[i][r] = (t - t0) / 1e9 / calls;
                        foreign[i][r] = f;
                    }
                    if (e.name().startsWith("openblas")) {
                        pause(); // OpenBLAS worker threads spin for a while after a call
                    }
                }
                progress.step();
            }
        }
        progress.done();
        List<Json> out = new ArrayList<>();
        double fp32 = Double.NaN;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).name().equals("lowbit-fp32")) {
                fp32 = median(secs[i]);
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            double med = median(secs[i]);
            Json j = Json.object().put("name", e.name()).put("opsPerSecond", ops / med).put("seconds", med)
                    .put("minSeconds", Arrays.stream(secs[i]).min().orElse(med)).put("maxSeconds", Arrays.stream(secs[i]).max().orElse(med))
                    .put("reps", reps).put("foreignCores", median(foreign[i]))
                    .put("quietReps", Arrays.stream(foreign[i]).filter(f -> f <= maxForeign).count());
            if (!Double.isNaN(fp32)) {
                j.put("speedupVsLowbitFp32", fp32 / med);
            }
            e.info().forEach(j::put);
            out.add(j);
        }
        return out;
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }
}
