// Keras Dense: y = activation(x·Wᵀ + b) over the last dimension, W stored (units, in) as PyTorch nn.Linear.
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/** Glorot-uniform weight and zero bias, Keras's defaults; applies to (B, In) and to every step of (B, T, In). */
public final class Dense extends Layer {
    final int units;
    final Activation activation;
    private Tensor weight, bias;

    public Dense(int units) {
        this(units, Activation.LINEAR);
    }

    public Dense(int units, String activation) {
        this(units, Activation.of(activation));
    }

    public Dense(int units, Activation activation) {
        if (units < 1) throw new IllegalArgumentException("Dense: units must be positive, got " + units);
        this.units = units;
        this.activation = activation;
    }

    @Override public String className() { return "Dense"; }

    public Activation activation() { return activation; }

    @Override
    int[] build(int[] in, long seed) {
        if (in.length < 1) throw badShape(this, "(None, ..., features)", in);
        int k = in[in.length - 1];
        if (k < 1) throw badShape(this, "a known last dimension", in);
        weight = addWeight("weight", Tensor.zeros(units, k));
        bias = addWeight("bias", Tensor.zeros(units));
        float limit = (float) Math.sqrt(6.0 / (k + units)); // Glorot and Bengio (2010)
        Rng rng = new Rng(seed);
        for (int i = 0; i < weight.size(); i++) weight.data[i] = (rng.nextFloat() * 2f - 1f) * limit;
        int[] out = in.clone();
        out[out.length - 1] = units;
        return out;
    }

    @Override
    Tensor call(Tensor x, Context ctx) {
        return activation.apply(logits(x));
    }

    /** The pre-activation x·Wᵀ + b: what a softmax output hands to the fused cross-entropy. */
    Tensor logits(Tensor x) {
        return F.linear(x, weight, bias);
    }

    @Override
    ObjectNode config() {
        ObjectNode c = node();
        c.put("units", units).put("activation", activation.kerasName());
        return c;
    }
}
