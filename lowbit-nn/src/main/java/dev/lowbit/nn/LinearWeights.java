package dev.lowbit.nn;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;

/**
 * A dense layer {@code y = x·Wᵀ + b} in the {@code nn.Linear} layout: {@code weight} is out×in.
 */
public record LinearWeights(FloatMatrix weight, float[] bias) {
    public LinearWeights {
        if (bias.length != weight.rows()) {
            throw new LowbitException("linear layer: bias has " + bias.length + " entries, weight is " + weight.shapeString());
        }
    }

    public int in() {
        return weight.cols();
    }

    public int out() {
        return weight.rows();
    }

    void check(String what, int out, int in) {
        if (weight.rows() != out || weight.cols() != in) {
            throw new LowbitException(what + ": weight is " + weight.shapeString() + ", expected " + out + "x" + in + " (out x in)");
        }
    }
}
