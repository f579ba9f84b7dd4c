package dev.lowbit.autograd;

import dev.lowbit.LowbitException;
import dev.lowbit.tensor.FloatMatrix;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/** A float32 matrix in the autograd graph: data, lazily allocated gradient, parents and a backward closure. */
public final class Tensor {
    public final int rows;
    public final int cols;
    public final float[] data;
    private final boolean requiresGrad;
    private final Tensor[] parents;
    private float[] grad;
    private Runnable backwardFn;
    private String name;

    private Tensor(int rows, int cols, float[] data, boolean requiresGrad, Tensor[] parents) {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("data of length " + data.length + " is not " + rows + "x" + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.data = data;
        this.requiresGrad = requiresGrad;
        this.parents = parents;
    }

    /** A constant (no gradient). */
    public static Tensor constant(int rows, int cols, float[] data) {
        return new Tensor(rows, cols, data, false, new Tensor[0]);
    }

    /** A trainable parameter. */
    public static Tensor param(String name, int rows, int cols, float[] data) {
        Tensor t = new Tensor(rows, cols, data, true, new Tensor[0]);
        t.name = name;
        return t;
    }

    /** An op result; it needs a gradient when any parent does. */
    static Tensor result(int rows, int cols, float[] data, Tensor... parents) {
        boolean req = false;
        for (Tensor p : parents) {
            req |= p != null && p.requiresGrad;
        }
        return new Tensor(rows, cols, data, req, Arrays.stream(parents).filter(p -> p != null).toArray(Tensor[]::new));
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public String name() {
        return name;
    }

    public int size() {
        return data.length;
    }

    /** The gradient, allocated (as zeros) on first use. */
    public float[] grad() {
        if (grad == null) {
            grad = new float[data.length];
        }
        return grad;
    }

    public boolean hasGrad() {
        return grad != null;
    }

    public void zeroGrad() {
        if (grad != null) {
            Arrays.fill(grad, 0);
        }
    }

    void onBackward(Runnable fn) {
        if (requiresGrad) {
            backwardFn = fn;
        }
    }

    /** The data as a matrix (shares storage). */
    public FloatMatrix matrix() {
        return FloatMatrix.wrap(data, rows, cols);
    }

    /** The gradient as a matrix (shares storage). */
    public FloatMatrix gradMatrix() {
        return FloatMatrix.wrap(grad(), rows, cols);
    }

    public float item() {
        if (data.length != 1) {
            throw new IllegalStateException("item() on a " + rows + "x" + cols + " tensor");
        }
        return data[0];
    }

    /** Backpropagates from this scalar: d(this)/d(this) = 1, then every closure in reverse topological order. */
    public void backward() {
        if (data.length != 1) {
            throw new IllegalStateException("backward() needs a scalar, got " + rows + "x" + cols);
        }
        if (!Float.isFinite(data[0])) {
            throw new LowbitException("the loss is " + data[0] + ": training diverged (try a lower learning rate or another policy)");
        }
        List<Tensor> order = topologicalOrder();
        grad()[0] = 1;
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            if (t.backwardFn != null && t.grad != null) {
                t.backwardFn.run();
            }
        }
    }

    /** Parents before children, computed without recursion. */
    List<Tensor> topologicalOrder() {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        seen.add(this);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Tensor t = (Tensor) top[0];
            int i = (Integer) top[1];
            if (i < t.parents.length) {
                top[1] = i + 1;
                Tensor p = t.parents[i];
                if (p.requiresGrad && seen.add(p)) {
                    stack.push(new Object[] {p, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    @Override
    public String toString() {
        return "Tensor[" + rows + "x" + cols + (name == null ? "" : " " + name) + "]";
    }
}
