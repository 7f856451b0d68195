// A dense float32 tensor with an optional gradient and the tape node that made it (reverse-mode autograd).
package org.llm4j.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import org.llm4j.kernels.DType;
import org.llm4j.kernels.Weight;

/**
 * Row-major, contiguous float32 storage. Views made by {@code reshape} share {@link #data}; every
 * other op writes a new tensor. A tensor may instead be a read-only view of weights in a
 * memory-mapped file ({@link #mapped}): then {@link #data} is null, inference kernels read it
 * through {@link #weight()}, and training ops refuse it. Gradients are allocated on first use and accumulate (+=), so a
 * tensor used by several ops receives the sum of their gradients.
 */
public final class Tensor {
    public final float[] data;
    final int[] shape;
    private final Weight.Mapped mapped; // non-null exactly when data is null
    private float[] grad;
    private boolean requiresGrad;
    Node node; // the op that produced this tensor; null for leaves and for tensors made without grad

    /** One recorded op: its inputs and the function that pushes this output's gradient into theirs. */
    record Node(Tensor[] inputs, Backward backward) {}

    /** Reads {@code out.grad()} and accumulates into the inputs' gradients. */
    @FunctionalInterface
    public interface Backward {
        void apply(Tensor out);
    }

    public Tensor(float[] data, int... shape) {
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, data has " + data.length);
        }
        this.data = data;
        this.shape = shape.clone();
        this.mapped = null;
    }

    private Tensor(Weight.Mapped mapped, int[] shape) {
        this.data = null;
        this.shape = shape.clone();
        this.mapped = mapped;
    }

    /** A read-only view of weights in a mapped file; shape's last dimension is the matrix's columns. */
    public static Tensor mapped(Weight.Mapped w, int... shape) {
        long n = numel(shape);
        if (n != (long) w.rows() * w.cols()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, the mapped matrix " + w.rows() * (long) w.cols());
        }
        return new Tensor(w, shape);
    }

    public boolean isMapped() { return mapped != null; }

    /** How the values are stored: F32 on the heap, or the mapped file's element type. */
    public DType dtype() { return mapped == null ? DType.F32 : mapped.type(); }

    /**
     * This tensor as a matrix for inference kernels: (product of the leading dimensions, last
     * dimension); a vector is one row. No copy in either storage.
     */
    public Weight weight() {
        int cols = shape.length == 0 ? 1 : shape[shape.length - 1];
        int rows = cols == 0 ? 0 : size() / cols;
        return mapped != null ? mapped : new Weight.Heap(data, 0, rows, cols);
    }

    /** The values as float32 on the heap: this tensor's own array, or a converted copy of mapped weights. */
    public float[] floats() {
        if (data != null) return data;
        float[] out = new float[size()];
        int cols = mapped.cols();
        for (int r = 0; r < mapped.rows(); r++) mapped.row(r, 0, cols, out, r * cols);
        return out;
    }

    public static Tensor zeros(int... shape) {
        return new Tensor(new float[checkedSize(shape)], shape);
    }

    public static Tensor of(float[] data, int... shape) {
        return new Tensor(data, shape);
    }

    public static Tensor scalar(float v) {
        return new Tensor(new float[]{v});
    }

    /** A trainable leaf: requires grad. */
    public static Tensor param(float[] data, int... shape) {
        return new Tensor(data, shape).requiresGrad(true);
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    static int checkedSize(int[] shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " exceeds 2^31 elements");
        return (int) n;
    }

    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int size() { return data != null ? data.length : mapped.rows() * mapped.cols(); }

    /** Size of dimension i; negative i counts from the end. */
    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public float item() {
        if (data.length != 1) throw new IllegalStateException("item() needs a single value, shape is " + Arrays.toString(shape));
        return data[0];
    }

    public boolean requiresGrad() { return requiresGrad; }

    public Tensor requiresGrad(boolean on) {
        this.requiresGrad = on;
        return this;
    }

    /** The gradient, or null before backward reached this tensor. */
    public float[] grad() { return grad; }

    // Where leaves' gradients go on this thread (null: into the leaves). Data-parallel training
    // runs shards of a batch on several threads over the same parameters; each shard's
    // parameter gradients land in its own buffers and are summed in a fixed order afterwards.
    private static final ThreadLocal<java.util.Map<Tensor, float[]>> LEAF_SINK = new ThreadLocal<>();

    /**
     * Until the scope closes, backward on this thread accumulates the gradients of leaves (the
     * parameters) into {@code sink} (an identity map, buffers created on first use) instead of
     * into the leaves themselves.
     */
    public static Grad.Scope redirectLeafGradients(java.util.IdentityHashMap<Tensor, float[]> sink) {
        java.util.Map<Tensor, float[]> previous = LEAF_SINK.get();
        LEAF_SINK.set(sink);
        return () -> LEAF_SINK.set(previous);
    }

    /** The gradient buffer, allocated (zeros) on first use. Ops' backward functions accumulate into it. */
    public float[] gradBuffer() {
        if (node == null) {
            java.util.Map<Tensor, float[]> sink = LEAF_SINK.get();
            if (sink != null) return sink.computeIfAbsent(this, t -> new float[t.data.length]);
        }
        if (grad == null) grad = new float[data.length];
        return grad;
    }

    public boolean hasGrad() { return grad != null; }

    public void zeroGrad() {
        if (grad != null) Arrays.fill(grad, 0f);
    }

    /** Drops the gradient buffer (frees memory for activations after a step). */
    public void clearGrad() { grad = null; }

    public boolean isLeaf() { return node == null; }

    /** Records how this tensor was made, when grad mode is on and an input needs grad. */
    Tensor record(Backward backward, Tensor... inputs) {
        if (!Grad.enabled()) return this;
        boolean any = false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad) { any = true; break; }
        if (!any) return this;
        this.requiresGrad = true;
        this.node = new Node(inputs, backward);
        return this;
    }

    /**
     * Reverse-mode autodiff from a scalar: seeds d(this)/d(this) = 1, visits the graph in reverse
     * topological order, and frees the graph afterwards (like PyTorch without retain_graph).
     */
    public void backward() {
        if (data.length != 1) throw new IllegalStateException("backward() needs a scalar, shape is " + Arrays.toString(shape));
        gradBuffer()[0] += 1f;
        List<Tensor> order = topologicalOrder();
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            if (t.node != null && t.grad != null) t.node.backward.apply(t);
        }
        for (Tensor t : order) {
            if (t.node != null) {
                t.node = null;
                t.grad = null; // intermediate gradients are not kept; leaves keep theirs
            }
        }
    }

    // Iterative DFS: an LSTM unrolled over thousands of steps would overflow a recursive one.
    private List<Tensor> topologicalOrder() {
        List<Tensor> order = new ArrayList<>();
        IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[]{this, 0});
        seen.put(this, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = t.node == null ? new Tensor[0] : t.node.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.requiresGrad && seen.put(in, Boolean.TRUE) == null) stack.push(new Object[]{in, 0});
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    /** A copy of the values with no history. */
    public Tensor detach() {
        return new Tensor(data != null ? data.clone() : floats(), shape);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Arrays.toString(shape)).append(' ');
        if (data == null) return sb.append("mapped ").append(mapped.type()).toString();
        int n = Math.min(data.length, 8);
        sb.append('[');
        for (int i = 0; i < n; i++) sb.append(i > 0 ? ", " : "").append(data[i]);
        if (data.length > n) sb.append(", ...");
        return sb.append(']').toString();
    }
}
