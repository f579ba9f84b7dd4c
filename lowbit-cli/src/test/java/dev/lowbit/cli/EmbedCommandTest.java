package dev.lowbit.cli;

import static dev.lowbit.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.io.DType;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code embed} contract: JSON summary, [N, 384] float32 rows in line order, one-line errors, no partial file. */
class EmbedCommandTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void embedsEveryLineInOrder() throws IOException {
        Path in = write("s.txt", "\uFEFFA man is playing a guitar.\r\n\nThe cat sat on the mat.\n" + "word ".repeat(300) + "\nA man is playing a guitar.\n");
        Path out = dir.resolve("E.npy");
        CliTest.Run r = run("embed", "--in", in.toString(), "--out", out.toString(), "--batch", "2", "--threads", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).matches(Pattern.compile("\\{\"count\":5,\"precision\":\"fp32\",\"seconds\":[0-9.E-]+,"
                + "\"sentencesPerSecond\":[0-9.E-]+,\"dim\":384,.*\"truncated\":1,\"emptyLines\":1,.*\\}"));
        NpyArray e = Npy.read(out);
        assertThat(e.dtype()).isEqualTo(DType.F32);
        assertThat(e.shape()).containsExactly(5, 384);
        double[] f = e.floats();
        double norm0 = 0;
        double same = 0;
        for (int c = 0; c < 384; c++) {
            norm0 += f[c] * f[c];
            same += Math.abs(f[c] - f[4 * 384 + c]);
        }
        assertThat(norm0).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(same).as("line 1 and line 5 are the same text (BOM and CRLF removed)").isZero();
    }

    @Test
    void imunpackReportsStatsAndCosine() throws IOException {
        Path in = write("s.txt", "Hello world!\nLow-bit arithmetic on a real model.\n");
        Path out = dir.resolve("E.npy");
        CliTest.Run r = run("embed", "--in", in.toString(), "--out", out.toString(), "--precision", "imunpack", "--bits", "3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"precision\":\"imunpack\"").contains("\"bits\":3").contains("\"minCosineToFp32\":0.9")
                .contains("\"layer\":5").contains("\"pv\":{\"ratio\":");
        assertThat(Npy.read(out).shape()).containsExactly(2, 384);
    }

    @Test
    void blockFormatPrecisionReportsWeightBytesAndCosine() throws IOException {
        Path in = write("s.txt", "Hello world!\nLow-bit arithmetic on a real model.\n");
        Path out = dir.resolve("E.npy");
        CliTest.Run r = run("embed", "--in", in.toString(), "--out", out.toString(), "--precision", "nvfp4", "--threads", "2");
        assertThat(r.code()).as(r.err()).isZero();
        // 4-bit elements + an E4M3 scale per 16 + a float tensor scale per matrix, for the 36 linear weights
        assertThat(r.out()).contains("\"precision\":\"nvfp4\"").contains("\"linearWeightBytes\":5972112").contains("\"residentWeightBytes\":84934656").contains("\"minCosineToFp32\":0.");
        assertThat(Npy.read(out).shape()).containsExactly(2, 384);
    }

    @Test
    void llmInt8ReportsItsOutlierFraction() throws IOException {
        Path in = write("s.txt", "Hello world!\n");
        CliTest.Run r = run("embed", "--in", in.toString(), "--out", dir.resolve("E.npy").toString(), "--precision", "llm-int8", "--threads", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"precision\":\"llm-int8\"").contains("\"linearWeightBytes\":10782720")
                .containsPattern("\"outlierFraction\":0\\.0[0-9]*[1-9]");
    }

    @Test
    void helpListsEveryPrecision() {
        CliTest.Run r = run("embed", "--help");
        for (String p : new String[] {"fp32", "imunpack", "int8", "llm-int8", "gptq-w4", "fp8", "mxfp8", "mxfp4", "nvfp4"}) {
            assertThat(r.out()).containsPattern("(?m)^  " + Pattern.quote(p) + " +\\S");
        }
    }

    @Test
    void errorsAreOneLineAndLeaveNoFile() throws IOException {
        Path out = dir.resolve("E.npy");
        CliTest.Run missing = run("embed", "--in", dir.resolve("nope.txt").toString(), "--out", out.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("lowbit: cannot read " + dir.resolve("nope.txt") + ": no such file");
        Path bad = dir.resolve("bad.txt");
        Files.write(bad, new byte[] {'o', 'k', '\n', (byte) 0xC3, (byte) 0x28, '\n'});
        CliTest.Run notUtf8 = run("embed", "--in", bad.toString(), "--out", out.toString());
        assertThat(notUtf8.code()).isEqualTo(2);
        assertThat(notUtf8.err()).contains("not valid UTF-8");
        CliTest.Run precision = run("embed", "--in", bad.toString(), "--out", out.toString(), "--precision", "fp4");
        assertThat(precision.code()).isEqualTo(2);
        assertThat(precision.err().strip().lines()).hasSize(1);
        assertThat(precision.err()).contains("unknown precision 'fp4' (available: fp32, imunpack, imunpack-sim, imunpack-fwd, rtn-clip, int8");
        CliTest.Run bits = run("embed", "--in", bad.toString(), "--out", out.toString(), "--precision", "gptq-w4", "--bits", "3");
        assertThat(bits.code()).isEqualTo(2);
        assertThat(bits.err().strip()).isEqualTo("lowbit: --bits applies to the RTN presets (imunpack, int8 ...) only, not gptq-w4");
        assertThat(out).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("bad.txt");
        }
    }
}
