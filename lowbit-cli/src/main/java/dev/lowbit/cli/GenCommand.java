package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.io.Npy;
import dev.lowbit.io.NpyArray;
import dev.lowbit.report.Json;
import dev.lowbit.tensor.FloatMatrix;
import dev.lowbit.tensor.RandomMatrices;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lowbit gen}: write a seeded synthetic matrix as float32 .npy. */
@Command(name = "gen", mixinStandardHelpOptions = true,
        description = {"Write a seeded synthetic matrix (float32 .npy) to try the other verbs on.",
            "",
            "Kinds: gaussian (i.i.d. N(0,1)), student-t (heavy tails, --nu degrees of freedom), outlier-channels",
            "(N(0,1) with --outliers columns scaled by --factor, like Transformer activations).", ""},
        footer = {"", "Examples:",
            "  ./lowbit gen --kind student-t --shape 256x512 --seed 1 --out X.npy",
            "  ./lowbit gen --kind outlier-channels --shape 256x512 --outliers 8 --factor 40 --out A.npy"})
final class GenCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--kind", required = true, paramLabel = "KIND", description = "gaussian, student-t or outlier-channels.")
    String kind;

    @Option(names = "--shape", required = true, paramLabel = "RxC", description = "Rows x columns, e.g. 256x512.")
    String shape;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--nu", defaultValue = "3", description = "Student-t degrees of freedom (default: ${DEFAULT-VALUE}).")
    double nu;

    @Option(names = "--outliers", defaultValue = "8", description = "Outlier columns (default: ${DEFAULT-VALUE}).")
    int outliers;

    @Option(names = "--factor", defaultValue = "40", description = "Outlier column scale (default: ${DEFAULT-VALUE}).")
    double factor;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy", description = "Output file.")
    Path out;

    @Override
    public Integer call() {
        Inputs.checkOutput(out, "--out");
        String[] p = shape.toLowerCase(Locale.ROOT).split("x");
        int rows;
        int cols;
        try {
            rows = Integer.parseInt(p[0]);
            cols = Integer.parseInt(p[1]);
        } catch (RuntimeException e) {
            throw new LowbitException("--shape must be RxC with positive integers, got '" + shape + "'");
        }
        if (p.length != 2 || rows < 1 || cols < 1) {
            throw new LowbitException("--shape must be RxC with positive integers, got '" + shape + "'");
        }
        if ((long) rows * cols > Integer.MAX_VALUE - 16) {
            throw new LowbitException("--shape " + shape + " is too large: " + (long) rows * cols + " elements (at most "
                    + (Integer.MAX_VALUE - 16) + ")");
        }
        if (!(nu >= 1)) {
            throw new LowbitException("--nu must be >= 1, got " + nu);
        }
        FloatMatrix m = switch (kind.toLowerCase(Locale.ROOT)) {
            case "gaussian" -> RandomMatrices.gaussian(rows, cols, seed);
            case "student-t" -> RandomMatrices.studentT(rows, cols, nu, seed);
            case "outlier-channels" -> RandomMatrices.outlierChannels(rows, cols, outliers, factor, seed);
            default -> throw new LowbitException("unknown kind '" + kind + "' (use gaussian, student-t or outlier-channels)");
        };
        Npy.write(out, NpyArray.of(m));
        spec.commandLine().getOut().println(Json.object().put("kind", kind).put("shape", m.shapeString()).put("seed", seed).put("out", out.toString()));
        return 0;
    }
}
