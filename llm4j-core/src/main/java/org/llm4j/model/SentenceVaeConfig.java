// The shape of a sentence VAE (Bowman et al. 2016): vocabulary, widths, latent size, word dropout.
package org.llm4j.model;

/**
 * @param vocabSize           V: the tokenizer's ids plus two of the model's own, beginning and end
 *                            of sentence, at V−2 and V−1; id 0 is padding
 * @param embeddingDim        E, shared by encoder and decoder (Bowman et al. 2016 share it)
 * @param hiddenSize          H of the encoder and decoder LSTMs
 * @param latentDim           Z, the Gaussian latent
 * @param bidirectionalEncoder whether the encoder reads both ways (its summary is then 2H wide)
 * @param wordDropout         probability that a decoder input word becomes &lt;unk&gt; while
 *                            training (Bowman's word dropout: the decoder must lean on z)
 */
public record SentenceVaeConfig(int vocabSize, int embeddingDim, int hiddenSize, int latentDim, boolean bidirectionalEncoder, float wordDropout) {
    public SentenceVaeConfig {
        if (vocabSize < 5) throw new IllegalArgumentException("sentence VAE: vocab_size must be at least 5 (pad, unk, a word, bos, eos), got " + vocabSize);
        if (embeddingDim < 1 || hiddenSize < 1 || latentDim < 1) {
            throw new IllegalArgumentException("sentence VAE: embedding, hidden and latent sizes must be positive, got " + embeddingDim + ", " + hiddenSize + ", " + latentDim);
        }
        if (!(wordDropout >= 0f && wordDropout < 1f)) throw new IllegalArgumentException("sentence VAE: word dropout must be in [0, 1), got " + wordDropout);
    }

    public int bosId() { return vocabSize - 2; }

    public int eosId() { return vocabSize - 1; }
}
