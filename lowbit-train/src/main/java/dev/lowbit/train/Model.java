package dev.lowbit.train;

import dev.lowbit.autograd.Tensor;
import dev.lowbit.round.Rng;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Base of the trainable models: an ordered registry of named parameters with seeded initialization. */
public abstract class Model {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    protected final long seed;

    protected Model(long seed) {
        this.seed = seed;
    }

    /** N(0, std²) entries, seeded by the model seed and the parameter's name. */
    protected Tensor normal(String name, int rows, int cols, double std) {
        float[] d = new float[rows * cols];
        long s = seed * 0x9E3779B97F4A7C15L + name.hashCode();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (Rng.gaussian(s, i) * std);
        }
        return register(Tensor.param(name, rows, cols, d));
    }

    protected Tensor constant(String name, int rows, int cols, float value) {
        float[] d = new float[rows * cols];
        Arrays.fill(d, value);
        return register(Tensor.param(name, rows, cols, d));
    }

    private Tensor register(Tensor t) {
        if (params.put(t.name(), t) != null) {
            throw new IllegalStateException("duplicate parameter " + t.name());
        }
        return t;
    }

    public Map<String, Tensor> params() {
        return params;
    }

    public long parameterCount() {
        return params.values().stream().mapToLong(Tensor::size).sum();
    }

    /** Parameters that get weight decay: matrices (not biases, LayerNorm gains or shifts). */
    public boolean decays(Tensor p) {
        return p.rows > 1 && p.cols > 1;
    }
}
