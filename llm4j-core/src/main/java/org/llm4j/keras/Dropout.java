// Keras Dropout: inverted dropout while training, the identity otherwise.
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

public final class Dropout extends Layer {
    final float rate;

    public Dropout(float rate) {
        if (!(rate >= 0f && rate < 1f)) throw new IllegalArgumentException("Dropout: rate must be in [0, 1), got " + rate);
        this.rate = rate;
    }

    @Override public String className() { return "Dropout"; }

    @Override int[] build(int[] in, long seed) { return in.clone(); }

    @Override
    Tensor call(Tensor x, Context ctx) {
        return F.dropout(x, rate, ctx.rng, ctx.training);
    }

    @Override
    ObjectNode config() {
        ObjectNode c = node();
        c.put("rate", rate);
        return c;
    }
}
