// Keras CategoryEncoding: token ids (B, T) → a bag of words (B, numTokens), multi-hot or counts.
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.llm4j.tensor.Tensor;

/**
 * The input of a bag-of-words model: CategoryEncoding then Dense(classes, softmax) is
 * multinomial logistic regression on word presence. The bag is built per batch, so the dense
 * (B, numTokens) matrix never exists for the whole data set.
 *
 * <p>NOTE: unlike Keras, id 0 is not counted: batches are post-padded with 0, and counting the
 * padding would make the feature depend on the batch's longest sequence.
 */
public final class CategoryEncoding extends Layer {
    final int numTokens;
    final boolean count;

    /** outputMode "multi_hot" (1 when a word occurs) or "count" (how often). */
    public CategoryEncoding(int numTokens, String outputMode) {
        if (numTokens < 1) throw new IllegalArgumentException("CategoryEncoding: numTokens must be positive, got " + numTokens);
        if (!outputMode.equals("multi_hot") && !outputMode.equals("count")) {
            throw new IllegalArgumentException("CategoryEncoding: outputMode must be multi_hot or count, got " + outputMode);
        }
        this.numTokens = numTokens;
        this.count = outputMode.equals("count");
    }

    @Override public String className() { return "CategoryEncoding"; }

    @Override
    int[] build(int[] in, long seed) {
        if (in.length != 1) throw badShape(this, "(None, T) of token ids", in);
        return new int[]{numTokens};
    }

    @Override
    Tensor call(Tensor x, Context ctx) {
        int b = x.dim(0), t = x.dim(1);
        float[] out = new float[b * numTokens];
        for (int r = 0; r < b; r++) {
            for (int s = 0; s < t; s++) {
                int id = (int) x.data[r * t + s];
                if (id == 0) continue;
                if (id < 0 || id >= numTokens) throw new IllegalArgumentException("CategoryEncoding: token id " + id + " is outside [0, " + numTokens + ")");
                int at = r * numTokens + id;
                out[at] = count ? out[at] + 1f : 1f;
            }
        }
        ctx.lengths = null;
        return Tensor.of(out, b, numTokens);
    }

    @Override
    ObjectNode config() {
        ObjectNode c = node();
        c.put("num_tokens", numTokens).put("output_mode", count ? "count" : "multi_hot");
        return c;
    }
}
