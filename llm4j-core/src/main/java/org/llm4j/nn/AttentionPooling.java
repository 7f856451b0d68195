// Additive (Bahdanau-style) attention pooling: a padded sequence of recurrent outputs → one vector per sequence.
package org.llm4j.nn;

import java.util.Arrays;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * Feed-forward attention over the steps of a sequence (Bahdanau, Cho and Bengio 2015, with the
 * decoder state left out as in Raffel and Ellis 2016 and Yang et al. 2016's word attention):
 * <pre>
 *   u_t = tanh(W·h_t + b)        (B, T, A)    proj.weight (A, C), proj.bias (A)
 *   e_t = v·u_t                  (B, T)       score.weight (1, A)
 *   a   = softmax over real steps (B, T)      padded steps get weight exactly 0
 *   c   = Σ_t a_t · h_t          (B, C)
 * </pre>
 * What a classifier reads instead of the last hidden state: every step can vote, so a signal
 * early in a long sequence does not have to survive the recurrence to the end.
 */
public final class AttentionPooling extends Module {
    private final int channels, attentionSize;
    private final Tensor projW, projB, scoreW;

    /** The pooled vectors (B, C) and the attention weights (B, T) that made them. */
    public record Output(Tensor pooled, Tensor weights) {}

    /** channels C of the input; attentionSize A of the hidden scoring layer. PyTorch Linear initialisation. */
    public AttentionPooling(int channels, int attentionSize, long seed) {
        if (channels < 1 || attentionSize < 1) throw new IllegalArgumentException("attention pooling: channels and attention size must be positive, got " + channels + ", " + attentionSize);
        this.channels = channels;
        this.attentionSize = attentionSize;
        projW = param("proj.weight", attentionSize, channels);
        projB = param("proj.bias", attentionSize);
        scoreW = param("score.weight", 1, attentionSize);
        Rng rng = new Rng(seed);
        uniform(rng, projW.data, 1 / Math.sqrt(channels));
        uniform(rng, projB.data, 1 / Math.sqrt(channels));
        uniform(rng, scoreW.data, 1 / Math.sqrt(attentionSize));
    }

    static void uniform(Rng rng, float[] a, double bound) {
        for (int i = 0; i < a.length; i++) a[i] = (float) ((rng.nextFloat() * 2f - 1f) * bound);
    }

    public int attentionSize() {
        return attentionSize;
    }

    /** h (B, T, C), e.g. a recurrent layer's output; lengths (B) or null when nothing is padded. */
    public Output forward(Tensor h, int[] lengths) {
        if (h.rank() != 3 || h.dim(2) != channels) throw new IllegalArgumentException("attention pooling: input must be (B, T, " + channels + "), got " + Arrays.toString(h.shape()));
        int b = h.dim(0), t = h.dim(1);
        Tensor u = F.tanh(F.linear(h, projW, projB));             // (B, T, A)
        Tensor e = F.reshape(F.linear(u, scoreW, null), b, t);    // (B, T)
        Tensor a = F.maskedSoftmax(e, lengths);                   // (B, T), zero past each length
        Tensor c = F.bmm(F.reshape(a, b, 1, t), h);               // (B, 1, C)
        return new Output(F.reshape(c, b, channels), a);
    }
}
