// Hyperparameters of the stacked-LSTM language model (embedding → nn.LSTM → linear head).
package org.llm4j.model;

/**
 * @param vocabSize     V
 * @param embeddingDim  E, width of the token embedding fed to the first layer
 * @param hiddenSize    H, per layer
 * @param numLayers     stacked LSTM layers
 * @param dropout       between layers and before the head, during training (PyTorch's nn.LSTM dropout)
 */
public record LstmConfig(int vocabSize, int embeddingDim, int hiddenSize, int numLayers, float dropout) implements ModelConfig {
    public LstmConfig {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocab_size must be positive, got " + vocabSize);
        if (embeddingDim <= 0) throw new IllegalArgumentException("embedding_dim must be positive, got " + embeddingDim);
        if (hiddenSize <= 0) throw new IllegalArgumentException("hidden_size must be positive, got " + hiddenSize);
        if (numLayers <= 0) throw new IllegalArgumentException("num_layers must be positive, got " + numLayers);
        if (dropout < 0f || dropout >= 1f) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    }

    @Override
    public LanguageModel build(long seed) {
        return new LstmLM(this, seed);
    }
}
