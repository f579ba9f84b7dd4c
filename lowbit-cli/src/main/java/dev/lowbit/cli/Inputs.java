package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.io.Npy;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loading and validating command inputs, with errors that name the file. */
final class Inputs {
    private Inputs() {}

    /** Reads a 2-D numeric .npy as float32 and rejects NaN/Inf. */
    static FloatMatrix finiteMatrix(Path file) {
        FloatMatrix m = Npy.read(file).toFloatMatrix(file.toString());
        RtnQuantizer.requireFinite(m, file.toString());
        return m;
    }

    /** Checks that lhs (m×k) and rhs (n×k) share k. */
    static void requireSameInner(FloatMatrix a, Path aFile, FloatMatrix b, Path bFile) {
        if (a.cols() != b.cols()) {
            throw new LowbitException("inner dimensions differ: " + aFile + " is " + a.shapeString() + ", " + bFile + " is "
                    + b.shapeString() + " (C = A·Wᵀ needs A m×k and W n×k)");
        }
    }

    /**
     * Checks an output path before any work is done, so a bad one fails in a second with nothing written: its
     * directory must exist (and be a directory, not a file such as {@code notes.txt/out.npy}) and it must not itself
     * be a directory. {@code option} names the option in the message. Null (option not given) passes.
     */
    static void checkOutput(Path out, String option) {
        if (out == null) {
            return;
        }
        if (Files.isDirectory(out)) {
            throw new LowbitException(option + " " + out + ": is a directory");
        }
        Path dir = out.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new LowbitException(option + " " + out + (Files.exists(dir) ? ": " + dir + " is not a directory"
                    : ": directory " + dir + " does not exist"));
        }
        if (dir != null && !Files.isWritable(dir)) {
            throw new LowbitException(option + " " + out + ": directory " + dir + " is not writable");
        }
    }

    static double checkBeta(double beta) {
        if (!(beta > 0 && beta <= 1)) {
            throw new LowbitException("--beta must be in (0, 1], got " + beta);
        }
        return beta;
    }
}
