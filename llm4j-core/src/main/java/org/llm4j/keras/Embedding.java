// Keras Embedding: token ids (B, T) → vectors (B, T, outputDim), optionally masking id 0 (mask_zero).
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * The weight is {@code embeddings} (inputDim, outputDim), initialised U(−0.05, 0.05) as Keras's
 * default. With maskZero, id 0 is padding: the layers after it see each sequence's length.
 *
 * <p>NOTE: the mask is passed on as lengths (pack_padded_sequence semantics), so padding must
 * come after the tokens (Keras pad_sequences(padding="post"), which {@link Data#of(int[][])}
 * batching does); a 0 in the middle of a sequence is read as a token, not as a gap.
 */
public final class Embedding extends Layer {
    final int inputDim, outputDim;
    final boolean maskZero;
    private Tensor weight;

    public Embedding(int inputDim, int outputDim) {
        this(inputDim, outputDim, false);
    }

    public Embedding(int inputDim, int outputDim, boolean maskZero) {
        if (inputDim < 1 || outputDim < 1) throw new IllegalArgumentException("Embedding: inputDim and outputDim must be positive, got " + inputDim + ", " + outputDim);
        this.inputDim = inputDim;
        this.outputDim = outputDim;
        this.maskZero = maskZero;
    }

    @Override public String className() { return "Embedding"; }

    @Override
    int[] build(int[] in, long seed) {
        if (in.length != 1) throw badShape(this, "(None, T) of token ids", in);
        weight = addWeight("embeddings", Tensor.zeros(inputDim, outputDim));
        Rng rng = new Rng(seed);
        for (int i = 0; i < weight.size(); i++) weight.data[i] = (rng.nextFloat() * 2f - 1f) * 0.05f;
        return new int[]{in[0], outputDim};
    }

    @Override
    Tensor call(Tensor x, Context ctx) {
        int b = x.dim(0), t = x.dim(1);
        int[] ids = new int[b * t];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) x.data[i]; // ids travel as exact floats (< 2^24)
        if (maskZero) {
            int[] len = new int[b];
            for (int r = 0; r < b; r++) {
                int end = t;
                while (end > 0 && ids[r * t + end - 1] == 0) end--;
                len[r] = end;
            }
            ctx.lengths = len;
        }
        return F.embedding(weight, ids, b, t);
    }

    @Override
    ObjectNode config() {
        ObjectNode c = node();
        c.put("input_dim", inputDim).put("output_dim", outputDim).put("mask_zero", maskZero);
        return c;
    }
}
