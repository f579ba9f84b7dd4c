package dev.lowbit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.text.JsonReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code search} end to end on the real MiniLM (one short calibration sentence), and its policy file through {@code embed}. */
class SearchCommandTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void searchWritesAPolicyThatEmbedRunsWithTheSameCosine() throws IOException {
        Path in = dir.resolve("s.txt");
        Files.writeString(in, "Low bits, same meaning.\n");
        Path policy = dir.resolve("policy.txt");
        Path plot = dir.resolve("pareto.png");
        CliTest.Run r = CliTest.run("search", "--calib-file", in.toString(), "--sweep", "none", "--budget", "0.999", "--candidates", "int8",
                "--refine", "1", "--out", policy.toString(), "--plot", plot.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("search:").contains("sensitivity 30/30");
        Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out());
        Map<String, Object> found = ((List<Map<String, Object>>) j.get("searched")).get(0);
        assertThat(found.get("feasible")).isEqualTo(true);
        double calibMin = ((Number) found.get("calibMinCosine")).doubleValue();
        assertThat(calibMin).isGreaterThanOrEqualTo(0.999);
        Map<String, Object> int8 = ((List<Map<String, Object>>) j.get("uniform")).get(1);
        assertThat(int8.get("name")).isEqualTo("int8");
        // fp32 and int8 only: a policy meeting the target costs at most as much as fp32, and is a real mix or a uniform one
        assertThat(((Number) found.get("cost")).doubleValue()).isLessThan(((Number) ((List<Map<String, Object>>) j.get("uniform")).get(0).get("cost")).doubleValue());
        assertThat(Files.readString(policy)).startsWith("# lowbit search").contains("*=");
        assertThat(Files.size(plot)).isPositive();

        // the same sentence through embed --precision FILE: the same embeddings, hence the same cosine to the last bit
        CliTest.Run e = CliTest.run("embed", "--in", in.toString(), "--out", dir.resolve("E.npy").toString(), "--precision",
                policy.toString(), "--threads", "2");
        assertThat(e.code()).as(e.err()).isZero();
        Map<String, Object> ej = (Map<String, Object>) JsonReader.parse(e.out());
        assertThat(ej.get("precision")).isEqualTo(j.get("policy"));
        assertThat(ej.get("executor")).isEqualTo("mixed");
        assertThat(((Number) ej.get("minCosineToFp32")).doubleValue()).isEqualTo(calibMin);
    }
}
