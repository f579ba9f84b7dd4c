package dev.lowbit.cli;

import static dev.lowbit.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code bench gemm} on a tiny shape: the JSON has every entry, and a missing OpenBLAS is said plainly. */
class BenchCommandTest {
    @Test
    void gemmPrintsOneJsonObjectWithEveryEntry() {
        CliTest.Run r = run("bench", "gemm", "--shape", "40x70x36", "--threads", "2", "--reps", "1", "--rep-seconds", "0.001", "--warmup", "0");
        assertThat(r.code()).as(r.err()).isZero();
        String json = r.out().strip();
        assertThat(json).startsWith("{\"shape\":\"40x70x36\",\"threads\":2,\"results\":[");
        assertThat(json.lines().count()).isEqualTo(1);
        for (String name : BenchGemmCommand.NAMES) {
            assertThat(json).contains("\"name\":\"" + name + "\"");
        }
        assertThat(json).contains("\"opsPerSecond\":").contains("\"seconds\":").contains("\"unpackRatio\":").contains("\"exact\":true");
    }

    @Test
    void missingOpenBlasIsReportedPlainly() {
        CliTest.Run r = run("bench", "gemm", "--shape", "8x8x8", "--reps", "1", "--rep-seconds", "0.001", "--warmup", "0",
                "--only", "lowbit-fp32,openblas-sgemm", "--openblas-library", "libdoes-not-exist-lowbit.so");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("{\"name\":\"openblas-sgemm\",\"available\":false,\"reason\":\"OpenBLAS could not be loaded from 'libdoes-not-exist-lowbit.so'\"}")
                .contains("\"installed\":false");
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        CliTest.Run r = run("bench", "gemm", "--shape", "4x4");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("lowbit: shape must be MxNxK").doesNotContain("\n");
        assertThat(run("bench", "gemm", "--layout", "tn").err()).contains("--layout must be nt or nn");
        assertThat(run("bench", "gemm", "--only", "nope").err()).contains("unknown entry 'nope'");
    }
}
