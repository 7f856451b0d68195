// Multi-head scaled dot-product self-attention over a padded sequence (PyTorch nn.MultiheadAttention's names).
package org.llm4j.nn;

import java.util.Arrays;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * Self-attention (Vaswani et al. 2017, eq. 1) over the outputs of a recurrent layer, or any
 * (B, T, C) sequence, with the keys past each sequence's length masked out as PyTorch's
 * key_padding_mask does:
 * <pre>
 *   q, k, v = x·W_inᵀ + b_in, split    (B, T, C) each; heads of size hd = C / nh
 *   P = softmax(q·kᵀ / √hd)             (B, nh, T, T)  padded keys get weight exactly 0
 *   y = concat_heads(P·v)·W_outᵀ + b    (B, T, C)      zero at padded query steps
 * </pre>
 * Parameters {@code in_proj_weight} (3C, C), {@code in_proj_bias} (3C), {@code out_proj.weight}
 * (C, C), {@code out_proj.bias} (C), so weights of a torch.nn.MultiheadAttention(C, nh,
 * batch_first=True) load with a copy loop. Built from general ops (linear, bmm, maskedSoftmax),
 * not fused: it sits on top of an RNN, where the recurrence, not this, dominates the time.
 * NOTE: outputs at padded query steps are zeroed (PyTorch computes them from the real keys);
 * that matches what {@link Recurrent} emits there, so a pooling layer after it sees zeros.
 */
public final class SelfAttention extends Module {
    private final int channels, heads;
    private final Tensor inW, inB, outW, outB;

    /** y (B, T, C) and the attention weights (B, nh, T, T), rows are queries, columns keys. */
    public record Output(Tensor output, Tensor weights) {}

    /** channels C, split into heads of C/heads; Xavier-uniform in_proj and zero biases, as PyTorch. */
    public SelfAttention(int channels, int heads, long seed) {
        if (channels < 1 || heads < 1 || channels % heads != 0) throw new IllegalArgumentException("self-attention: " + channels + " channels do not split into " + heads + " heads");
        this.channels = channels;
        this.heads = heads;
        inW = param("in_proj_weight", 3 * channels, channels);
        inB = param("in_proj_bias", 3 * channels);
        outW = param("out_proj.weight", channels, channels);
        outB = param("out_proj.bias", channels);
        Rng rng = new Rng(seed);
        AttentionPooling.uniform(rng, inW.data, Math.sqrt(6.0 / (channels + 3 * channels)));
        AttentionPooling.uniform(rng, outW.data, 1 / Math.sqrt(channels));
    }

    /** x (B, T, C); lengths (B) or null when nothing is padded. */
    public Output forward(Tensor x, int[] lengths) {
        if (x.rank() != 3 || x.dim(2) != channels) throw new IllegalArgumentException("self-attention: input must be (B, T, " + channels + "), got " + Arrays.toString(x.shape()));
        int b = x.dim(0), t = x.dim(1), c = channels, nh = heads, hd = c / nh;
        Tensor qkv = F.linear(x, inW, inB); // (B, T, 3C)
        Tensor q = heads(F.slice(qkv, 2, 0, c), b, t), k = heads(F.slice(qkv, 2, c, 2 * c), b, t), v = heads(F.slice(qkv, 2, 2 * c, 3 * c), b, t);
        Tensor s = F.scale(F.bmm(q, F.transpose(k, 1, 2)), (float) (1 / Math.sqrt(hd)));   // (B·nh, T, T)
        Tensor p = F.maskedSoftmax(F.reshape(s, b, nh, t, t), lengths);                   // (B, nh, T, T)
        Tensor o = F.bmm(F.reshape(p, b * nh, t, t), v);                                  // (B·nh, T, hd)
        o = F.reshape(F.permute(F.reshape(o, b, nh, t, hd), 0, 2, 1, 3), b, t, c);        // (B, T, C)
        Tensor y = F.linear(o, outW, outB);
        if (lengths != null) y = F.mul(y, F.lengthMask(lengths, b, t));
        return new Output(y, p);
    }

    // (B, T, C) → (B·nh, T, hd)
    private Tensor heads(Tensor x, int b, int t) {
        int hd = channels / heads;
        return F.reshape(F.permute(F.reshape(x, b, t, heads, hd), 0, 2, 1, 3), b * heads, t, hd);
    }
}
