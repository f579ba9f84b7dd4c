package dev.lowbit.cli;

import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GemmRole;
import dev.lowbit.nn.GemmSiteStats;
import dev.lowbit.nn.Precision;
import dev.lowbit.onnx.MiniLm;
import dev.lowbit.onnx.SentenceEmbedder;
import dev.lowbit.report.Json;
import dev.lowbit.report.Table;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The demo's real-model section: all-MiniLM-L6-v2 (BERT, 6 layers, d = 384, from the langchain4j artifact) embeds
 * {@link #SENTENCES} in every precision of {@link #PRECISIONS}; reports the cosine-similarity matrix, each
 * precision's cosine to fp32 (cos(e, e_fp32) = e·e_fp32 for unit vectors; min and mean over the sentences),
 * the unpack ratio Σm'n'k'/Σmnk of every GEMM of every layer on these real activations, and sentences/s on
 * {@link #SPEED_REPEAT} copies of the sentences (after a first pass that warms up the JIT).
 */
final class RealModelDemo {
    static final List<String> SENTENCES = List.of(
            "A man is playing a guitar on stage.",
            "Someone is strumming an acoustic guitar in front of an audience.",
            "The stock market fell sharply today.",
            "Share prices dropped after the central bank raised interest rates.",
            "Integer matrix multiplication is exact.",
            "Low-bit arithmetic computes a GEMM without any rounding error.",
            "A cat is sleeping on the sofa.",
            "A kitten naps on the couch.");
    static final List<String> PRECISIONS = List.of("fp32", "imunpack", "int8");
    /** The speed run embeds the sentences this many times over (32 sentences) in batches of {@link #BATCH}. */
    static final int SPEED_REPEAT = 4;
    static final int BATCH = 32;

    /** One precision's run. */
    record Mode(String precision, String bits, int statBits, float[][] embeddings, double minCosine, double meanCosine, double sentencesPerSecond,
                List<GemmSiteStats> stats, long linearWeightBytes) {
        boolean quantized() {
            return !stats.isEmpty();
        }
    }

    /** The section's result; {@code error} is non-null (and {@code modes} empty) when the model could not be loaded. */
    record Result(String error, String backend, int threads, double loadSeconds, List<Mode> modes) {}

    private RealModelDemo() {}

    static Result run(GemmBackend be, int threads, Progress progress) {
        return run(be, threads, progress, MiniLm::weights, MiniLm::tokenizer);
    }

    /** As {@link #run(GemmBackend, int, Progress)} with the model's loaders given (tests pass failing ones). */
    static Result run(GemmBackend be, int threads, Progress progress, Supplier<BertWeights> loadWeights,
                      Supplier<WordPieceTokenizer> loadTokenizer) {
        long t0 = System.nanoTime();
        BertWeights weights;
        WordPieceTokenizer tokenizer;
        try {
            weights = loadWeights.get();
            tokenizer = loadTokenizer.get();
        } catch (RuntimeException e) { // missing artifact, unreadable or unexpected graph: the rest of the demo goes on
            return new Result(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), be.name(), threads, 0, List.of());
        }
        double load = (System.nanoTime() - t0) / 1e9;
        List<String> speedSet = new ArrayList<>();
        for (int r = 0; r < SPEED_REPEAT; r++) {
            speedSet.addAll(SENTENCES);
        }
        List<Mode> modes = new ArrayList<>();
        float[][] ref = null;
        for (String name : PRECISIONS) {
            Precision p = Precision.parse(name, null);
            if (p.mode() == Precision.Mode.IMUNPACK) {
                p = p.withLevels(Precision.EMBED_IMUNPACK_LEVELS); // as `embed --precision imunpack`: min cosine >= 0.999
            }
            try (SentenceEmbedder e = new SentenceEmbedder(tokenizer, weights, p, be, threads, BATCH, WordPieceTokenizer.DEFAULT_MAX_LENGTH)) {
                float[][] emb = e.embed(SENTENCES, null);
                List<GemmSiteStats> stats = p.quantized() ? e.bert().stats() : List.of();
                long t1 = System.nanoTime();
                e.embed(speedSet, null);
                double rate = speedSet.size() / ((System.nanoTime() - t1) / 1e9);
                if (ref == null) {
                    ref = emb;
                }
                double min = 1;
                double sum = 0;
                for (int i = 0; i < emb.length; i++) {
                    double c = EmbedCommand.cosine(emb[i], ref[i]);
                    min = Math.min(min, c);
                    sum += c;
                }
                modes.add(new Mode(p.label(), p.bitsLabel(), p.statBits(), emb, min, sum / emb.length, rate, stats, e.bert().linearWeightBytes()));
            }
            if (progress != null) {
                progress.step();
            }
        }
        return new Result(null, be.name(), threads, load, modes);
    }

    static Json json(Result r) {
        if (r.error() != null) {
            return Json.object().put("model", "all-MiniLM-L6-v2").put("error", r.error());
        }
        List<Json> modes = new ArrayList<>();
        for (Mode m : r.modes()) {
            Json j = Json.object().put("precision", m.precision()).put("minCosineToFp32", m.minCosine())
                    .put("meanCosineToFp32", m.meanCosine()).put("sentencesPerSecond", round(m.sentencesPerSecond()))
                    .put("linearWeightBytes", m.linearWeightBytes()).put("similarity", Arrays.asList(similarity(m.embeddings())));
            if (m.quantized()) {
                j.put("bits", m.bits().equals("auto") ? "auto" : Integer.parseInt(m.bits()));
                EmbedCommand.addStats(j, m.stats());
            }
            modes.add(j);
        }
        return Json.object().put("model", "all-MiniLM-L6-v2").put("sentences", SENTENCES).put("backend", r.backend())
                .put("threads", r.threads()).put("batch", BATCH).put("speedSentences", SENTENCES.size() * SPEED_REPEAT)
                .put("loadSeconds", round(r.loadSeconds())).put("modes", modes);
    }

    static String text(Result r) {
        StringBuilder sb = new StringBuilder("\nReal model: all-MiniLM-L6-v2 (BERT, 6 layers, d = 384; the ONNX file of the langchain4j artifact)");
        if (r.error() != null) {
            return sb.append(" skipped: ").append(r.error()).append('\n').toString();
        }
        sb.append(String.format(Locale.ROOT, ", pure Java on backend %s, %d thread%s (loaded in %.1f s).%n", r.backend(), r.threads(),
                r.threads() == 1 ? "" : "s", r.loadSeconds()));
        Mode fp32 = r.modes().getFirst();
        sb.append("\nCosine similarity of the built-in sentences (fp32):\n");
        Table legend = new Table("#", "sentence");
        for (int i = 0; i < SENTENCES.size(); i++) {
            legend.row("s" + (i + 1), SENTENCES.get(i));
        }
        sb.append(legend);
        String[] header = new String[SENTENCES.size() + 1];
        header[0] = "";
        for (int i = 0; i < SENTENCES.size(); i++) {
            header[i + 1] = "s" + (i + 1);
        }
        Table sim = new Table(header);
        double[][] s = similarity(fp32.embeddings());
        for (int i = 0; i < s.length; i++) {
            Object[] row = new Object[s.length + 1];
            row[0] = "s" + (i + 1);
            for (int j = 0; j < s.length; j++) {
                row[j + 1] = String.format(Locale.ROOT, "%.2f", s[i][j]);
            }
            sim.row(row);
        }
        sb.append(sim);

        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            for (int j = i + 1; j < s.length; j++) {
                pairs.add(new int[] {i, j});
            }
        }
        pairs.sort((a, b) -> Double.compare(s[b[0]][b[1]], s[a[0]][a[1]]));
        List<String> cols = new ArrayList<>(List.of("most similar pairs"));
        r.modes().forEach(m -> cols.add(m.precision()));
        Table top = new Table(cols.toArray(String[]::new));
        List<double[][]> sims = r.modes().stream().map(m -> similarity(m.embeddings())).toList();
        for (int[] p : pairs.subList(0, 5)) {
            List<Object> row = new ArrayList<>(List.of("s" + (p[0] + 1) + " ~ s" + (p[1] + 1)));
            sims.forEach(x -> row.add(String.format(Locale.ROOT, "%.4f", x[p[0]][p[1]])));
            top.row(row.toArray());
        }
        sb.append('\n').append(top);

        sb.append(String.format(Locale.ROOT, "%nEach precision against fp32 and its speed (%d sentences, batch %d, after a warm-up pass):%n",
                SENTENCES.size() * SPEED_REPEAT, BATCH));
        Table acc = new Table("precision", "min cosine to fp32", "mean cosine to fp32", "unpack ratio", "linear weight bytes", "sentences/s");
        for (Mode m : r.modes()) {
            acc.row(m.precision() + (m.quantized() ? " (b = " + m.bits() + ")" : ""), String.format(Locale.ROOT, "%.6f", m.minCosine()),
                    String.format(Locale.ROOT, "%.6f", m.meanCosine()), !m.quantized() ? "-" : m.bits().equals("auto") ? String.format(Locale.ROOT, "%.3f (b = %d: %.3f)", totalRatio(m.stats()),
                            m.statBits(), statRatio(m.stats())) : String.format(Locale.ROOT, "%.3f", totalRatio(m.stats())),
                    String.format(Locale.ROOT, "%,d", m.linearWeightBytes()), String.format(Locale.ROOT, "%.1f", m.sentencesPerSecond()));
        }
        sb.append(acc);

        for (Mode m : r.modes()) {
            if (!m.quantized() || statRatio(m.stats()) == 1.0) {
                continue; // nothing to unpack (int8: 8-bit codes at b = 8)
            }
            sb.append(String.format(Locale.ROOT, "%nUnpack ratio m'n'k'/mnk of every GEMM (%s, b = %d) on these sentences' activations%s:%n",
                    m.precision(), m.statBits(), m.bits().equals("auto") ? String.format(Locale.ROOT,
                            " (the paper's overhead; at the b chosen per GEMM the total is %.3f)", totalRatio(m.stats())) : ""));
            List<String> h = new ArrayList<>(List.of("layer"));
            for (GemmRole role : GemmRole.values()) {
                h.add(role.label());
            }
            Table t = new Table(h.toArray(String[]::new));
            for (List<GemmSiteStats> layer : byLayer(m.stats())) {
                List<Object> row = new ArrayList<>(List.of(layer.getFirst().layer()));
                layer.forEach(x -> row.add(String.format(Locale.ROOT, "%.2f", x.statRatio())));
                t.row(row.toArray());
            }
            sb.append(t);
        }
        return sb.toString();
    }

    /** Bar chart of the per-layer, per-GEMM unpack ratios of the first unpacking precision (null if none). */
    static CategoryChart chart(Result r) {
        for (Mode m : r.modes()) {
            if (!m.quantized() || statRatio(m.stats()) == 1.0) {
                continue;
            }
            CategoryChart ch = new CategoryChartBuilder().width(700).height(420)
                    .title("all-MiniLM-L6-v2, " + m.precision() + " b = " + m.statBits() + ": unpack ratio per layer")
                    .xAxisTitle("layer").yAxisTitle("unpack ratio m'n'k'/mnk").build();
            ch.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
            List<List<GemmSiteStats>> layers = byLayer(m.stats());
            List<Integer> xs = layers.stream().map(l -> l.getFirst().layer()).toList();
            for (GemmRole role : GemmRole.values()) {
                List<Double> ys = layers.stream().map(l -> l.get(role.ordinal()).statRatio()).toList();
                ch.addSeries(role.label(), xs, ys);
            }
            return ch;
        }
        return null;
    }

    /** Pairwise cosine similarities of unit vectors. */
    static double[][] similarity(float[][] e) {
        double[][] s = new double[e.length][e.length];
        for (int i = 0; i < e.length; i++) {
            for (int j = 0; j < e.length; j++) {
                s[i][j] = EmbedCommand.cosine(e[i], e[j]);
            }
        }
        return s;
    }

    /** Σ m'n'k' / Σ mnk at the heavy-hitter b (the paper's overhead; equal to {@link #totalRatio} when b is fixed). */
    static double statRatio(List<GemmSiteStats> stats) {
        double macs = 0;
        double work = 0;
        for (GemmSiteStats s : stats) {
            macs += s.macs();
            work += s.statUnpackedMacs();
        }
        return macs == 0 ? 1 : work / macs;
    }

    static double totalRatio(List<GemmSiteStats> stats) {
        double macs = 0;
        double work = 0;
        for (GemmSiteStats s : stats) {
            macs += s.macs();
            work += s.unpackedMacs();
        }
        return macs == 0 ? 1 : work / macs;
    }

    /** The stats grouped by layer, roles in {@link GemmRole} order (stats() is layer-major, roles in order). */
    private static List<List<GemmSiteStats>> byLayer(List<GemmSiteStats> stats) {
        List<List<GemmSiteStats>> out = new ArrayList<>();
        int roles = GemmRole.values().length;
        for (int i = 0; i + roles <= stats.size(); i += roles) {
            out.add(Collections.unmodifiableList(stats.subList(i, i + roles)));
        }
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 1e3) / 1e3;
    }
}
