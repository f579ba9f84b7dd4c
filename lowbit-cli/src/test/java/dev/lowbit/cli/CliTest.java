package dev.lowbit.cli;

import dev.lowbit.policy.Presets;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.io.DType;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = LowbitCli.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    Path a;
    Path w;

    @BeforeEach
    void writeInputs() {
        a = dir.resolve("A.npy");
        w = dir.resolve("W.npy");
        Npy.write(a, NpyArray.of(RandomMatrices.outlierChannels(24, 32, 2, 40, 1)));
        Npy.write(w, NpyArray.of(RandomMatrices.studentT(16, 32, 3, 2)));
    }

    private void assertOneLineError(Run r, String fragment) {
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("lowbit: ").contains(fragment).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void unpackPrintsTheContractJson() {
        Run r = run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "4", "--strategy", "row");
        assertThat(r.code()).as(r.err()).isZero();
        String json = r.out().strip();
        assertThat(json.lines()).hasSize(1);
        assertThat(json).matches(Pattern.compile("\\{\"bits\":4,\"strategy\":\"row\",\"beta\":0.95,\"levels\":15,"
                + "\"lhs\":\\{\"rows\":24,\"cols\":32,\"unpackedRows\":\\d+,\"heavyHitters\":\\d+,\"heavyHitterFraction\":[-0-9.E]+,\"alpha\":[-0-9.E]+,\"scale\":[-0-9.E]+\\},"
                + "\"rhs\":\\{\"rows\":16,\"cols\":32,\"unpackedRows\":\\d+,\"heavyHitters\":\\d+,\"heavyHitterFraction\":[-0-9.E]+,\"alpha\":[-0-9.E]+,\"scale\":[-0-9.E]+\\},"
                + "\"innerDim\":32,\"unpackedInnerDim\":32,\"ratio\":[0-9.E]+,\"exact\":true,\"relErrorVsFp32\":[0-9.E-]+\\}"));
    }

    @Test
    void unpackWritesOutputAndTable() throws IOException {
        Path c = dir.resolve("C.npy");
        Run r = run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "3", "--strategy", "both", "--table", "--out", c.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("exact vs int64 GEMM of codes: true").contains("work ratio");
        NpyArray out = Npy.read(c);
        assertThat(out.dtype()).isEqualTo(DType.F32);
        assertThat(out.shape()).containsExactly(24, 16);
        // the same result whatever the bit-width and strategy
        Path c2 = dir.resolve("C2.npy");
        assertThat(run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "8", "--strategy", "auto", "--out", c2.toString()).code()).isZero();
        assertThat(Npy.read(c2).floats()).containsExactly(out.floats());
    }

    @Test
    void badInputsGiveOneLineErrors() throws IOException {
        assertOneLineError(run("unpack", "--lhs", dir.resolve("missing.npy").toString(), "--rhs", w.toString(), "--bits", "4", "--strategy", "row"),
                "missing.npy: no such file");
        Path bad = dir.resolve("bad.npy");
        Files.writeString(bad, "garbage");
        assertOneLineError(run("unpack", "--lhs", bad.toString(), "--rhs", w.toString(), "--bits", "4", "--strategy", "row"), "not a .npy file");
        Path nan = dir.resolve("nan.npy");
        FloatMatrix m = FloatMatrix.zeros(3, 32);
        m.set(2, 5, Float.NaN);
        Npy.write(nan, NpyArray.of(m));
        assertOneLineError(run("unpack", "--lhs", nan.toString(), "--rhs", w.toString(), "--bits", "4", "--strategy", "row"),
                "nan.npy: non-finite value NaN at (2, 5)");
        Path k5 = dir.resolve("k5.npy");
        Npy.write(k5, NpyArray.of(FloatMatrix.zeros(3, 5)));
        assertOneLineError(run("unpack", "--lhs", a.toString(), "--rhs", k5.toString(), "--bits", "4", "--strategy", "row"),
                "inner dimensions differ");
        assertOneLineError(run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "1", "--strategy", "row"), "bits must be in 2..16");
        assertOneLineError(run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "17", "--strategy", "row"), "bits must be in 2..16");
        assertOneLineError(run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "4", "--strategy", "row", "--beta", "0"), "--beta must be in (0, 1]");
        assertOneLineError(run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "4", "--strategy", "row", "--beta", "1.5"), "--beta");
        assertOneLineError(run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "4", "--strategy", "diag"), "unknown strategy");
        assertOneLineError(run("unpack", "--lhs", a.toString(), "--bits", "4", "--strategy", "row"), "Missing required option");
        assertOneLineError(run("unpack", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "four", "--strategy", "row"), "four");
        assertOneLineError(run("frobnicate"), "frobnicate");
        Path vec = dir.resolve("vec.npy");
        Npy.write(vec, NpyArray.ofFloats(DType.F32, new int[] {7}, new double[7]));
        assertOneLineError(run("unpack", "--lhs", vec.toString(), "--rhs", w.toString(), "--bits", "4", "--strategy", "row"), "expected a 2-D array");
    }

    @Test
    void failedRunLeavesNoOutputFile() {
        Path c = dir.resolve("C.npy");
        Path k5 = dir.resolve("k5.npy");
        Npy.write(k5, NpyArray.of(FloatMatrix.zeros(3, 5)));
        assertThat(run("unpack", "--lhs", a.toString(), "--rhs", k5.toString(), "--bits", "4", "--strategy", "row", "--out", c.toString()).code()).isEqualTo(2);
        assertThat(c).doesNotExist();
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("A.npy", "W.npy", "k5.npy");
    }

    @Test
    void demoRunsAndPlots() throws IOException {
        Path png = dir.resolve("demo.png");
        Run r = run("demo", "--size", "16x12x24", "--train-steps", "3", "--no-model", "--plot", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("gaussian").contains("heavy-tailed").contains("outlier-channels").doesNotContain(" NO ")
                .contains("Short training run").contains("rtn-clip sample:");
        byte[] head = Files.readAllBytes(png);
        assertThat(head.length).isGreaterThan(1000);
        assertThat(new String(head, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
        Run j = run("demo", "--size", "8x8x16", "--train-steps", "0", "--no-model", "--json");
        assertThat(j.out().strip()).startsWith("{\"shape\":\"8x8x16\"").contains("\"exact\":true").doesNotContain("\"exact\":false");
        assertOneLineError(run("demo", "--size", "8x8"), "shape must be MxNxK");
        assertOneLineError(run("demo", "--size", "8x8x8", "--plot", dir.resolve("x.jpg").toString()), "PNG");
    }

    @Test
    void comparePrintsEveryMethod() throws IOException {
        Run r = run("compare", "--lhs", a.toString(), "--rhs", w.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).startsWith("{\"lhs\":\"24x32\",\"rhs\":\"16x32\",\"bits\":4,\"seed\":1,\"methods\":[")
                .contains("\"name\":\"imunpack\"").contains("\"name\":\"gptq\"").contains("\"name\":\"llm-int8\"")
                .contains("\"name\":\"hadamard\"").contains("\"name\":\"bfp\"").contains("\"lhsSqnrDb\":null");
        Path png = dir.resolve("cmp.png");
        Run t = run("compare", "--lhs", a.toString(), "--rhs", w.toString(), "--methods", "gptq,rtn-weight", "--bits", "3", "--table",
                "--calib", a.toString(), "--plot", png.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("gptq").contains("rtn-weight").doesNotContain("hadamard");
        assertThat(Files.size(png)).isGreaterThan(1000);
        assertOneLineError(run("compare", "--lhs", a.toString(), "--rhs", w.toString(), "--methods", "magic"), "unknown method 'magic'");
        assertOneLineError(run("compare", "--lhs", a.toString(), "--rhs", w.toString(), "--bits", "1"), "--bits must be in 2..16");
    }

    @Test
    void genWritesSeededMatrices() throws IOException {
        Path g1 = dir.resolve("g1.npy");
        Path g2 = dir.resolve("g2.npy");
        assertThat(run("gen", "--kind", "student-t", "--shape", "5x7", "--seed", "3", "--out", g1.toString()).code()).isZero();
        assertThat(run("gen", "--kind", "student-t", "--shape", "5x7", "--seed", "3", "--out", g2.toString()).code()).isZero();
        assertThat(Files.readAllBytes(g1)).isEqualTo(Files.readAllBytes(g2));
        assertThat(Npy.read(g1).shape()).containsExactly(5, 7);
        assertOneLineError(run("gen", "--kind", "zipf", "--shape", "5x7", "--out", g1.toString()), "unknown kind");
        assertOneLineError(run("gen", "--kind", "gaussian", "--shape", "5", "--out", g1.toString()), "--shape must be RxC");
        assertOneLineError(run("gen", "--kind", "gaussian", "--shape", "5x7", "--out", dir.resolve("no/such/dir.npy").toString()), "does not exist");
    }

    @Test
    void trainPrintsTheContractJson() throws IOException {
        Path json = dir.resolve("run.json");
        Path png = dir.resolve("loss.png");
        Run r = run("train", "--task", "kjv-gpt", "--policy", "imunpack", "--steps", "3", "--layers", "1", "--dim", "16", "--heads", "2",
                "--context", "16", "--batch", "4", "--eval-every", "2", "--out", json.toString(), "--plot", png.toString());
        assertThat(r.code()).as(r.err()).isZero();
        String out = r.out().strip();
        assertThat(out).startsWith("{\"task\":\"kjv-gpt\",\"policy\":\"imunpack\",\"steps\":3,\"seed\":7,\"trainLoss\":[")
                .contains("\"valLoss\":[[2,").contains("\"final\":{\"valLoss\":").contains("\"accuracy\":null")
                .contains("\"tokensPerSecond\":").contains("\"unpack\":{\"byRole\":{").contains("\"grad-weight\":{\"gemms\":")
                .contains("\"attn-score\":").containsPattern("\"output\":\\{[^}]*\"sqnrDb\":[0-9.]+,\"probes\":[1-9]")
                .containsPattern("\"sqnrDbByStep\":\\[\\[2,[0-9.]+\\],\\[3,[0-9.]+\\]\\]");
        assertThat(Files.readString(json).strip()).isEqualTo(out);
        List<TrainCommand.Summary> saved = TrainCommand.readRuns(json);
        assertThat(saved.getFirst().sqnrDb()).containsKeys("output", "grad-input", "grad-weight", "attn-score", "attn-value-grad");
        assertThat(TrainCommand.sqnrChart("kjv-gpt", saved)).isNotNull();
        assertThat(Files.size(png)).isGreaterThan(1000);
        Path png2 = dir.resolve("again.png");
        Run again = run("train", "--task", "kjv-gpt", "--from", json.toString(), "--plot", png2.toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("imunpack").contains("final val loss").contains("imunpack sample:");
        assertThat(Files.size(png2)).isGreaterThan(1000);
        assertOneLineError(run("train", "--task", "kjv-gpt", "--from", png.toString()), "not valid JSON");
        Run both = run("train", "--task", "kjv-gpt", "--from", json + "," + json);
        assertThat(both.code()).as(both.err()).isZero();
        assertThat(both.out().lines().filter(l -> l.matches("imunpack +3 .*")).count()).as("the same run twice is shown once").isEqualTo(1);
        assertOneLineError(run("train", "--task", "kjv-gpt", "--from", json + "," + dir.resolve("missing.json")), "no such file");
        Run two = run("train", "--task", "kjv-gpt", "--policies", "fp32,rtn-clip", "--steps", "2", "--layers", "1", "--dim", "16",
                "--heads", "2", "--context", "16", "--batch", "4", "--table");
        assertThat(two.code()).as(two.err()).isZero();
        assertThat(two.out()).contains("fp32").contains("rtn-clip").contains("final val loss").contains("output SQNR dB");
        assertThat(r.out()).doesNotContain("quantizerParams");
        Run hq = run("train", "--task", "kjv-gpt", "--policy", "int4-hq", "--steps", "2", "--layers", "1", "--dim", "16", "--heads", "2",
                "--context", "16", "--batch", "4");
        assertThat(hq.code()).as(hq.err()).isZero();
        assertThat(hq.out()).contains("\"quantizerParams\":{\"h0.attn.out/output/lhs.lsq-step\":{\"initial\":");
        assertOneLineError(run("train", "--task", "mnist"), "unknown task");
        assertOneLineError(run("train", "--task", "kjv-gpt", "--policy", "magic"), "unknown policy");
        assertOneLineError(run("train", "--task", "fashion-vit", "--steps", "1", "--data", dir.resolve("nowhere").toString()),
                "dataset-fashion-mnist");
        assertOneLineError(run("train", "--task", "kjv-gpt", "--steps", "2", "--resume"), "--resume needs --checkpoint");
    }

    @Test
    void trainHelpListsEveryRecipe() {
        Run h = run("train", "--help");
        assertThat(h.code()).isZero();
        for (String name : dev.lowbit.policy.Presets.describe().keySet()) {
            assertThat(h.out()).as(name).containsPattern("[ ,]" + java.util.regex.Pattern.quote(name) + "[,\\s]");
        }
    }

    @Test
    void miniLmGemmRejectsBadArgumentsBeforeLoadingTheModel() {
        assertOneLineError(run("minilm-gemm", "--layer", "6", "--out-lhs", "x.npy", "--out-rhs", "w.npy"), "--layer must be in 0..5");
        assertOneLineError(run("minilm-gemm", "--weight", "ffn", "--out-lhs", "x.npy", "--out-rhs", "w.npy"), "unknown --weight 'ffn'");
    }

    @Test
    void helpAndVersion() {
        Run h = run("--help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).contains("unpack").contains("demo");
        Run uh = run("unpack", "--help");
        assertThat(uh.out()).contains("Examples:").contains("--strategy");
        Run v = run("--version");
        assertThat(v.out()).startsWith("lowbit ");
    }
}
