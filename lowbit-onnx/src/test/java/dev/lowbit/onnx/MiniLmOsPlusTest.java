package dev.lowbit.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackend;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.gemm.OsPlus;
import dev.lowbit.nn.Bert;
import dev.lowbit.nn.BertWeights;
import dev.lowbit.nn.OsPlusFold;
import dev.lowbit.nn.Precision;
import dev.lowbit.text.WordPieceTokenizer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Outlier Suppression+ on the real all-MiniLM-L6-v2: the folded model computes the same embeddings in FP32 (rounding
 * only), and with OS+ int8 gets closer to FP32 than without (docs/reading-list.md section 1). Calibrated on a quarter of the built-in sentences with 6 thresholds, for test time.
 */
class MiniLmOsPlusTest {
    static BertWeights weights;
    static List<int[]> ids;
    static List<int[]> calibration;
    static float[][] fp32;
    static OsPlusFold int8Fold;
    static final GemmBackend BACKEND = GemmBackends.preferred();
    /** Thresholds tried per input in these tests (the CLI's default is {@link OsPlus#DEFAULT_CANDIDATES}). */
    static final int CANDIDATES = 6;

    @BeforeAll
    static void load() {
        weights = MiniLm.weights();
        WordPieceTokenizer tok = MiniLm.tokenizer();
        ids = TestSentences.handWritten().subList(0, 16).stream().map(s -> tok.encode(s).ids()).toList();
        calibration = SentenceEmbedder.calibration(tok).subList(0, 16); // a quarter of the built-in set: test time
        try (Bert b = new Bert(weights, Precision.fp32(), BACKEND, 2)) {
            fp32 = b.embed(ids);
        }
        long t0 = System.nanoTime();
        int8Fold = OsPlusFold.calibrate(weights, Precision.int8(), BACKEND, calibration, 2, CANDIDATES);
        System.out.printf("OS+ calibration (%d sentences, %d thresholds, 2 threads): %.1f s%n", calibration.size(), CANDIDATES,
                (System.nanoTime() - t0) / 1e9);
    }

    /** max over sentences of ‖e' − e‖ / ‖e‖. */
    static double maxRelativeDifference(float[][] a, float[][] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double d = 0;
            double n = 0;
            for (int j = 0; j < a[i].length; j++) {
                d += ((double) a[i][j] - b[i][j]) * ((double) a[i][j] - b[i][j]);
                n += (double) b[i][j] * b[i][j];
            }
            worst = Math.max(worst, Math.sqrt(d / n));
        }
        return worst;
    }

    static float[][] fp32Embeddings(OsPlusFold fold) {
        try (Bert b = new Bert(fold, Precision.fp32(), BACKEND, 2, false, null)) {
            return b.embed(ids);
        }
    }

    @Test
    void calibratedFoldLeavesTheFp32ModelUnchanged() {
        float[][] e = fp32Embeddings(int8Fold);
        double rel = maxRelativeDifference(e, fp32);
        System.out.printf("OS+ (int8 search) folded FP32: max relative embedding difference %.3g%n", rel);
        assertThat(rel).isLessThan(1e-5);
        // and the fold did something: some channels scaled, the LayerNorm rewritten
        int scaled = 0;
        for (int l = 0; l < weights.config().layers(); l++) {
            scaled += int8Fold.qkv(l).scaledChannels() + int8Fold.ffn1(l).scaledChannels();
            assertThat(int8Fold.qkv(l).error()).isLessThanOrEqualTo(int8Fold.qkv(l).shiftOnlyError());
            assertThat(int8Fold.ffn1(l).error()).isLessThan(int8Fold.ffn1(l).plainError());
        }
        assertThat(scaled).isGreaterThan(0);
        assertThat(int8Fold.weights().embeddingNorm().gamma()).isNotEqualTo(weights.embeddingNorm().gamma());
    }

    /** Large random shifts and scales (s up to 64) on every site: still the same function in FP32. */
    @Test
    void randomTransformsLeaveTheFp32ModelUnchanged() {
        int layers = weights.config().layers();
        int d = weights.config().hidden();
        Random r = new Random(42);
        OsPlus.Transform[] qkv = new OsPlus.Transform[layers];
        OsPlus.Transform[] ffn = new OsPlus.Transform[layers];
        for (int l = 0; l < layers; l++) {
            qkv[l] = random(r, d);
            ffn[l] = l == 2 ? null : random(r, d); // a site without a transform too
        }
        float[][] e = fp32Embeddings(OsPlusFold.fold(weights, qkv, ffn));
        double rel = maxRelativeDifference(e, fp32);
        System.out.printf("OS+ random fold, FP32: max relative embedding difference %.3g%n", rel);
        assertThat(rel).isLessThan(1e-5).isGreaterThan(0);
    }

    private static OsPlus.Transform random(Random r, int d) {
        float[] z = new float[d];
        float[] s = new float[d];
        for (int j = 0; j < d; j++) {
            z[j] = (float) r.nextGaussian();
            s[j] = (float) Math.pow(2, 6 * r.nextDouble());
        }
        return new OsPlus.Transform(z, s, 1, 0, 0, 0, d);
    }

    @Test
    void int8WithOsPlusIsCloserToFp32() {
        long t0 = System.nanoTime();
        double[] base = cosines(new Bert(weights, Precision.int8(), BACKEND, 2));
        double[] os = cosines(new Bert(int8Fold, Precision.int8(), BACKEND, 2, false, null));
        System.out.printf("int8 on 16 sentences: min/mean cosine %.5f / %.5f, with OS+ %.5f / %.5f (%.1f s)%n", base[0], base[1], os[0],
                os[1], (System.nanoTime() - t0) / 1e9);
        assertThat(os[0]).isGreaterThan(base[0]).isGreaterThan(0.99);
        assertThat(os[1]).isGreaterThan(base[1]);
        // the same bits on one thread as on two
        try (Bert one = new Bert(int8Fold, Precision.int8(), BACKEND, 1, false, null);
             Bert two = new Bert(int8Fold, Precision.int8(), BACKEND, 2, false, null)) {
            assertArrayEquals(one.embed(ids.subList(0, 2))[1], two.embed(ids.subList(0, 2))[1]);
        }
    }

    private static double[] cosines(Bert b) {
        try (b) {
            float[][] e = b.embed(ids);
            double min = 1;
            double sum = 0;
            for (int i = 0; i < e.length; i++) {
                double c = OrtReference.cosine(e[i], fp32[i]);
                min = Math.min(min, c);
                sum += c;
            }
            return new double[] {min, sum / e.length};
        }
    }

    /** The search gives the same transforms on 1 and 2 threads (a small calibration: 8 sentences, 3 thresholds). */
    @Test
    void calibrationDoesNotDependOnTheThreadCount() {
        List<int[]> few = calibration.subList(0, 8);
        OsPlusFold one = OsPlusFold.calibrate(weights, Precision.int8(), BACKEND, few, 1, 3);
        OsPlusFold two = OsPlusFold.calibrate(weights, Precision.int8(), BACKEND, few, 2, 3);
        for (int l = 0; l < weights.config().layers(); l++) {
            for (OsPlus.Transform[] t : List.of(new OsPlus.Transform[] {one.qkv(l), two.qkv(l)}, new OsPlus.Transform[] {one.ffn1(l), two.ffn1(l)})) {
                assertArrayEquals(t[0].shift(), t[1].shift());
                assertArrayEquals(t[0].scale(), t[1].scale());
                assertThat(t[1].error()).isEqualTo(t[0].error());
            }
        }
        assertArrayEquals(one.weights().layers().get(3).intermediate().bias(), two.weights().layers().get(3).intermediate().bias());
    }

    @Test
    void precisionsWithoutQuantizedLinearInputsAreRejected() {
        for (String p : List.of("fp32", "gptq-w4", "llm-int8", "int4-hq")) {
            assertThatThrownBy(() -> OsPlusFold.checkSupported(Precision.parse(p, null)))
                    .isInstanceOf(LowbitException.class).hasMessageContaining("--os-plus needs").hasMessageContaining(p);
        }
        assertThatThrownBy(() -> new Bert(int8Fold, Precision.parse("gptq-w4", null), BACKEND, 1, false, calibration))
                .isInstanceOf(LowbitException.class).hasMessageContaining("gptq-w4");
    }
}
