// The attention layers of nn (built from F ops) against finite differences, inputs and weights, padded batches.
package org.llm4j.tensor;

import static org.llm4j.tensor.GradCheck.check;
import static org.llm4j.tensor.GradCheck.randn;

import org.junit.jupiter.api.Test;
import org.llm4j.nn.AttentionPooling;
import org.llm4j.nn.SelfAttention;

class AttentionGradCheckTest {
    final Rng rng = new Rng(17);

    @Test void additiveAttentionPooling() {
        AttentionPooling pool = new AttentionPooling(4, 3, 5);
        var p = pool.parameters();
        int[] lengths = {5, 2, 1};
        check("attention pooling", in -> pool.forward(in[0], lengths).pooled(),
                randn(rng, 3, 5, 4), p.get("proj.weight"), p.get("proj.bias"), p.get("score.weight"));
    }

    @Test void scaledDotProductSelfAttention() {
        SelfAttention att = new SelfAttention(4, 2, 6);
        var p = att.parameters();
        int[] lengths = {4, 2};
        check("self-attention", in -> att.forward(in[0], lengths).output(),
                randn(rng, 2, 4, 4), p.get("in_proj_weight"), p.get("in_proj_bias"), p.get("out_proj.weight"), p.get("out_proj.bias"));
    }
}
