package dev.lowbit.cli;

import dev.lowbit.Flags;
import dev.lowbit.LowbitException;
import dev.lowbit.format.BlockFormat;
import dev.lowbit.format.FakeQuant;
import dev.lowbit.format.Formats;
import dev.lowbit.format.NumberFormat;
import dev.lowbit.io.DType;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import dev.lowbit.report.Json;
import dev.lowbit.round.Rounding;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit quantize}: fake-quantize a float32 .npy to a number format (decode(encode(x))). */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Fake-quantize a float32 .npy to any number format (fp8, MX, NVFP4, intN, eXmY, …).", "",
            "Each element of an array of any shape becomes",
            "decode(encode(x)), written as float32 with the same shape. Block formats (MX, NVFP4, BFP) use blocks",
            "along the last axis; integer formats use per-tensor scales unless the name says -row, -col or -g<K>.",
            "Prints one JSON object: format, rounding, count, sqnrDb (null when there is no error or no signal),",
            "saturated (out-of-range values clipped to ±max), overflowed (finite values that became ±inf)."},
        footer = {"", "Examples:",
            "  ./lowbit quantize --in X.npy --out Y.npy --format e4m3",
            "  ./lowbit quantize --in W.npy --out Wq.npy --format mxfp4",
            "  ./lowbit quantize --in G.npy --out Gq.npy --format nvfp4 --rounding stochastic --seed 7",
            "  ./lowbit quantize --in X.npy --out Y.npy --format int4-asym-g128",
            "  ./lowbit quantize --in X.npy --out Y.npy --format fast-bfp4 --rounding stochastic-add --seed 3",
            "", "Formats: fp16 bf16 tf32 e5m2 e4m3 e3m2 e2m3 e2m1 eXmY int2..int16 mxfp8-e4m3 mxfp8-e5m2 mxfp6-e3m2",
            "mxfp6-e2m3 mxfp4 mxint8 nvfp4 bfp<m> fast-bfp<m> (see './lowbit formats'). MX needs the last axis to be a multiple",
            "of 32, NVFP4 of 16. Stochastic rounding uses (seed, element index), so the result does not depend on",
            "the thread count (-Dlowbit.threads)."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "X.npy", description = "Input: float32 .npy, any shape.")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "Y.npy",
            description = "Output: float32 .npy, same shape. It may be the --in file: written to a temporary file, then renamed over it.")
    Path out;

    @Option(names = "--format", required = true, paramLabel = "FMT", description = "Number format name.")
    String format;

    @Option(names = "--rounding", defaultValue = "nearest-even", paramLabel = "MODE",
            description = "nearest-even, nearest-away, toward-zero, up, down, stochastic or stochastic-add (FAST's floor(t + u); default: ${DEFAULT-VALUE}).")
    String rounding;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seed for stochastic rounding (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        Inputs.checkOutput(out, "--out");
        NumberFormat f = Formats.parse(format);
        Rounding r = Rounding.parse(rounding, seed);
        NpyArray a = Npy.read(in);
        if (a.dtype() != DType.F32) {
            throw new LowbitException(in + ": expected a float32 array, got " + a.dtype().shortName());
        }
        int[] shape = a.shape();
        if (f instanceof BlockFormat b) {
            try {
                b.checkShape(FakeQuant.rowsCols(shape)[1]);
            } catch (LowbitException e) {
                throw new LowbitException(in + ": " + e.getMessage(), e);
            }
        }
        double[] d = a.floats();
        float[] x = new float[d.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) d[i];
        }
        FakeQuant.Result res;
        try {
            res = FakeQuant.apply(f, x, shape, r, Flags.threads());
        } catch (LowbitException e) { // e.g. NaN input to an integer format: name the file
            throw new LowbitException(in + ": " + e.getMessage(), e);
        }
        double[] y = new double[x.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = res.out()[i];
        }
        Npy.write(out, NpyArray.ofFloats(DType.F32, shape, y));
        Json j = Json.object().put("format", f.name()).put("rounding", r.label());
        if (r instanceof Rounding.Stochastic || r instanceof Rounding.StochasticAdd) {
            j.put("seed", seed);
        }
        j.put("shape", shape).put("count", res.stats().count()).put("sqnrDb", res.sqnrDb())
                .put("saturated", res.stats().saturated()).put("overflowed", res.stats().overflowed());
        PrintWriter pw = spec.commandLine().getOut();
        pw.println(j);
        pw.flush();
        return 0;
    }
}
