// One interface for recurrent and transformer language models: training forward and stepwise decoding.
package org.llm4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.llm4j.tensor.Tensor;

public interface LanguageModel {
    ModelConfig config();

    /**
     * Hugging Face's from_pretrained: a Hub repository id ("gpt2") downloaded into the cache on
     * first use, or a local model folder; weights memory-mapped, ready to generate. The tokenizer
     * and generation defaults come with {@link org.llm4j.format.ModelFiles#fromPretrained}.
     * NOTE: the one upward reference from model to format, kept for the familiar front door.
     */
    static LanguageModel fromPretrained(String repoOrFolder) throws java.io.IOException {
        return org.llm4j.format.ModelFiles.fromPretrained(repoOrFolder).model();
    }

    default int vocabSize() {
        return config().vocabSize();
    }

    /** Longest context the model can attend to; Integer.MAX_VALUE for recurrent models. */
    int contextLength();

    /** Logits (B, T, V) for tokens (B·T, row-major), recorded on the tape when grad mode is on. */
    default Tensor forward(int[] tokens, int batch, int time) {
        return forward(tokens, batch, time, dropoutRng());
    }

    /** As {@link #forward(int[], int, int)}, drawing dropout masks from the given generator (one per data-parallel shard). */
    Tensor forward(int[] tokens, int batch, int time, org.llm4j.tensor.Rng dropout);

    /**
     * Prepares a cold process for its first decoding steps: compiles the kernels they take (see
     * Kernels.warmUp) on tiny slices of the weights. Optional (the first step does it if needed);
     * a caller may run it on another thread while it does something else. Idempotent.
     */
    default void warmUp() {}

    /** A fresh decoding state (empty KV cache, zero hidden state). */
    DecodeState newState();

    /** Feeds one token and returns the logits (V) for the next one; advances the state. */
    float[] step(DecodeState state, int token);

    /**
     * Feeds several tokens at once (prompt processing) and returns the logits after the last one;
     * models override it with a batched computation. Same result as calling step for each token.
     */
    default float[] prefill(DecodeState state, int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("prefill needs at least one token");
        float[] logits = null;
        for (int t : tokens) logits = step(state, t);
        return logits;
    }

    /**
     * Feeds tokens[i] to states.get(i) for every i and returns each one's next-token logits (V):
     * several sequences decoded in lockstep. The states may stand at different positions (prompts of
     * different lengths), which is what Hugging Face's left padding with an attention mask achieves.
     * This default loops over {@link #step}; a model may override it with one batched pass.
     */
    default List<float[]> stepBatch(List<DecodeState> states, int[] tokens) {
        if (states.size() != tokens.length) throw new IllegalArgumentException("stepBatch: " + states.size() + " states but " + tokens.length + " tokens");
        List<float[]> out = new ArrayList<>(tokens.length);
        for (int i = 0; i < tokens.length; i++) out.add(step(states.get(i), tokens[i]));
        return out;
    }

    /** Parameters by checkpoint name. */
    Map<String, Tensor> parameters();

    long parameterCount();

    /** Zeroes every parameter's gradient (keeping the buffers for the next step). */
    void zeroGrad();

    void setTraining(boolean training);

    void loadParameters(Map<String, Tensor> source, boolean allowExtra, String origin);

    /** The generator behind dropout; checkpoints save its state so a resumed run matches exactly. */
    org.llm4j.tensor.Rng dropoutRng();

    /** Whether a parameter takes weight decay (matrices and embeddings do; biases and norm gains do not, as in nanoGPT). */
    default boolean decays(String name, Tensor p) {
        return p.rank() >= 2;
    }
}
