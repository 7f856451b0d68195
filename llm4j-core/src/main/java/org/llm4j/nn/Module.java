// A holder of named parameters: the state dict, with names that follow the reference checkpoints.
package org.llm4j.nn;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.llm4j.tensor.Tensor;

/**
 * Parameters are registered once under their checkpoint names (Hugging Face GPT-2:
 * {@code transformer.h.0.attn.c_attn.weight}; PyTorch nn.LSTM: {@code lstm.weight_ih_l0}), so
 * import and export are a copy loop over {@link #parameters()}.
 */
public abstract class Module {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    protected boolean training = true;
    private final java.util.List<Module> children = new java.util.ArrayList<>();
    private Map<String, Tensor> adoptFrom; // set while a module is built around existing weights
    private String adoptOrigin;

    /**
     * Makes the following {@link #param} calls take their tensors from source (by name, shape
     * checked) instead of allocating them: how a model is built around memory-mapped weights
     * without a copy. Vectors (biases, norm gains) are copied to the heap; they are tiny and the
     * row kernels read float arrays.
     */
    protected void adoptFrom(Map<String, Tensor> source, String origin) {
        this.adoptFrom = source;
        this.adoptOrigin = origin;
    }

    /** Checks that an adopted source held nothing but this module's parameters, then forgets it. */
    protected void finishAdopting(boolean allowExtra) {
        if (adoptFrom != null && !allowExtra) refuseExtra(adoptFrom, adoptOrigin);
        adoptFrom = null;
    }

    protected boolean adopting() {
        return adoptFrom != null;
    }

    /** Registers a zero-filled trainable parameter (or, while adopting, the source's tensor). */
    protected Tensor param(String name, int... shape) {
        if (params.containsKey(name)) throw new IllegalStateException("parameter registered twice: " + name);
        Tensor t;
        if (adoptFrom != null) {
            Tensor src = sourceTensor(adoptFrom, name, shape, adoptOrigin);
            t = src.isMapped() && shape.length < 2 ? Tensor.of(src.floats(), shape) : src;
        } else {
            t = Tensor.param(new float[Math.toIntExact(numel(shape))], shape);
        }
        params.put(name, t);
        return t;
    }

    /**
     * Makes child's parameters this module's too, under {@code prefix + "." + name} (the same
     * tensors, not copies), as PyTorch names the parameters of a submodule; training mode
     * follows this module's. Returns child.
     */
    protected <M extends Module> M register(String prefix, M child) {
        for (var e : child.parameters().entrySet()) {
            String name = prefix + "." + e.getKey();
            if (params.containsKey(name)) throw new IllegalStateException("parameter registered twice: " + name);
            params.put(name, e.getValue());
        }
        child.setTraining(training);
        children.add(child);
        return child;
    }

    /** True when some parameter is a read-only view of a mapped file (an inference-only model). */
    public boolean isMapped() {
        for (Tensor t : params.values()) if (t.isMapped()) return true;
        return false;
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Parameters in registration order, by checkpoint name. */
    public Map<String, Tensor> parameters() {
        return Collections.unmodifiableMap(params);
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : params.values()) n += t.size();
        return n;
    }

    public void setTraining(boolean on) {
        this.training = on;
        for (Module c : children) c.setTraining(on);
    }

    public boolean isTraining() {
        return training;
    }

    public void zeroGrad() {
        for (Tensor t : params.values()) t.zeroGrad();
    }

    /**
     * Copies values into the parameters. Every parameter must be present with its exact shape
     * (extra entries are an error too, unless allowExtra): a wrong checkpoint fails here, by name,
     * instead of producing garbage later.
     */
    public void loadParameters(Map<String, Tensor> source, boolean allowExtra, String origin) {
        for (var e : params.entrySet()) {
            Tensor dst = e.getValue();
            Tensor src = sourceTensor(source, e.getKey(), dst.shape(), origin);
            System.arraycopy(src.floats(), 0, dst.data, 0, dst.size());
        }
        if (!allowExtra) refuseExtra(source, origin);
    }

    // The source's tensor for a parameter, present and of exactly the expected shape.
    private static Tensor sourceTensor(Map<String, Tensor> source, String name, int[] shape, String origin) {
        Tensor src = source.get(name);
        if (src == null) throw new IllegalArgumentException(origin + ": missing tensor '" + name + "'");
        if (!Arrays.equals(src.shape(), shape)) {
            throw new IllegalArgumentException(origin + ": tensor '" + name + "' has shape " + Arrays.toString(src.shape())
                    + " but the model expects " + Arrays.toString(shape));
        }
        return src;
    }

    // A checkpoint's entries that are no parameter of this module are an error, by name.
    private void refuseExtra(Map<String, Tensor> source, String origin) {
        for (String k : source.keySet()) {
            if (!params.containsKey(k)) throw new IllegalArgumentException(origin + ": unexpected tensor '" + k + "' (not a parameter of this model)");
        }
    }
}
