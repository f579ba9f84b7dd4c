package dev.lowbit.onednn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Child JVMs (what must be in the environment before oneDNN loads). The exactness rule without VNNI: a child JVM with {@code ONEDNN_MAX_CPU_ISA=AVX2} (oneDNN then dispatches its
 * {@code vpmaddubsw} kernels, whose pair sums saturate at int16) must declare 7 bits and stay exact up to 7 bits.
 */
class IsaLimitTest {
    @Test
    void avx2WithoutVnniDeclaresSevenBitsAndStaysExact() throws IOException, InterruptedException {
        Assumptions.assumeTrue(OneDnn.get().isPresent(), () -> "oneDNN unavailable: " + OneDnn.unavailableReason());
        Map<String, String> out = probe(Map.of("ONEDNN_MAX_CPU_ISA", "AVX2"));
        assertThat(out).containsEntry("ompWaitPolicy", "PASSIVE"); // set by discovery, nobody else did
        System.out.println("ONEDNN_MAX_CPU_ISA=AVX2: " + out);
        assertThat(out).containsEntry("isa", "avx2").containsEntry("vnni", "false").containsEntry("maxExactBits", "7")
                .containsEntry("exact", "true");
        // the reason for the rule: at 8 bits the int16 pair sums do saturate on this ISA
        assertThat(out.get("selfTest8")).isNotEqualTo("null").contains("b = 8");
    }

    @Test
    void aWaitPolicyFromTheUserIsKept() throws IOException, InterruptedException {
        Assumptions.assumeTrue(OneDnn.get().isPresent(), () -> "oneDNN unavailable: " + OneDnn.unavailableReason());
        Map<String, String> out = probe(Map.of("OMP_WAIT_POLICY", "active"));
        assertThat(out).containsEntry("ompWaitPolicy", "active").containsEntry("exact", "true");
    }

    /** Runs {@link IsaProbe} in a child JVM with the given extra environment; returns its key=value lines. */
    static Map<String, String> probe(Map<String, String> env) throws IOException, InterruptedException {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules",
                "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), IsaProbe.class.getName()));
        pb.environment().remove("OMP_WAIT_POLICY");
        pb.environment().remove("GOMP_SPINCOUNT");
        pb.environment().remove("ONEDNN_MAX_CPU_ISA");
        pb.environment().remove("DNNL_MAX_CPU_ISA");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        byte[] bytes = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        Map<String, String> out = new HashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && !line.startsWith("WARNING")) {
                out.put(line.substring(0, eq), line.substring(eq + 1).strip());
            }
        }
        return out;
    }
}
