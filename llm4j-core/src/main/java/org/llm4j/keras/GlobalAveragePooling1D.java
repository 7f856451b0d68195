// Keras GlobalAveragePooling1D: (B, T, C) → (B, C), the mean over each sequence's real (unmasked) steps.
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

public final class GlobalAveragePooling1D extends Layer {
    @Override public String className() { return "GlobalAveragePooling1D"; }

    @Override
    int[] build(int[] in, long seed) {
        if (in.length != 2) throw badShape(this, "(None, T, features)", in);
        return new int[]{in[1]};
    }

    @Override
    Tensor call(Tensor x, Context ctx) {
        int b = x.dim(0), t = x.dim(1), c = x.dim(2);
        // out[b, c] = Σ_t w[b, t] x[b, t, c] with w = 1/len at real steps and 0 at padded ones:
        // the weighted sum is a product with x's (C, T) view, so the backward comes for free.
        float[] w = new float[b * t];
        for (int r = 0; r < b; r++) {
            int len = ctx.lengths == null ? t : ctx.lengths[r];
            for (int s = 0; s < len; s++) w[r * t + s] = 1f / len;
        }
        ctx.lengths = null;
        Tensor weighted = F.mul(x, Tensor.of(w, b, t, 1));                                   // (B, T, C)
        Tensor summed = F.linear(F.transpose(weighted, 1, 2), Tensor.of(ones(t), 1, t), null); // (B, C, 1)
        return F.reshape(summed, b, c);
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    @Override ObjectNode config() { return node(); }
}
