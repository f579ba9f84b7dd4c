package dev.lowbit.cli;

import dev.lowbit.LowbitException;
import dev.lowbit.io.Npy;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.tensor.FloatMatrix;
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

    static double checkBeta(double beta) {
        if (!(beta > 0 && beta <= 1)) {
            throw new LowbitException("--beta must be in (0, 1], got " + beta);
        }
        return beta;
    }
}
