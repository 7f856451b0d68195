// GPT-2 architecture hyperparameters; field names map one-to-one to Hugging Face's GPT2Config.
package org.llm4j.model;

/**
 * @param vocabSize  V, rows of the token embedding (and of the tied output head); HF vocab_size
 * @param blockSize  longest context, rows of the position embedding; HF n_positions
 * @param nLayer     transformer blocks; HF n_layer
 * @param nHead      attention heads per block, must divide nEmbd; HF n_head
 * @param nEmbd      C, the residual stream width; HF n_embd
 * @param dropout    dropout on embeddings, attention output and MLP output during training (0 = off)
 * @param layerNormEps epsilon inside every layer norm; HF layer_norm_epsilon (1e-5 for GPT-2)
 */
public record GPTConfig(int vocabSize, int blockSize, int nLayer, int nHead, int nEmbd, float dropout, float layerNormEps)
        implements ModelConfig {

    public GPTConfig {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocab_size must be positive, got " + vocabSize);
        if (blockSize <= 0) throw new IllegalArgumentException("n_positions (block size) must be positive, got " + blockSize);
        if (nLayer <= 0) throw new IllegalArgumentException("n_layer must be positive, got " + nLayer);
        if (nHead <= 0 || nEmbd <= 0 || nEmbd % nHead != 0) {
            throw new IllegalArgumentException("n_embd (" + nEmbd + ") must be a positive multiple of n_head (" + nHead + ")");
        }
        if (dropout < 0f || dropout >= 1f) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    }

    /** nanoGPT's small CPU configuration for character-level tiny Shakespeare. */
    public static GPTConfig nanoShakespeare(int vocabSize) {
        return new GPTConfig(vocabSize, 64, 4, 4, 128, 0f, 1e-5f);
    }

    /** GPT-2 124M. */
    public static GPTConfig gpt2Small() {
        return new GPTConfig(50257, 1024, 12, 12, 768, 0f, 1e-5f);
    }

    /** Parameters of the model this config builds (tied head counted once), without building it. */
    public long parameterCount() {
        long c = nEmbd;
        long perBlock = 2 * 2 * c + (c * 3 * c + 3 * c) + (c * c + c) + (c * 4 * c + 4 * c) + (4 * c * c + c);
        return (long) vocabSize * c + (long) blockSize * c + nLayer * perBlock + 2 * c;
    }

    @Override
    public LanguageModel build(long seed) {
        return new GPT(this, seed);
    }
}
