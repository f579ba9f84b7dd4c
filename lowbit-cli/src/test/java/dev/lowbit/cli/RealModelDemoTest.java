package dev.lowbit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.LowbitException;
import dev.lowbit.gemm.GemmBackends;
import dev.lowbit.nn.GemmRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's real-model section: all-MiniLM-L6-v2 in fp32, imunpack and int8 on the built-in sentences. */
class RealModelDemoTest {
    @TempDir
    Path dir;

    @Test
    void embedsTheSentencesInEveryPrecision() {
        RealModelDemo.Result r = RealModelDemo.run(GemmBackends.preferred(), 2, null);
        assertThat(r.error()).isNull();
        assertThat(r.modes()).extracting(RealModelDemo.Mode::precision).containsExactly("fp32", "imunpack", "int8");
        RealModelDemo.Mode fp32 = r.modes().getFirst();
        assertThat(fp32.minCosine()).isEqualTo(1.0);
        assertThat(fp32.stats()).isEmpty();
        // the paraphrase pairs (s1 s2, s3 s4, ...) are each other's nearest neighbours, in every precision
        for (RealModelDemo.Mode m : r.modes()) {
            double[][] s = RealModelDemo.similarity(m.embeddings());
            for (int i = 0; i < s.length; i++) {
                int best = -1;
                for (int j = 0; j < s.length; j++) {
                    if (j != i && (best < 0 || s[i][j] > s[i][best])) {
                        best = j;
                    }
                }
                assertThat(best).as("%s: nearest to: %s", m.precision(), RealModelDemo.SENTENCES.get(i)).isEqualTo(i ^ 1);
            }
        }
        for (RealModelDemo.Mode m : r.modes().subList(1, 3)) {
            assertThat(m.minCosine()).as(m.precision()).isGreaterThan(0.9).isLessThan(1.0);
            assertThat(m.meanCosine()).isGreaterThanOrEqualTo(m.minCosine());
            assertThat(m.sentencesPerSecond()).isPositive();
            assertThat(m.stats()).hasSize(6 * GemmRole.values().length).allSatisfy(x -> assertThat(x.calls()).isPositive());
        }
        // imunpack runs as `embed --precision imunpack`: 255 levels, min cosine >= 0.999 to fp32
        assertThat(r.modes().get(1).minCosine()).isGreaterThanOrEqualTo(0.999);
        assertThat(RealModelDemo.statRatio(r.modes().get(1).stats())).isGreaterThan(1.0); // the unpacking overhead at b = 8
        assertThat(RealModelDemo.totalRatio(r.modes().get(1).stats())).isLessThan(RealModelDemo.statRatio(r.modes().get(1).stats()));

        String text = RealModelDemo.text(r);
        assertThat(text).contains("Real model: all-MiniLM-L6-v2").contains("Cosine similarity").contains("most similar pairs")
                .contains("min cosine to fp32").contains("Unpack ratio m'n'k'/mnk of every GEMM (imunpack, b = 8)")
                .contains("sentences/s");
        String json = RealModelDemo.json(r).toString();
        assertThat(json).contains("\"model\":\"all-MiniLM-L6-v2\"").contains("\"precision\":\"imunpack\"").contains("\"layers\":[")
                .contains("\"similarity\":[[1.0");
        assertThat(RealModelDemo.chart(r)).isNotNull();
    }

    @Test
    void aMissingModelIsOneLineAndTheDemoGoesOn() throws IOException {
        RealModelDemo.Result r = RealModelDemo.run(GemmBackends.preferred(), 1, null, () -> {
            throw new LowbitException("all-minilm-l6-v2.onnx is not on the classpath");
        }, () -> null);
        assertThat(r.error()).isEqualTo("all-minilm-l6-v2.onnx is not on the classpath");
        assertThat(RealModelDemo.text(r).strip()).doesNotContain("\n").contains("skipped: all-minilm-l6-v2.onnx is not on the classpath");
        assertThat(RealModelDemo.json(r).toString()).contains("\"error\":\"all-minilm-l6-v2.onnx is not on the classpath\"");
        assertThat(RealModelDemo.chart(r)).isNull();
    }

    @Test
    void demoPrintsAndPlotsTheSection() throws IOException {
        Path png = dir.resolve("demo.png");
        CliTest.Run r = CliTest.run("demo", "--size", "8x8x16", "--train-steps", "0", "--threads", "2", "--plot", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Real model: all-MiniLM-L6-v2").contains("Unpack ratio");
        assertThat(Files.size(png)).isGreaterThan(1000);
        assertThat(CliTest.run("demo", "--threads", "0").err()).startsWith("lowbit: --threads must be >= 1");
    }
}
