// Llama-family hyperparameters (Llama 2 and 3, Mistral, Qwen2, TinyStories llama2.c checkpoints); one small record.
package org.llm4j.model;

/**
 * @param vocabSize  V, rows of the token embedding and of the output head
 * @param dim        C, the residual stream width (HF hidden_size; llama2.c dim)
 * @param hiddenDim  H, inner width of the SwiGLU MLP (HF intermediate_size; llama2.c hidden_dim)
 * @param nLayers    transformer blocks
 * @param nHeads     query heads; head size = dim / nHeads
 * @param nKvHeads   key/value heads (grouped-query attention); divides nHeads
 * @param seqLen     longest context (llama2.c seq_len; HF max_position_embeddings)
 * @param normEps    epsilon of every RMSNorm (llama2.c: 1e-5)
 * @param ropeTheta  RoPE base frequency (10000 for Llama 2)
 * @param rope       which pairs of a head RoPE rotates: depends on how the file stores q and k
 * @param tiedHead   whether the output head is the token embedding (no separate lm_head.weight)
 * @param qkvBias    whether the q, k and v projections add a bias (Qwen2; o_proj never does)
 * @param slidingWindow  0, or W: a query at position i attends to keys j with i − W &lt; j ≤ i, W
 *                   positions including itself (Mistral's sliding-window attention, Hugging Face's
 *                   sliding_window, llama.cpp's n_swa)
 * @param ropeScaling how the RoPE frequencies are stretched (Llama 3, linear), {@link RopeScaling#NONE} for none
 */
public record LlamaConfig(int vocabSize, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int seqLen,
                          float normEps, float ropeTheta, RopeStyle rope, boolean tiedHead,
                          boolean qkvBias, int slidingWindow, RopeScaling ropeScaling) implements ModelConfig {

    /** Llama 2 / llama2.c: no biases, full attention, unscaled RoPE. */
    public LlamaConfig(int vocabSize, int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int seqLen,
                       float normEps, float ropeTheta, RopeStyle rope, boolean tiedHead) {
        this(vocabSize, dim, hiddenDim, nLayers, nHeads, nKvHeads, seqLen, normEps, ropeTheta, rope, tiedHead, false, 0, RopeScaling.NONE);
    }

    /**
     * RoPE rotates pairs of a head's dimensions by position-dependent angles (Su et al. 2021). Meta's
     * Llama code and llama2.c rotate adjacent pairs (2i, 2i+1), as do GGUF files of
     * general.architecture llama (llama.cpp's converter undoes Hugging Face's permutation of q and
     * k). Hugging Face checkpoints (and llama.cpp's "neox" architectures such as Qwen2) rotate
     * (i, i + d/2): the half-split. Pair i turns by pos·θ^(−2i/d) in both.
     */
    public enum RopeStyle { INTERLEAVED, HALF_SPLIT }

    public LlamaConfig {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocab_size must be positive, got " + vocabSize);
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("dim (" + dim + "), hidden_dim (" + hiddenDim + "), n_layers (" + nLayers + ") and seq_len (" + seqLen + ") must be positive");
        }
        if (nHeads <= 0 || dim % nHeads != 0 || (dim / nHeads) % 2 != 0) {
            throw new IllegalArgumentException("dim (" + dim + ") must be a positive multiple of n_heads (" + nHeads + ") with an even head size");
        }
        if (nKvHeads <= 0 || nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("n_kv_heads (" + nKvHeads + ") must divide n_heads (" + nHeads + ")");
        }
        if (!(normEps > 0f) || !(ropeTheta > 0f)) throw new IllegalArgumentException("norm eps and rope theta must be positive");
        java.util.Objects.requireNonNull(rope, "rope");
        java.util.Objects.requireNonNull(ropeScaling, "ropeScaling");
        if (slidingWindow < 0) throw new IllegalArgumentException("sliding_window must be positive (or 0 for none), got " + slidingWindow);
        if (ropeScaling instanceof RopeScaling.Factors f && f.values().size() != dim / nHeads / 2) {
            throw new IllegalArgumentException(f.values().size() + " RoPE frequency factors, but a head of " + dim / nHeads + " has " + dim / nHeads / 2 + " frequency pairs");
        }
    }

    /** The same model with another RoPE scaling. */
    public LlamaConfig withRopeScaling(RopeScaling s) {
        return new LlamaConfig(vocabSize, dim, hiddenDim, nLayers, nHeads, nKvHeads, seqLen, normEps, ropeTheta, rope, tiedHead, qkvBias, slidingWindow, s);
    }

    /** The same model with another longest context. */
    public LlamaConfig withSeqLen(int n) {
        return new LlamaConfig(vocabSize, dim, hiddenDim, nLayers, nHeads, nKvHeads, n, normEps, ropeTheta, rope, tiedHead, qkvBias, slidingWindow, ropeScaling);
    }

    /**
     * The per-pair RoPE frequencies f_j / s_j (hs/2 of them): θ^(−2j/hs) in float arithmetic as
     * llama2.c computes it (so unscaled models keep their bits), then divided by the scaling's s_j.
     */
    public float[] ropeFrequencies() {
        int hs = headSize();
        float[] f = new float[hs / 2];
        for (int j = 0; j < f.length; j++) f[j] = 1.0f / (float) Math.pow(ropeTheta, (2 * j) / (float) hs);
        if (ropeScaling instanceof RopeScaling.None) return f;
        double[] s = ropeScaling.divisors(f);
        for (int j = 0; j < f.length; j++) f[j] = (float) (f[j] / s[j]);
        return f;
    }

    public int headSize() { return dim / nHeads; }

    /** Width of the keys and values of one position: nKvHeads · headSize. */
    public int kvDim() { return nKvHeads * headSize(); }

    @Override
    public LanguageModel build(long seed) {
        return new Llama(this, seed);
    }
}
