package dev.lowbit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code bench embed}: one JSON object with speed, cosine, weight bytes and the ratio to ORT fp32 per mode. */
class BenchEmbedCommandTest {
    @Test
    void reportsEachPrecisionAndOrt() {
        CliTest.Run r = CliTest.run("bench", "embed", "--batch", "2", "--seq", "8", "--repeat", "1", "--warmup", "0",
                "--threads", "1", "--precisions", "fp8,mxfp4");
        assertThat(r.code()).as(r.err()).isZero();
        String out = r.out();
        assertThat(out).contains("\"fp8\":{\"sentencesPerSecond\":").contains("\"mxfp4\":{").contains("\"ort-fp32\":{")
                .contains("\"ort-int8\":{").containsPattern("\"ort-fp32\":\\{[^}]*\"ratioToOrtFp32\":1(\\.0)?}").contains("\"linearWeightBytes\":10616976")
                .contains("\"linearWeightBytes\":5640192");
        assertThat(out).doesNotContain("\"fp32\":{"); // only the cosine reference, not timed
    }

    @Test
    void unknownModeIsAnError() {
        CliTest.Run r = CliTest.run("bench", "embed", "--precisions", "fp32,int4");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("lowbit: unknown mode 'int4' (available: fp32, imunpack, int8, llm-int8, gptq-w4");
    }
}
