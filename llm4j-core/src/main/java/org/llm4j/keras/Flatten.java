// Keras Flatten: (B, d1, d2, ...) → (B, d1·d2·...).
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

public final class Flatten extends Layer {
    @Override public String className() { return "Flatten"; }

    @Override
    int[] build(int[] in, long seed) {
        int n = 1;
        for (int d : in) {
            if (d < 0) throw badShape(this, "fixed dimensions (no None)", in);
            n *= d;
        }
        return new int[]{n};
    }

    @Override
    Tensor call(Tensor x, Context ctx) {
        ctx.lengths = null;
        return F.reshape(x, x.dim(0), -1);
    }

    @Override ObjectNode config() { return node(); }
}
