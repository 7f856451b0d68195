// Every differentiable op against finite differences.
package org.llm4j.tensor;

import static org.llm4j.tensor.GradCheck.check;
import static org.llm4j.tensor.GradCheck.randn;

import java.util.List;
import org.junit.jupiter.api.Test;

class GradCheckTest {
    final Rng rng = new Rng(7);

    @Test void embedding() {
        Tensor w = randn(rng, 7, 3);
        int[] ids = {0, 3, 3, 6, 1, 0};
        check("embedding", in -> F.embedding(in[0], ids, 2, 3), w);
    }

    @Test void addmm() {
        check("addmm", in -> F.addmm(in[0], in[1], in[2]), randn(rng, 2, 3, 5), randn(rng, 5, 4), randn(rng, 4));
    }

    @Test void linear() {
        check("linear", in -> F.linear(in[0], in[1], in[2]), randn(rng, 3, 5), randn(rng, 6, 5), randn(rng, 6));
    }

    @Test void matmul() {
        check("matmul", in -> F.matmul(in[0], in[1]), randn(rng, 4, 3), randn(rng, 3, 5));
    }

    @Test void broadcastingArithmetic() {
        check("add same", in -> F.add(in[0], in[1]), randn(rng, 2, 3), randn(rng, 2, 3));
        check("add bias", in -> F.add(in[0], in[1]), randn(rng, 2, 3, 4), randn(rng, 4));
        check("sub broadcast both", in -> F.sub(in[0], in[1]), randn(rng, 3, 1), randn(rng, 1, 4));
        check("mul same", in -> F.mul(in[0], in[1]), randn(rng, 5), randn(rng, 5));
        check("mul broadcast", in -> F.mul(in[0], in[1]), randn(rng, 2, 3, 4), randn(rng, 3, 1));
        check("scale", in -> F.scale(in[0], -1.7f), randn(rng, 6));
    }

    @Test void pointwise() {
        check("tanh", in -> F.tanh(in[0]), randn(rng, 10));
        check("sigmoid", in -> F.sigmoid(in[0]), randn(rng, 10));
        check("gelu", in -> F.gelu(in[0]), randn(rng, 17));
        Tensor away = randn(rng, 10);
        for (int i = 0; i < away.size(); i++) away.data[i] += Math.signum(away.data[i]) * 0.1f; // stay off the kink
        check("relu", in -> F.relu(in[0]), away);
    }

    @Test void dropoutWithAFixedMask() {
        check("dropout", in -> F.dropout(in[0], 0.3f, new Rng(5), true), randn(rng, 20));
    }

    @Test void shapes() {
        check("reshape", in -> F.mul(F.reshape(in[0], 3, -1), in[1]), randn(rng, 2, 6), randn(rng, 3, 4));
        check("transpose", in -> F.transpose(in[0], 0, 2), randn(rng, 2, 3, 4));
        check("permute", in -> F.permute(in[0], 1, 2, 0), randn(rng, 2, 3, 4));
        check("slice", in -> F.slice(in[0], 1, 1, 3), randn(rng, 2, 4, 3));
        check("concat", in -> F.concat(List.of(in[0], in[1]), 1), randn(rng, 2, 2, 3), randn(rng, 2, 1, 3));
    }

    @Test void layerNorm() {
        check("layerNorm", in -> F.layerNorm(in[0], in[1], in[2], 1e-5f), randn(rng, 3, 8), randn(rng, 8), randn(rng, 8));
    }

    @Test void softmax() {
        check("softmax", in -> F.softmax(in[0]), randn(rng, 3, 7));
    }

    @Test void crossEntropyWithIgnoreIndex() {
        int[] targets = {2, -100, 0, 4};
        check("crossEntropy", in -> F.crossEntropy(in[0], targets, -100), randn(rng, 4, 5));
    }

    @Test void causalSelfAttention() {
        check("attention", in -> F.causalSelfAttention(in[0], 2), randn(rng, 2, 5, 3 * 4));
    }

    @Test void lstmLayer() {
        Tensor x = randn(rng, 2, 4, 3);
        Tensor wih = randn(rng, 4 * 5, 3), whh = randn(rng, 4 * 5, 5), bih = randn(rng, 20), bhh = randn(rng, 20);
        for (Tensor t : new Tensor[]{wih, whh}) F.kernels().scale(t.data, 0, t.size(), 0.5f);
        float[] h0 = new float[10], c0 = new float[10];
        new Rng(3).fillNormal(h0, 0.5f);
        new Rng(4).fillNormal(c0, 0.5f);
        check("lstm", in -> F.lstm(in[0], in[1], in[2], in[3], in[4], h0, c0).output(), x, wih, whh, bih, bhh);
    }

    @Test void reductions() {
        check("sum", in -> F.sum(in[0]), randn(rng, 2, 3));
        check("mean", in -> F.mean(in[0]), randn(rng, 2, 3));
    }
}
