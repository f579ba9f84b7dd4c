package dev.lowbit.onnx;

import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.GemmRole;
import dev.lowbit.nn.Precision;
import dev.lowbit.format.Granularity;
import dev.lowbit.quant.QuantParams;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * Accuracy sweep of precision variants on the 83 hand-written sentences (not a test: a main for docs/minilm.md).
 * Each argument is one variant: {@code name} or {@code imunpack:key=value,...} with keys scope=row|sequence,
 * act=BETA/LEVELS, p=BETA/LEVELS, pnz (non-zero percentile for P), w=row|tensor, fp32=role+role.
 */
public final class PrecisionSweep {
    public static void main(String[] args) {
        BertWeights weights = MiniLm.weights();
        WordPieceTokenizer tok = MiniLm.tokenizer();
        List<int[]> ids = TestSentences.handWritten().stream().map(s -> tok.encode(s).ids()).toList();
        int threads = Integer.getInteger("threads", 2);
        float[][] ref;
        try (Bert b = new Bert(weights, Precision.fp32(), GemmBackends.preferred(), threads)) {
            ref = b.embed(ids);
        }
        System.out.println("calibration: " + SentenceEmbedder.calibration(tok).size() + " sentences, "
                + SentenceEmbedder.calibration(tok).stream().mapToInt(x -> x.length).sum() + " tokens");
        for (String a : args) {
            Precision p = parse(a);
            long t0 = System.nanoTime();
            try (Bert b = new Bert(weights, p, GemmBackends.preferred(), threads, false, SentenceEmbedder.calibration(tok))) {
                float[][] e = new float[ids.size()][];
                for (int i = 0; i < ids.size(); i += 16) {
                    float[][] part = b.embed(ids.subList(i, Math.min(ids.size(), i + 16)));
                    System.arraycopy(part, 0, e, i, part.length);
                }
                double min = 1;
                double sum = 0;
                int worst = -1;
                for (int i = 0; i < e.length; i++) {
                    double c = OrtReference.cosine(e[i], ref[i]);
                    if (c < min) {
                        min = c;
                        worst = i;
                    }
                    sum += c;
                }
                double macs = 0;
                double work = 0;
                for (var s : b.stats()) {
                    macs += s.macs();
                    work += s.unpackedMacs();
                }
                System.out.printf(Locale.ROOT, "%-60s min %.5f mean %.5f worst #%d ratio %.2f bytes %d (%.1fs)%n", a, min, sum / e.length,
                        worst, macs == 0 ? 1 : work / macs, b.linearWeightBytes(), (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    static Precision parse(String a) {
        String[] parts = a.split(":", 2);
        Precision p = Precision.parse(parts[0], null);
        if (parts.length == 1) {
            return p;
        }
        for (String kv : parts[1].split(",")) {
            String[] t = kv.split("=", 2);
            String v = t.length > 1 ? t[1] : "";
            switch (t[0]) {
                case "scope" -> p = p.withScope(Precision.Scope.valueOf(v.toUpperCase(Locale.ROOT)));
                case "act" -> {
                    Precision old = p;
                    p = p.withActivations(q(v).withNonZeroAlpha(old.activations().nonZeroAlpha()).withGranularity(old.activations().granularity()))
                            .withProbabilities(old.probabilities());
                }
                case "seg" -> {
                    Granularity g = Granularity.group(Integer.parseInt(v));
                    Precision old = p;
                    p = p.withActivations(old.activations().withGranularity(g)).withProbabilities(old.probabilities()).withWeights(old.weights().withGranularity(g));
                }
                case "pseg" -> p = p.withProbabilities(p.probabilities().withGranularity(Granularity.group(Integer.parseInt(v))));
                case "p" -> p = p.withProbabilities(q(v).withNonZeroAlpha(p.probabilities().nonZeroAlpha()));
                case "anz" -> {
                    Precision old = p;
                    p = p.withActivations(old.activations().withNonZeroAlpha(true)).withProbabilities(old.probabilities());
                }
                case "pnz" -> p = p.withProbabilities(p.probabilities().withNonZeroAlpha(true));
                case "w" -> p = p.withWeights(p.weights().withGranularity(Granularity.parse(v)));
                case "wq" -> p = p.withWeights(q(v).withGranularity(p.weights().granularity()));
                case "bits" -> p = p.withBits(Integer.parseInt(v));
                case "fp32" -> {
                    EnumSet<GemmRole> r = EnumSet.allOf(GemmRole.class);
                    for (String s : v.split("\\+")) {
                        r.remove(GemmRole.valueOf(s.toUpperCase(Locale.ROOT)));
                    }
                    p = p.withRoles(r);
                }
                default -> throw new IllegalArgumentException(kv);
            }
        }
        return p;
    }

    private static QuantParams q(String v) {
        String[] t = v.split("/");
        return QuantParams.of(Double.parseDouble(t[0]), Integer.parseInt(t[1]));
    }
}
