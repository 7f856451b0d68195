// Keras Bidirectional(layer): the recurrent layer run forwards and backwards, outputs concatenated (merge_mode="concat").
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.llm4j.tensor.Tensor;

/** Weights are the wrapped layer's, with PyTorch's {@code _reverse} names for the backward direction. */
public final class Bidirectional extends Layer {
    final RNN layer;

    public Bidirectional(RNN layer) {
        if (layer.rnn != null) throw new IllegalArgumentException("Bidirectional: wrap a layer that is not built yet");
        this.layer = layer;
        layer.bidirectional = true;
    }

    @Override public String className() { return "Bidirectional"; }

    @Override
    int[] build(int[] in, long seed) {
        layer.name = name;
        int[] out = layer.build(in, seed);
        layer.weights().forEach(this::addWeight);
        return out;
    }

    @Override
    Tensor call(Tensor x, Context ctx) {
        return layer.call(x, ctx);
    }

    @Override
    void setTraining(boolean on) {
        layer.setTraining(on);
    }

    @Override
    ObjectNode config() {
        ObjectNode c = node();
        c.putObject("layer").put("class_name", layer.className()).set("config", layer.config());
        return c;
    }
}
