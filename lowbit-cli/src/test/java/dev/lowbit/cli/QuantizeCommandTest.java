package dev.lowbit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lowbit.format.Formats;
import dev.lowbit.io.DType;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import dev.lowbit.round.Rounding;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuantizeCommandTest {
    @TempDir
    Path dir;

    private Path write(String name, int[] shape, double[] values, DType t) {
        Path p = dir.resolve(name);
        Npy.write(p, NpyArray.ofFloats(t, shape, values));
        return p;
    }

    private static double[] gaussian(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (rnd.nextGaussian() * 3);
        }
        return d;
    }

    private static void assertOneLineError(CliTest.Run r, String fragment) {
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("lowbit: ").contains(fragment).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void quantizeWritesDecodeOfEncodeAndTheContractJson() {
        int[] shape = {2, 3, 64};
        double[] x = gaussian(2 * 3 * 64, 1);
        x[5] = 1e6; // saturates in e4m3
        Path in = write("X.npy", shape, x, DType.F32);
        Path out = dir.resolve("Y.npy");
        CliTest.Run r = CliTest.run("quantize", "--in", in.toString(), "--out", out.toString(), "--format", "e4m3");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).matches(Pattern.compile("\\{\"format\":\"e4m3\",\"rounding\":\"nearest-even\",\"shape\":\\[2,3,64\\],"
                + "\"count\":384,\"sqnrDb\":[0-9.E-]+,\"saturated\":1,\"overflowed\":0\\}"));
        NpyArray y = Npy.read(out);
        assertThat(y.dtype()).isEqualTo(DType.F32);
        assertThat(y.shape()).containsExactly(shape);
        for (int i = 0; i < x.length; i++) {
            assertThat(y.floats()[i]).isEqualTo(Formats.E4M3.round((float) x[i]));
        }
    }

    @Test
    void everyNamedFormatAndRoundingRuns() {
        Path in = write("X.npy", new int[] {4, 96}, gaussian(4 * 96, 2), DType.F32);
        for (var f : Formats.named()) {
            for (String rounding : new String[] {"nearest-even", "nearest-away", "toward-zero", "up", "down", "stochastic"}) {
                Path out = dir.resolve("Y.npy");
                CliTest.Run r = CliTest.run("quantize", "--in", in.toString(), "--out", out.toString(), "--format", f.name(),
                        "--rounding", rounding, "--seed", "3");
                assertThat(r.code()).as(f.name() + " " + rounding + ": " + r.err()).isZero();
                assertThat(r.out()).contains("\"format\":\"" + f.name() + "\"").contains("\"rounding\":\"" + rounding + "\"");
            }
        }
    }

    @Test
    void stochasticIsReproducibleAndFp16OverflowIsCounted() throws IOException {
        Path in = write("X.npy", new int[] {3}, new double[] {1e5, 65519, 0.1}, DType.F32);
        Path out = dir.resolve("Y.npy");
        CliTest.Run r = CliTest.run("quantize", "--in", in.toString(), "--out", out.toString(), "--format", "fp16");
        assertThat(r.out()).contains("\"saturated\":1,\"overflowed\":1");
        assertThat(Npy.read(out).floats()[0]).isEqualTo(Double.POSITIVE_INFINITY);
        Path big = write("B.npy", new int[] {8, 128}, gaussian(1024, 5), DType.F32);
        Path o1 = dir.resolve("o1.npy");
        Path o2 = dir.resolve("o2.npy");
        assertThat(CliTest.run("quantize", "--in", big.toString(), "--out", o1.toString(), "--format", "mxfp4", "--rounding", "stochastic",
                "--seed", "9").code()).isZero();
        assertThat(CliTest.run("quantize", "--in", big.toString(), "--out", o2.toString(), "--format", "mxfp4", "--rounding", "stochastic",
                "--seed", "9").code()).isZero();
        assertThat(Files.readAllBytes(o1)).isEqualTo(Files.readAllBytes(o2));
        double[] xd = Npy.read(big).floats();
        float[] xf = new float[xd.length];
        for (int i = 0; i < xf.length; i++) {
            xf[i] = (float) xd[i];
        }
        float[] want = new float[xf.length];
        Formats.MXFP4.round(xf, want, 8, 128, new Rounding.Stochastic(9));
        double[] got = Npy.read(o1).floats();
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).isEqualTo(want[i]);
        }
    }

    @Test
    void fastBfpWithFastStochasticRounding() throws IOException {
        Path in = write("F.npy", new int[] {3, 37}, gaussian(111, 6), DType.F32); // 37: a short last group of 5
        Path out = dir.resolve("F.out.npy");
        CliTest.Run r = CliTest.run("quantize", "--in", in.toString(), "--out", out.toString(), "--format", "fast-bfp4",
                "--rounding", "stochastic-add", "--seed", "3");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("\"format\":\"fast-bfp4\",\"rounding\":\"stochastic-add\",\"seed\":3");
        double[] xd = Npy.read(in).floats();
        float[] xf = new float[xd.length];
        for (int i = 0; i < xf.length; i++) {
            xf[i] = (float) xd[i];
        }
        float[] want = new float[xf.length];
        Formats.fastBfp(4, 16).round(xf, want, 3, 37, Formats.fastRounding(3));
        double[] got = Npy.read(out).floats();
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).isEqualTo(want[i]);
        }
    }

    @Test
    void badInputsAreOneLineErrorsWithoutOutput() throws IOException {
        Path out = dir.resolve("Y.npy");
        Path odd = write("odd.npy", new int[] {2, 33}, gaussian(66, 3), DType.F32);
        assertOneLineError(CliTest.run("quantize", "--in", odd.toString(), "--out", out.toString(), "--format", "mxfp4"),
                "multiple of the block size 32");
        assertOneLineError(CliTest.run("quantize", "--in", odd.toString(), "--out", out.toString(), "--format", "nvfp4"),
                "multiple of the block size 16");
        Path f64 = write("f64.npy", new int[] {4}, new double[] {1, 2, 3, 4}, DType.F64);
        assertOneLineError(CliTest.run("quantize", "--in", f64.toString(), "--out", out.toString(), "--format", "e4m3"), "float32");
        assertOneLineError(CliTest.run("quantize", "--in", odd.toString(), "--out", out.toString(), "--format", "fp7"), "unknown format 'fp7'");
        assertOneLineError(CliTest.run("quantize", "--in", odd.toString(), "--out", out.toString(), "--format", "e4m3", "--rounding", "banker"),
                "unknown rounding");
        Path corrupt = dir.resolve("bad.npy");
        Files.write(corrupt, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 4, 0, 'x', 'y', 'z', 'w'});
        assertOneLineError(CliTest.run("quantize", "--in", corrupt.toString(), "--out", out.toString(), "--format", "e4m3"), "bad.npy");
        assertOneLineError(CliTest.run("quantize", "--in", dir.resolve("none.npy").toString(), "--out", out.toString(), "--format", "e4m3"),
                "no such file");
        Path nan = write("nan.npy", new int[] {2}, new double[] {1, Double.NaN}, DType.F32);
        assertOneLineError(CliTest.run("quantize", "--in", nan.toString(), "--out", out.toString(), "--format", "int8"), "finite");
        assertThat(out).doesNotExist();
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void formatsTableAndJson() {
        CliTest.Run r = CliTest.run("formats");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("e4m3").contains("448").contains("mxfp4").contains("nvfp4").contains("int16").contains("bfp4");
        CliTest.Run j = CliTest.run("formats", "--json");
        assertThat(j.code()).isZero();
        assertThat(j.out().strip()).startsWith("{\"formats\":[{\"name\":\"fp16\",\"bits\":16.0,\"maxFinite\":65504.0,")
                .contains("{\"name\":\"e4m3\",\"bits\":8.0,\"maxFinite\":448.0,\"minNormal\":0.015625,\"minSubnormal\":0.001953125,"
                        + "\"epsilon\":0.125,\"hasInf\":false,\"hasNaN\":true");
    }

    @Test
    void demoJsonHasTheFormatsSection() {
        CliTest.Run r = CliTest.run("demo", "--size", "16x16x32", "--no-model", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"formats\":[{\"format\":\"fp16\",\"bits\":16.0,\"sqnrDb\":");
        assertThat(r.out()).contains("{\"format\":\"mxfp4\",\"bits\":4.25,\"sqnrDb\":");
    }
}
